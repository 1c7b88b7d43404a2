/**
 * Calls to the origin from a request handler: as the verified caller (if any), with the request's
 * id. The client itself (credential, timeout, breaker) is shared with the progress buffer:
 * workers/shared/origin-client.ts.
 */
import { PROBLEM_CONTENT_TYPE } from '../../../core/problem.ts';
import { originFetch, type OriginRequest } from '../../shared/origin-client.ts';
import type { OriginCaller } from '../../shared/service-credential.ts';
import type { UserClaims } from '../../../core/tokens.ts';
import type { AppContext } from './http/context.ts';
import { relayRevocations } from './http/session-guard.ts';

export interface OriginCall {
  method: OriginRequest['method'];
  /** Path and query on the origin, e.g. `/v1/profiles`. */
  path: string;
  /** A validated body, sent as JSON. */
  body?: unknown;
  /** Who the credential names (http/auth.ts: `profileIdentity`, `callerIdentity`); nobody when unset. */
  caller?: OriginCaller;
  /** Budget for this call (default ORIGIN_TIMEOUT_MS). */
  timeoutMs?: number;
  /** False for calls whose slowness says nothing about the origin's health (see OriginRequest). */
  breaker?: boolean;
}

/**
 * Calls the origin from a request handler, as `call.caller` (if any), with the request's id.
 * A problem it answers is relayed under the client's path: origin routes are not public.
 */
export async function callOrigin(c: AppContext, call: OriginCall): Promise<Response> {
  const response = await originFetch(c.env, {
    method: call.method,
    path: call.path,
    body: call.body,
    requestId: c.get('requestId'),
    ...(call.caller ? { caller: { ...call.caller, sessionId: (c.get('user') as UserClaims | undefined)?.sid } } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
    ...(call.breaker === false ? { breaker: false } : {}),
  });
  return withPublicInstance(await relayRevocations(c, response), new URL(c.req.url).pathname);
}

/**
 * An origin problem with `instance` set to the edge's request path (RFC 9457: the occurrence the
 * client asked about), so `/internal/v1/…` never reaches a client. Other responses pass as they are.
 */
async function withPublicInstance(response: Response, publicPath: string): Promise<Response> {
  if (!(response.headers.get('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE)) return response;
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  let body = text;
  try {
    const problem: unknown = JSON.parse(text);
    if (typeof problem === 'object' && problem !== null && !Array.isArray(problem)) {
      body = JSON.stringify({ ...problem, instance: publicPath });
    }
  } catch {
    // Not JSON: relayed as it came (the origin only writes problems through core/problem.ts).
  }
  return new Response(body, { status: response.status, headers });
}

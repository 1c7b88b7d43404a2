/**
 * Calls to the origin: every one carries a short-lived service credential bound to its method and
 * path and to the verified caller, plus the request id; a dead or slow origin becomes a 502, and
 * one that keeps failing opens the isolate's breaker (origin-breaker.ts): a 503 at once.
 */
import { HttpError, PROBLEM_CONTENT_TYPE } from '../../../core/problem.ts';
import { REQUEST_ID_HEADER } from '../../../core/request-id.ts';
import { signServiceToken, type ServiceClaims, type UserClaims } from '../../../core/tokens.ts';
import type { AppContext } from './http/context.ts';
import { throughBreaker } from './origin-breaker.ts';

export interface OriginCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query on the origin, e.g. `/v1/profiles`. */
  path: string;
  /** A validated body, sent as JSON. */
  body?: unknown;
  user?: UserClaims;
  /** Budget for this call (default ORIGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** Who the credential names: the account (`sub`) and, for profile calls, the profile and its maturity. */
export type OriginCaller = Pick<ServiceClaims, 'sub' | 'pid' | 'mat'>;

/** A call made outside a request handler (the progress buffer's flush): everything comes in explicitly. */
export interface OriginRequest {
  method: OriginCall['method'];
  path: string;
  body?: unknown;
  caller?: OriginCaller;
  requestId: string;
  /** Overrides `ORIGIN_TIMEOUT_MS`. */
  timeoutMs?: number;
  /**
   * False for callers with their own retry and backoff (the progress buffer's flush): they keep
   * probing the origin on their schedule and their failures do not trip request traffic.
   */
  breaker?: boolean;
}

export type OriginBindings = Pick<Env, 'ORIGIN_URL' | 'ORIGIN_TIMEOUT_MS' | 'SERVICE_TOKEN_SECRET' | 'ORIGIN_BREAKER'>;

const PASSED_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified', 'retry-after'];

/** The credential claims for a verified user token. */
export function callerOf(user: UserClaims | undefined): OriginCaller | undefined {
  if (!user) return undefined;
  return user.scope === 'profile' ? { sub: user.sub, pid: user.pid, mat: user.mat } : { sub: user.sub };
}

/**
 * Calls the origin from a request handler, as the verified user (if any), with the request's id.
 * A problem it answers is relayed under the client's path: origin routes are not public.
 */
export async function callOrigin(c: AppContext, call: OriginCall): Promise<Response> {
  const caller = callerOf(call.user);
  const response = await originFetch(c.env, {
    method: call.method,
    path: call.path,
    body: call.body,
    requestId: c.get('requestId'),
    ...(caller ? { caller } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
  });
  return withPublicInstance(response, new URL(c.req.url).pathname);
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

/**
 * Calls the origin without a Hono context. Answers the origin's response (status and the headers
 * worth passing on) or throws 502 `origin_unavailable` when it cannot be reached in time.
 */
export async function originFetch(env: OriginBindings, request: OriginRequest): Promise<Response> {
  if (request.breaker === false) return fetchOrigin(env, request);
  return throughBreaker(env, () => fetchOrigin(env, request));
}

async function fetchOrigin(env: OriginBindings, request: OriginRequest): Promise<Response> {
  const credential = await signServiceToken(
    { htm: request.method, htu: request.path, rid: request.requestId, ...request.caller },
    env.SERVICE_TOKEN_SECRET,
  );
  const headers = new Headers({
    authorization: `Bearer ${credential}`,
    [REQUEST_ID_HEADER]: request.requestId,
    accept: 'application/json',
  });
  if (request.body !== undefined) headers.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await fetch(new URL(request.path, env.ORIGIN_URL), {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(request.timeoutMs ?? (Number(env.ORIGIN_TIMEOUT_MS) || 5000)),
    });
  } catch (err) {
    throw new HttpError('origin_unavailable', 'The origin could not be reached in time; try again shortly', {
      cause: err,
      headers: { 'retry-after': '2' },
    });
  }
  const out = new Headers();
  for (const name of PASSED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  return new Response(response.body, { status: response.status, headers: out });
}

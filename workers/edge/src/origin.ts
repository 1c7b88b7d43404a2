/**
 * Calls to the origin from a request handler: as the verified caller (if any), with the request's
 * id. The client itself (credential, timeout, breaker) is shared with the progress buffer:
 * workers/shared/origin-client.ts.
 */
import { originFetch, type OriginRequest } from '../../shared/origin-client.ts';
import type { OriginCaller } from '../../shared/service-credential.ts';
import type { AppContext } from './http/context.ts';

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
}

/** Calls the origin from a request handler, as `call.caller` (if any), with the request's id. */
export async function callOrigin(c: AppContext, call: OriginCall): Promise<Response> {
  return originFetch(c.env, {
    method: call.method,
    path: call.path,
    body: call.body,
    requestId: c.get('requestId'),
    ...(call.caller ? { caller: call.caller } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
  });
}

/**
 * Calls to the origin from a request handler: as the verified user (if any), with the request's
 * id. The client itself (credential, timeout, breaker) is shared with the progress buffer:
 * workers/shared/origin-client.ts.
 */
import type { UserClaims } from '../../../core/tokens.ts';
import { originFetch, type OriginRequest } from '../../shared/origin-client.ts';
import type { OriginCaller } from '../../shared/service-credential.ts';
import type { AppContext } from './http/context.ts';

export interface OriginCall {
  method: OriginRequest['method'];
  /** Path and query on the origin, e.g. `/v1/profiles`. */
  path: string;
  /** A validated body, sent as JSON. */
  body?: unknown;
  user?: UserClaims;
  /** Budget for this call (default ORIGIN_TIMEOUT_MS). */
  timeoutMs?: number;
}

/** The credential claims for a verified user token. */
export function callerOf(user: UserClaims | undefined): OriginCaller | undefined {
  if (!user) return undefined;
  return user.scope === 'profile' ? { sub: user.sub, pid: user.pid, mat: user.mat } : { sub: user.sub };
}

/** Calls the origin from a request handler, as the verified user (if any), with the request's id. */
export async function callOrigin(c: AppContext, call: OriginCall): Promise<Response> {
  const caller = callerOf(call.user);
  return originFetch(c.env, {
    method: call.method,
    path: call.path,
    body: call.body,
    requestId: c.get('requestId'),
    ...(caller ? { caller } : {}),
    ...(call.timeoutMs !== undefined ? { timeoutMs: call.timeoutMs } : {}),
  });
}

/**
 * Calls to the origin: every one carries a short-lived service credential bound to its method and
 * path and to the verified caller, plus the request id; a dead or slow origin becomes a 502.
 */
import { HttpError } from '../../../core/problem.ts';
import { REQUEST_ID_HEADER } from '../../../core/request-id.ts';
import { signServiceToken, type UserClaims } from '../../../core/tokens.ts';
import type { AppContext } from './http/context.ts';

export interface OriginCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query on the origin, e.g. `/v1/profiles`. */
  path: string;
  /** A validated body, sent as JSON. */
  body?: unknown;
  user?: UserClaims;
}

const PASSED_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified', 'retry-after'];

export async function callOrigin(c: AppContext, call: OriginCall): Promise<Response> {
  const user = call.user;
  const credential = await signServiceToken(
    {
      htm: call.method,
      htu: call.path,
      rid: c.get('requestId'),
      ...(user ? { sub: user.sub } : {}),
      ...(user?.scope === 'profile' ? { pid: user.pid, mat: user.mat } : {}),
    },
    c.env.SERVICE_TOKEN_SECRET,
  );
  const headers = new Headers({
    authorization: `Bearer ${credential}`,
    [REQUEST_ID_HEADER]: c.get('requestId'),
    accept: 'application/json',
  });
  if (call.body !== undefined) headers.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await fetch(new URL(call.path, c.env.ORIGIN_URL), {
      method: call.method,
      headers,
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      signal: AbortSignal.timeout(Number(c.env.ORIGIN_TIMEOUT_MS) || 5000),
    });
  } catch (err) {
    throw new HttpError('origin_unavailable', 'The origin did not answer in time; try again shortly', {
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

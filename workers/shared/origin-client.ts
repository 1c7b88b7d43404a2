/**
 * Calls to the origin, from the edge's request handlers and from the progress buffer's flush:
 * every one carries a service credential (service-credential.ts) and the request id; a dead or
 * slow origin becomes a 502, and one that keeps failing opens the isolate's breaker
 * (origin-breaker.ts): a 503 at once.
 */
import { HttpError } from '../../core/problem.ts';
import { REQUEST_ID_HEADER } from '../../core/request-id.ts';
import { REVOKED_SESSIONS_HEADER } from '../../core/wire.ts';
import { throughBreaker } from './origin-breaker.ts';
import { mintServiceCredential, type OriginCaller } from './service-credential.ts';

/** One call to the origin; everything comes in explicitly (no request context needed). */
export interface OriginRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path and query on the origin, e.g. `/v1/profiles`. */
  path: string;
  /** A validated body, sent as JSON. */
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

/** The revocation announcement is consumed (and stripped) by the edge's callOrigin. */
const PASSED_HEADERS = [
  'content-type',
  'cache-control',
  'etag',
  'last-modified',
  'retry-after',
  REVOKED_SESSIONS_HEADER,
];

/**
 * Answers the origin's response (status and the headers worth passing on) or throws 502
 * `origin_unavailable` when it cannot be reached in time.
 */
export async function originFetch(env: OriginBindings, request: OriginRequest): Promise<Response> {
  if (request.breaker === false) return fetchOrigin(env, request);
  return throughBreaker(env, () => fetchOrigin(env, request));
}

async function fetchOrigin(env: OriginBindings, request: OriginRequest): Promise<Response> {
  // Serialized once: the credential binds the digest of exactly these bytes.
  const body = request.body !== undefined ? JSON.stringify(request.body) : undefined;
  const credential = await mintServiceCredential(env.SERVICE_TOKEN_SECRET, { ...request, body });
  const headers = new Headers({
    authorization: `Bearer ${credential}`,
    [REQUEST_ID_HEADER]: request.requestId,
    accept: 'application/json',
  });
  if (body !== undefined) headers.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await fetch(new URL(request.path, env.ORIGIN_URL), {
      method: request.method,
      headers,
      ...(body !== undefined ? { body } : {}),
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

import { createMiddleware } from 'hono/factory';
import { HttpError } from '../../../core/problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../../core/request-id.ts';
import {
  bearerToken,
  identityOf,
  isProfile,
  verifyServiceToken,
  type AccountIdentity,
  type Identity,
} from '../../../core/tokens.ts';
import type { AppContext, AppDeps, OriginEnv } from './context.ts';

/** Makes the dependencies and a request id available, and logs each request once it is answered. */
export function requestContext(deps: AppDeps) {
  return createMiddleware<OriginEnv>(async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('deps', deps);
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    stampRequestId(c, requestId);
    const caller = c.get('caller');
    // The route template, never the raw path, so ids do not explode the label set.
    deps.metrics.httpRequestDuration.observe(
      { method: c.req.method, route: c.req.routePath, status: String(c.res.status) },
      (performance.now() - started) / 1000,
    );
    deps.log.info('http_request', {
      requestId,
      profileId: isProfile(caller) ? caller.profileId : undefined,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    });
  });
}

/**
 * Adds the request id to the response already made. `c.header` on a finalized response rebuilds
 * it around its body stream, which under @hono/node-server also turns its lightweight response
 * (a string written as is) into a full fetch Response streamed chunk by chunk: that cost more than
 * routing the request. The headers of a response we made are mutable, so they are set in place; a
 * response whose headers are immutable (a fetched one) still goes through `c.header`.
 */
function stampRequestId(c: AppContext, requestId: string): void {
  try {
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
  } catch {
    c.header(REQUEST_ID_HEADER, requestId);
  }
}

/** No origin route takes a larger body (the flush's 256 KiB is the largest). */
export const MAX_SIGNED_BODY_BYTES = 1024 * 1024;

/**
 * Every /v1 route is reachable only with the edge's service credential, minted for this exact
 * method, path and body, and used once. Identity comes from its claims, never from request
 * fields, and a profile it names must belong to the account it names (403 otherwise). A profile
 * PostgreSQL does not know passes: it belongs to no other account (test owners are such ids).
 */
export const requireServiceCredential = createMiddleware<OriginEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  const url = new URL(c.req.url);
  const { serviceSecret, serviceClockToleranceS, seenCredentials, profileOwners } = c.get('deps');
  const claims = await verifyServiceToken(
    token,
    serviceSecret,
    { method: c.req.method, pathAndQuery: url.pathname + url.search, body: () => takeRawBody(c) },
    new Date(),
    serviceClockToleranceS,
  );
  if (!seenCredentials.claim(claims.jti, claims.exp)) {
    throw new HttpError('invalid_token', 'Service credential was already used');
  }
  const caller = identityOf(claims);
  if (isProfile(caller)) {
    const owner = await profileOwners.ownerOf(caller.profileId);
    if (owner !== null && owner !== caller.accountId) {
      throw new HttpError('forbidden', "The credential's profile belongs to another account");
    }
  }
  c.set('caller', caller);
  c.set('sessionId', claims.sid);
  await next();
});

/**
 * The raw body bytes (none for a request without a body), read once: the request is replaced by
 * one carrying the same bytes, so routes read their body as usual.
 */
async function takeRawBody(c: AppContext): Promise<Uint8Array> {
  const raw = c.req.raw;
  // A GET or HEAD never has one (fetch's Request refuses it; @hono/node-server attaches none), and
  // asking for `body` makes @hono/node-server build the full fetch Request it otherwise avoids.
  if (raw.method === 'GET' || raw.method === 'HEAD' || raw.body === null) return new Uint8Array();
  const reader = raw.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_SIGNED_BODY_BYTES) {
      await reader.cancel();
      throw new HttpError('payload_too_large', `Body is larger than ${MAX_SIGNED_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  c.req.raw = new Request(raw, { body: bytes });
  return bytes;
}

/** The calling account, or 401 when the edge sent no user identity. */
export function callerAccount(caller: Identity | AccountIdentity | undefined): string {
  if (!caller) throw new HttpError('unauthenticated', 'This route needs a signed-in account');
  return caller.accountId;
}

/** The calling profile (with its account and maturity level), or 401 when the edge named none. */
export function callerProfile(caller: Identity | AccountIdentity | undefined): Identity {
  if (!isProfile(caller)) throw new HttpError('unauthenticated', 'This route needs a selected profile');
  return caller;
}

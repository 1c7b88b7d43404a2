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
import type { AppDeps, OriginEnv } from './context.ts';

/** Makes the dependencies and a request id available, and logs each request once it is answered. */
export function requestContext(deps: AppDeps) {
  return createMiddleware<OriginEnv>(async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('deps', deps);
    c.set('requestId', requestId);
    const started = performance.now();
    await next();
    c.header(REQUEST_ID_HEADER, requestId);
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
 * Every /v1 route is reachable only with the edge's service credential, minted for this exact
 * method and path. Identity comes from its claims, never from request fields.
 */
export const requireServiceCredential = createMiddleware<OriginEnv>(async (c, next) => {
  const token = bearerToken(c.req.header('authorization'));
  const url = new URL(c.req.url);
  const claims = await verifyServiceToken(token, c.get('deps').serviceSecret, {
    method: c.req.method,
    pathAndQuery: url.pathname + url.search,
  });
  c.set('caller', identityOf(claims));
  await next();
});

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

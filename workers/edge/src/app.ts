import { Hono } from 'hono';
import { HttpError, problemResponse } from '../../../core/problem.ts';
import { REQUEST_ID_HEADER, requestIdFrom } from '../../../core/request-id.ts';
import { errorText } from '../../../core/log.ts';
import { identityOf, isProfile, type UserClaims } from '../../../core/tokens.ts';
import { describeRoute } from '../../../core/api/openapi.ts';
import { ARTWORK_PATH_PREFIX } from '../../../core/artwork.ts';
import { requireUser } from './http/auth.ts';
import { requestMetrics } from './http/request-metrics.ts';
import type { AppContext, EdgeEnv } from './http/context.ts';
import { rateLimit } from './http/rate-limit.ts';
import { edgeLogger } from './log.ts';
import { healthDoc, mountOpenApi } from './openapi.ts';
import { artwork } from './routes/artwork.ts';
import { auth } from './routes/auth.ts';
import { continueWatching } from './routes/continue-watching.ts';
import { experiments } from './routes/experiments.ts';
import { history } from './routes/history.ts';
import { home } from './routes/home.ts';
import { MEDIA_PATH_PREFIX, media } from './routes/media.ts';
import { playback } from './routes/playback.ts';
import { license } from './routes/license.ts';
import { profiles } from './routes/profiles.ts';
import { search } from './routes/search.ts';
import { progress } from './routes/progress.ts';
import { INVALIDATE_PATH, progressInvalidate } from './routes/progress-invalidate.ts';
import { account, sessions } from './routes/sessions.ts';
import { SESSION_EVENTS_PATH, sessionEvents } from './routes/session-events.ts';
import { streams } from './routes/streams.ts';
import { catalog } from './routes/catalog.ts';

/** Routes that answer without a user token; every other /v1 route verifies one first. */
const PUBLIC_API = new Set(['/v1/auth/login', '/v1/auth/refresh']);
/** Fetched by players, which cannot add headers: a signed segment token in the URL is the credential. */
const SEGMENT_TOKEN_API = (path: string) =>
  path.startsWith(MEDIA_PATH_PREFIX) || /^\/v1\/playback\/[^/]+\/hls\//.test(path);
/** Images for `<img>`, which sends no token: the same for everyone, and only what the catalog lists. */
const PUBLIC_PREFIXES = [ARTWORK_PATH_PREFIX];

/** The profile a verified token names, for log lines (none before the token check, or for an account token). */
function profileIdOf(c: AppContext): string | undefined {
  const user = c.get('user') as UserClaims | undefined;
  const who = user && identityOf(user);
  return isProfile(who) ? who.profileId : undefined;
}

export function createEdgeApp(): Hono<EdgeEnv> {
  const app = new Hono<EdgeEnv>();
  // One request id from the edge to the origin and back: accepted when well-formed, else minted,
  // sent on every origin call, echoed to the client, and on every log line about the request.
  app.use('*', async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    const log = edgeLogger(c.env);
    c.set('requestId', requestId);
    c.set('log', log);
    const started = Date.now();
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, requestId);
    // Debug: Workers already log every invocation with its status; this line adds the route and
    // ids for when an operator turns it on (and costs a console write per request when on).
    log.debug('http_request', {
      requestId,
      profileId: profileIdOf(c),
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  });
  app.use('*', requestMetrics());
  app.get('/healthz', describeRoute(healthDoc), (c) => c.json({ status: 'ok' }));
  mountOpenApi(app);
  app.use('/v1/*', async (c, next) => {
    const path = new URL(c.req.url).pathname;
    // The sign-out socket checks its token itself: a browser sends it as a WebSocket subprotocol.
    if (PUBLIC_API.has(path) || SEGMENT_TOKEN_API(path) || path === SESSION_EVENTS_PATH) return next();
    if (PUBLIC_PREFIXES.some((p) => path.startsWith(p))) return next();
    return requireUser('any')(c, next);
  });
  // After the token check, so a signed-in caller is limited by account rather than by address.
  app.use('/v1/*', rateLimit());
  app.route('/v1/auth', auth);
  app.route('/v1/profiles', profiles);
  app.route(SESSION_EVENTS_PATH, sessionEvents);
  app.route('/v1/sessions', sessions);
  app.route('/v1/account', account);
  app.route('/v1/progress', progress);
  app.route(INVALIDATE_PATH, progressInvalidate);
  app.route('/v1/continue-watching', continueWatching);
  app.route('/v1/history', history);
  app.route('/v1/experiments', experiments);
  app.route('/v1/home', home);
  app.route('/v1/titles', catalog);
  app.route('/v1/search', search);
  app.route('/v1/playback', playback);
  app.route('/v1/streams', streams);
  app.route('/v1/license', license);
  app.route('/v1/media', media);
  app.route('/v1/artwork', artwork);

  app.notFound((c) =>
    problemResponse(new HttpError('not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), {
      requestId: c.get('requestId'),
    }),
  );
  app.onError((err, c) => {
    if (!(err instanceof HttpError) || err.status >= 500) {
      // A dependency that is down is expected now and then (warn); anything else is a bug (error).
      const expected = err instanceof HttpError && (err.status === 502 || err.status === 503 || err.status === 504);
      c.get('log')[expected ? 'warn' : 'error']('request_failed', {
        requestId: c.get('requestId'),
        profileId: profileIdOf(c),
        route: c.req.routePath,
        status: err instanceof HttpError ? err.status : 500,
        error: errorText(err),
      });
    }
    return problemResponse(err, { requestId: c.get('requestId'), instance: new URL(c.req.url).pathname });
  });
  return app;
}

import { Hono } from 'hono';
import { HttpError, problemResponse } from '../../core/problem.ts';
import type { OriginDeps, OriginEnv } from './http/context.ts';
import { ProfileOwners, SeenCredentials } from './http/credential-checks.ts';
import { requestContext, requireServiceCredential } from './http/middleware.ts';
import { requireOperator } from './http/operator-key.ts';
import { mountOpenApi } from './openapi.ts';
import { account } from './routes/account.ts';
import { artwork } from './routes/artwork.ts';
import { auth } from './routes/auth.ts';
import { catalog } from './routes/catalog.ts';
import { continueWatching } from './routes/continue-watching.ts';
import { edgeReports } from './routes/edge-reports.ts';
import { experiments } from './routes/experiments.ts';
import { health } from './routes/health.ts';
import { history } from './routes/history.ts';
import { home } from './routes/home.ts';
import { metricsScrape } from './routes/metrics-scrape.ts';
import { operator } from './routes/operator.ts';
import { playback } from './routes/playback.ts';
import { operatorTitles } from './routes/operator-titles.ts';
import { profiles } from './routes/profiles.ts';
import { progress } from './routes/progress.ts';
import { sessions } from './routes/sessions.ts';
import { search } from './routes/search.ts';
import { contentKeys } from './routes/content-keys.ts';
import { titleSummaries } from './routes/title-summaries.ts';
import { createShelves, DEFAULT_SHELF_TTL_MS } from './home/shelves.ts';
import { progressCommitter } from './progress/group-commit.ts';
import { createBreakers } from './telemetry/breakers.ts';
import { guardStores } from './telemetry/guarded-stores.ts';
import { createMetrics } from './telemetry/metrics.ts';

/** The origin HTTP app: route groups mounted behind the service credential, one error handler. */
/** Methods the origin never serves (RFC 9110 §9.3.8 TRACE, §9.3.6 CONNECT). */
const UNSUPPORTED_METHODS = new Set(['TRACE', 'CONNECT']);

export function createApp(origin: OriginDeps): Hono<OriginEnv> {
  const metrics = createMetrics();
  const breakers = createBreakers(metrics, origin.log, origin.breakerSettings);
  const stores = guardStores(origin.stores, metrics, breakers);
  const deps = {
    ...origin,
    stores,
    metrics,
    breakers,
    seenCredentials: new SeenCredentials(),
    profileOwners: new ProfileOwners((profileIds) => stores.accounts.profileOwners(profileIds)),
    shelves: createShelves(stores.home, { ttlMs: origin.homeSharedTtlMs ?? DEFAULT_SHELF_TTL_MS }),
    progressCommits: progressCommitter(stores),
  };
  const app = new Hono<OriginEnv>();
  app.use('*', requestContext(deps));
  // No route answers these, and Node's fetch Request refuses to be built for them, so any body
  // read would throw: refuse them before anything reads the request.
  app.use('*', async (c, next) => {
    if (UNSUPPORTED_METHODS.has(c.req.method)) {
      throw new HttpError('method_not_allowed', `${c.req.method} is not supported`, {
        headers: { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE' },
      });
    }
    await next();
  });
  app.route('/', health);
  // Prometheus scrape: operators only (OPERATOR_API_KEY), like the operator API; see the README.
  app.use('/metrics', requireOperator);
  app.route('/metrics', metricsScrape);
  app.use('/v1/*', requireServiceCredential);
  app.route('/v1/auth', auth);
  app.route('/v1/profiles', profiles);
  app.route('/v1/sessions', sessions);
  app.route('/v1/account', account);
  app.route('/v1/titles', catalog);
  app.route('/v1/search', search);
  // Routes only the edge and the progress buffer call, composed into the public API at the edge.
  app.use('/internal/v1/*', requireServiceCredential);
  app.route('/internal/v1/titles', titleSummaries);
  app.route('/internal/v1/artwork', artwork);
  app.route('/internal/v1/progress', progress);
  app.route('/internal/v1/continue-watching', continueWatching);
  app.route('/internal/v1/history', history);
  app.route('/internal/v1/home', home);
  app.route('/internal/v1/playback', playback);
  app.route('/internal/v1/content-keys', contentKeys);
  app.route('/internal/v1/experiments', experiments);
  app.route('/internal/v1/edge-metrics', edgeReports);
  // Operators only (OPERATOR_API_KEY); the edge has no route here.
  app.use('/operator/v1/*', requireOperator);
  app.route('/operator/v1', operator);
  app.route('/operator/v1', operatorTitles);
  mountOpenApi(app);

  app.notFound((c) =>
    problemResponse(new HttpError('not_found', `No route for ${c.req.method} ${new URL(c.req.url).pathname}`), {
      requestId: c.get('requestId'),
    }),
  );
  app.onError((err, c) => {
    const requestId = c.get('requestId');
    if (!(err instanceof HttpError) || err.status >= 500) {
      c.get('deps').log.error('request_failed', { requestId, route: c.req.routePath, error: err });
    }
    return problemResponse(err, { requestId, instance: new URL(c.req.url).pathname });
  });
  return app;
}

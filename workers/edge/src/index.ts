/** Edge worker entry: the Hono app for every request, and the Durable Object classes it binds. */
import { createEdgeApp } from './app.ts';

export { FlushRelay } from '../../flush-relay/src/flush-relay.ts';
export { ProgressBuffer } from '../../progress-buffer/src/progress-buffer.ts';
export { RateLimiter } from '../../rate-limiter/src/rate-limiter.ts';
export { RevocationFeed } from '../../revocation-feed/src/revocation-feed.ts';
export { SessionGuard } from '../../session-guard/src/session-guard.ts';
export { StreamLeases } from '../../stream-leases/src/stream-leases.ts';

const app = createEdgeApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

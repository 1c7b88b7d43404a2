/** Edge worker entry: the Hono app for every request. */
import { createEdgeApp } from './app.ts';

const app = createEdgeApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

import { Hono } from 'hono';
import type { OriginEnv } from '../http/context.ts';

/** `GET /metrics`: this instance's registry in the Prometheus text format. */
export const metricsScrape = new Hono<OriginEnv>().get('/', async (c) => {
  const { registry } = c.get('deps').metrics;
  return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
});

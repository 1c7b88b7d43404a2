import { Hono } from 'hono';
import type { OriginEnv } from '../http/context.ts';

/** Liveness (the process answers) and readiness (every store answers). */
export const health = new Hono<OriginEnv>()
  .get('/healthz', (c) => c.json({ status: 'ok' }))
  .get('/readyz', async (c) => {
    const checks = await c.get('deps').stores.readiness();
    const ready = Object.values(checks).every((check) => check.ok);
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });

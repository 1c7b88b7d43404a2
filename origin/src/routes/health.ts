import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { HealthStatus, Readiness } from '../../../core/api/schemas.ts';
import type { OriginEnv } from '../http/context.ts';

const healthDoc: OperationSpec = {
  operationId: 'health',
  summary: 'Liveness: the process answers',
  tags: ['meta'],
  security: [],
  responses: { 200: json(HealthStatus, 'Alive', { status: 'ok' }) },
};
const readyDoc: OperationSpec = {
  operationId: 'ready',
  summary: 'Readiness: every store answers',
  tags: ['meta'],
  security: [],
  responses: { 200: json(Readiness, 'Every store answers'), 503: json(Readiness, 'A store does not answer') },
};

/** Liveness (the process answers) and readiness (every store answers). */
export const health = new Hono<OriginEnv>()
  .get('/healthz', describeRoute(healthDoc), (c) => c.json({ status: 'ok' }))
  .get('/readyz', describeRoute(readyDoc), async (c) => {
    const checks = await c.get('deps').stores.readiness();
    const ready = Object.values(checks).every((check) => check.ok);
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });

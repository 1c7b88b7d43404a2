import { Hono } from 'hono';
import { describeRoute, type OperationSpec } from '../../../core/api/openapi.ts';
import type { OriginEnv } from '../http/context.ts';

const metricsDoc: OperationSpec = {
  operationId: 'metrics',
  summary: "This instance's metrics (Prometheus text format)",
  tags: ['meta'],
  security: ['operatorKey'],
  responses: { 200: { description: 'The registry', content: { 'text/plain': { type: 'string' } } } },
};

/** `GET /metrics`: this instance's registry in the Prometheus text format. */
export const metricsScrape = new Hono<OriginEnv>().get('/', describeRoute(metricsDoc), async (c) => {
  const { registry } = c.get('deps').metrics;
  return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
});

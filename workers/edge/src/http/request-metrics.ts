/**
 * Edge counters for the origin's `/metrics` (Workers cannot be scraped): each isolate aggregates
 * requests by route template and status, and sends them with `waitUntil` at most every few
 * seconds to `POST /internal/v1/edge-metrics`. A failed report is kept for the next one.
 */
import { createMiddleware } from 'hono/factory';
import type { EdgeMetrics } from '../../../../core/edge-metrics.ts';
import { isolateMetrics } from '../../../shared/isolate-metrics.ts';
import { originFetch } from '../../../shared/origin-client.ts';
import type { EdgeEnv } from './context.ts';

export const EDGE_METRICS_PATH = '/internal/v1/edge-metrics';

/** Sends what `metrics` has gathered (when a report is due); an undelivered report is put back. */
export async function report(env: Env, requestId: string, metrics: EdgeMetrics): Promise<void> {
  const body = metrics.drain();
  if (!body) return;
  try {
    const res = await originFetch(env, { method: 'POST', path: EDGE_METRICS_PATH, body, requestId, timeoutMs: 2000 });
    if (!res.ok) metrics.restore(body);
  } catch {
    metrics.restore(body);
  }
}

/** Counts every answered request (route template, never the raw path) and reports when due. */
export function requestMetrics(metrics: EdgeMetrics = isolateMetrics) {
  return createMiddleware<EdgeEnv>(async (c, next) => {
    const started = Date.now();
    await next();
    const route = c.req.routePath;
    metrics.count('edge_requests_total', { method: c.req.method, route, status: String(c.res.status) });
    metrics.time('edge_request_seconds', { route }, (Date.now() - started) / 1000);
    let waitUntil: (p: Promise<unknown>) => void;
    try {
      const ctx = c.executionCtx;
      waitUntil = (p) => ctx.waitUntil(p);
    } catch {
      return; // No execution context (a direct app.request()): keep counting, report later.
    }
    waitUntil(report(c.env, c.get('requestId'), metrics));
  });
}

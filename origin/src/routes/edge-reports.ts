/**
 * `POST /internal/v1/edge-metrics`: the edge's aggregated counters and timings, added to this
 * origin's registry with `source="edge"` (behind the service credential like every internal route).
 */
import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, type OperationSpec } from '../../../core/api/openapi.ts';
import type { Counter, Histogram } from 'prom-client';
import {
  EDGE_COUNTERS,
  EDGE_TIMINGS,
  EdgeMetricsReport,
  type EdgeCounter,
  type EdgeTiming,
} from '../../../core/edge-metrics.ts';
import { jsonBody } from '../http/body.ts';
import type { OriginEnv } from '../http/context.ts';
import type { Metrics } from '../telemetry/metrics.ts';

const REPORT_BYTES = 512 * 1024;

function counterOf(metrics: Metrics, name: EdgeCounter): Counter<string> {
  switch (name) {
    case 'edge_requests_total':
      return metrics.edgeRequests;
    case 'edge_rate_limited_total':
      return metrics.edgeRateLimited;
    case 'edge_origin_breaker_events_total':
      return metrics.edgeOriginBreaker;
    case 'streaming_starts_total':
      return metrics.streamingStarts;
    case 'streaming_playback_errors_total':
      return metrics.playbackErrors;
    case 'experiment_allocations_total':
      return metrics.experimentAllocations;
  }
}

function histogramOf(metrics: Metrics, name: EdgeTiming): Histogram<string> {
  switch (name) {
    case 'edge_request_seconds':
      return metrics.edgeRequestSeconds;
    case 'manifest_generation_seconds':
      return metrics.manifestGeneration;
    case 'edge_token_seconds':
      return metrics.edgeTokenSeconds;
  }
}

/** Only the label names each series declares, so a report cannot grow the label set. */
function labelsFor(allowed: readonly string[], given: Record<string, string>): Record<string, string> {
  return Object.fromEntries([['source', 'edge'], ...allowed.map((k) => [k, given[k] ?? ''])]);
}

const reportDoc: OperationSpec = {
  operationId: 'reportEdgeMetrics',
  summary: 'The edge\'s aggregated counters and timings, added with source="edge"',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: EdgeMetricsReport },
  responses: { 204: { description: 'Added' } },
  problems: BODY_PROBLEMS,
};

export const edgeReports = new Hono<OriginEnv>().post('/', describeRoute(reportDoc), async (c) => {
  const report = await jsonBody(c, EdgeMetricsReport, 'edge metrics report', REPORT_BYTES);
  const { metrics } = c.get('deps');
  for (const { name, labels, value } of report.counters) {
    counterOf(metrics, name).inc(labelsFor(EDGE_COUNTERS[name], labels), value);
  }
  for (const { name, labels, seconds } of report.timings) {
    const series = histogramOf(metrics, name).labels(labelsFor(EDGE_TIMINGS[name], labels));
    for (const s of seconds) series.observe(s);
  }
  return c.body(null, 204);
});

/**
 * Prometheus metrics of one origin instance (prom-client). Each instance has its own registry, so
 * several origins in one process (tests) do not share series.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Dependencies behind a breaker, as the `service` label names them. */
export type Service = 'postgres' | 'cassandra' | 'kafka' | 'personalization';

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Origin HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: SECONDS,
      registers,
    }),
    storeCallDuration: new Histogram({
      name: 'store_call_duration_seconds',
      help: 'Calls to a backing store (postgres, cassandra, kafka) by store and method',
      labelNames: ['service', 'store', 'method'] as const,
      buckets: SECONDS,
      registers,
    }),
    storeCallErrors: new Counter({
      name: 'store_call_errors_total',
      help: 'Failed calls to a backing store, including calls refused by an open breaker',
      labelNames: ['service', 'store', 'method', 'reason'] as const,
      registers,
    }),
    circuitBreakerState: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Breaker state per dependency: 0 closed, 1 half-open, 2 open',
      labelNames: ['service'] as const,
      registers,
    }),
    streamingStarts: new Counter({
      name: 'streaming_starts_total',
      help: 'Playback sources handed out for a stream start',
      labelNames: ['source'] as const,
      registers,
    }),
    playbackErrors: new Counter({
      name: 'streaming_playback_errors_total',
      help: 'Playback starts that failed, by reason',
      labelNames: ['source', 'reason'] as const,
      registers,
    }),
    manifestGeneration: new Histogram({
      name: 'manifest_generation_seconds',
      help: 'Manifest building time (reported by the edge)',
      labelNames: ['source'] as const,
      buckets: SECONDS,
      registers,
    }),
    progressWrite: new Histogram({
      name: 'progress_write_seconds',
      help: 'Progress flush writes (store and event log) at the origin',
      buckets: SECONDS,
      registers,
    }),
    progressFlushRows: new Histogram({
      name: 'progress_flush_rows',
      help: 'Rows per progress flush from the progress buffer',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers,
    }),
    progressFlushLag: new Histogram({
      name: 'progress_flush_lag_seconds',
      help: 'Age of the oldest event in a flushed batch when it reached the origin',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    experimentAllocations: new Counter({
      name: 'experiment_allocations_total',
      help: 'Experiment variant allocations (reported by the edge)',
      labelNames: ['source', 'experiment', 'variant'] as const,
      registers,
    }),
    edgeRequests: new Counter({
      name: 'edge_requests_total',
      help: 'Edge requests by route template and status (reported by the edge)',
      labelNames: ['source', 'method', 'route', 'status'] as const,
      registers,
    }),
    edgeRateLimited: new Counter({
      name: 'edge_rate_limited_total',
      help: 'Requests over a rate limit at the edge, by tier; mode="shadow" ones were let through (reported by the edge)',
      labelNames: ['source', 'tier', 'mode'] as const,
      registers,
    }),
    edgeOriginBreaker: new Counter({
      name: 'edge_origin_breaker_events_total',
      help: 'The edge breaker around the origin: opened, half_open, closed, and calls rejected while open (reported by the edge)',
      labelNames: ['source', 'event'] as const,
      registers,
    }),
    edgeRequestSeconds: new Histogram({
      name: 'edge_request_seconds',
      help: 'Edge request time by route template (reported by the edge)',
      labelNames: ['source', 'route'] as const,
      buckets: SECONDS,
      registers,
    }),
    edgeTokenSeconds: new Histogram({
      name: 'edge_token_seconds',
      help: 'Token signing and verification time at the edge (reported by the edge)',
      labelNames: ['source', 'kind'] as const,
      buckets: SECONDS,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Edge counters carried to the origin (Workers cannot be scraped): the wire format of
 * `POST /internal/v1/edge-metrics`, and the per-isolate aggregator that fills it.
 */
import { z } from 'zod';

/** Counters the edge reports, and the labels each carries (anything else is refused). */
export const EDGE_COUNTERS = {
  edge_requests_total: ['method', 'route', 'status'],
  edge_rate_limited_total: ['tier', 'mode'],
  edge_origin_breaker_events_total: ['event'],
  streaming_starts_total: [],
  streaming_playback_errors_total: ['reason'],
  experiment_allocations_total: ['experiment', 'variant'],
} as const;
/** Timings the edge reports, in seconds. */
export const EDGE_TIMINGS = {
  edge_request_seconds: ['route'],
  manifest_generation_seconds: [],
  edge_token_seconds: ['kind'],
} as const;

export type EdgeCounter = keyof typeof EDGE_COUNTERS;
export type EdgeTiming = keyof typeof EDGE_TIMINGS;

const Labels = z.record(z.string().max(32), z.string().max(200));

export const EdgeMetricsReport = z.strictObject({
  counters: z
    .array(
      z.strictObject({
        name: z.enum(Object.keys(EDGE_COUNTERS) as [EdgeCounter, ...EdgeCounter[]]),
        labels: Labels,
        value: z.number().int().positive(),
      }),
    )
    .max(1000),
  timings: z
    .array(
      z.strictObject({
        name: z.enum(Object.keys(EDGE_TIMINGS) as [EdgeTiming, ...EdgeTiming[]]),
        labels: Labels,
        seconds: z.array(z.number().nonnegative().max(3600)).max(1000),
      }),
    )
    .max(200),
});
export type EdgeMetricsReport = z.infer<typeof EdgeMetricsReport>;

/** Observations kept per timing series between reports; later ones are dropped (counts stay exact). */
const MAX_OBSERVATIONS = 200;

/** Aggregates counters and timings in one isolate; `drain` answers a report at most every `intervalMs`. */
export class EdgeMetrics {
  #counters = new Map<string, { name: EdgeCounter; labels: Record<string, string>; value: number }>();
  #timings = new Map<string, { name: EdgeTiming; labels: Record<string, string>; seconds: number[] }>();
  #lastReport: number;

  constructor(
    readonly intervalMs = 5000,
    now = Date.now(),
  ) {
    this.#lastReport = now;
  }

  count(name: EdgeCounter, labels: Record<string, string>, value = 1): void {
    const key = `${name}${JSON.stringify(labels)}`;
    const entry = this.#counters.get(key) ?? { name, labels, value: 0 };
    entry.value += value;
    this.#counters.set(key, entry);
  }

  time(name: EdgeTiming, labels: Record<string, string>, seconds: number): void {
    const key = `${name}${JSON.stringify(labels)}`;
    const entry = this.#timings.get(key) ?? { name, labels, seconds: [] };
    if (entry.seconds.length < MAX_OBSERVATIONS) entry.seconds.push(Math.max(0, seconds));
    this.#timings.set(key, entry);
  }

  /** The report to send now and resets, or null when one was sent recently or there is nothing. */
  drain(now = Date.now()): EdgeMetricsReport | null {
    if (now - this.#lastReport < this.intervalMs) return null;
    if (this.#counters.size === 0 && this.#timings.size === 0) return null;
    this.#lastReport = now;
    const report = { counters: [...this.#counters.values()], timings: [...this.#timings.values()] };
    this.#counters = new Map();
    this.#timings = new Map();
    return report;
  }

  /** Puts a report that could not be delivered back, so its counts are sent with the next one. */
  restore(report: EdgeMetricsReport): void {
    for (const c of report.counters) this.count(c.name, c.labels, c.value);
    for (const t of report.timings) for (const s of t.seconds) this.time(t.name, t.labels, s);
  }
}

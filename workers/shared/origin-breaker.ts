/**
 * The edge's circuit breaker around the origin (core/breaker.ts), one per isolate. It counts calls
 * that got no answer in time (network error, timeout) or a gateway error (502/504); a 503 is the
 * origin answering that one of its own dependencies is down, which its own breakers handle, so it
 * does not count.
 *
 * Past `threshold` failures over `windowSeconds` (with at least `minimumRps` calls a second, so a
 * quiet isolate does not trip on two bad calls) the breaker opens: calls fail at once with 503
 * and `Retry-After` instead of each waiting out its timeout on a dead origin. After
 * `halfOpenAfterSeconds` one probe goes through; its success closes the breaker.
 *
 * The isolate's requests and Durable Objects share it, and each is its own I/O context, so the
 * breaker keeps only numbers between calls (a shared promise or AbortSignal fails across Durable
 * Objects).
 */
import { z } from 'zod';
import { SamplingBreaker, type BreakerState } from '../../core/breaker.ts';
import { HttpError } from '../../core/problem.ts';
import { isolateMetrics } from './isolate-metrics.ts';

export const OriginBreakerSettings = z.strictObject({
  threshold: z.number().gt(0).lt(1).default(0.5),
  windowSeconds: z.number().min(1).max(600).default(10),
  minimumRps: z.number().positive().max(1000).default(1),
  halfOpenAfterSeconds: z.number().min(0.1).max(600).default(5),
});
export type OriginBreakerSettings = z.infer<typeof OriginBreakerSettings>;

const COUNTED_STATUS = new Set([502, 504]);

/**
 * How long a probe may go without reporting before another call may probe: longer than any origin
 * call lasts (its timeout), for a probe whose request was cancelled and never reports.
 */
const PROBE_TIMEOUT_MS = 30_000;

interface Isolate {
  source: string | undefined;
  breaker: SamplingBreaker;
}
let isolate: Isolate | undefined;

/** `ORIGIN_BREAKER` parsed (JSON overrides over the defaults); a bad value fails loudly. */
export function parseBreakerSettings(source: string | undefined): OriginBreakerSettings {
  const raw: unknown = source && source.trim() !== '' ? JSON.parse(source) : {};
  return OriginBreakerSettings.parse(raw);
}

const EVENTS: Record<BreakerState, string> = { open: 'opened', half_open: 'half_open', closed: 'closed' };

function breakerFor(env: Pick<Env, 'ORIGIN_BREAKER'>): Isolate {
  if (isolate && isolate.source === env.ORIGIN_BREAKER) return isolate;
  const settings = parseBreakerSettings(env.ORIGIN_BREAKER);
  const breaker = new SamplingBreaker(
    {
      threshold: settings.threshold,
      windowMs: settings.windowSeconds * 1000,
      minimumRps: settings.minimumRps,
      halfOpenAfterMs: settings.halfOpenAfterSeconds * 1000,
      probeTimeoutMs: PROBE_TIMEOUT_MS,
    },
    (state) => isolateMetrics.count('edge_origin_breaker_events_total', { event: EVENTS[state] }),
  );
  isolate = { source: env.ORIGIN_BREAKER, breaker };
  return isolate;
}

/** The breaker's state in this isolate (tests and the metrics report). */
export function originBreakerState(): BreakerState {
  return isolate?.breaker.state ?? 'closed';
}

/** Counted as a failure: no answer in time, or a gateway error. */
const counts = (err: unknown) => err instanceof HttpError && err.code === 'origin_unavailable';

/**
 * Runs one origin call through the breaker. `call` throws HttpError `origin_unavailable` when
 * the origin did not answer; a 502/504 answer counts as a failure but is still returned.
 */
export async function throughBreaker(
  env: Pick<Env, 'ORIGIN_BREAKER'>,
  call: () => Promise<Response>,
): Promise<Response> {
  const { breaker } = breakerFor(env);
  const admission = breaker.admit(Date.now());
  if (!admission.go) {
    isolateMetrics.count('edge_origin_breaker_events_total', { event: 'rejected' });
    const retryAfter = String(Math.max(1, Math.ceil(admission.retryAfterMs / 1000)));
    throw new HttpError('unavailable', `The origin is failing; calls to it are paused for ${retryAfter} s`, {
      headers: { 'retry-after': retryAfter },
    });
  }
  let response: Response;
  try {
    response = await call();
  } catch (err) {
    // An error that says nothing about the origin (a bug) is not counted, but ends a probe: the
    // origin did not fail it.
    if (counts(err)) breaker.failure(admission.probe, Date.now());
    else if (admission.probe) breaker.success(true, Date.now());
    throw err;
  }
  if (COUNTED_STATUS.has(response.status)) breaker.failure(admission.probe, Date.now());
  else breaker.success(admission.probe, Date.now());
  return response;
}

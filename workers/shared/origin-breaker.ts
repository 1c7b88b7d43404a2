/**
 * The edge's circuit breaker around the origin (cockatiel: a maintained, timer-free breaker that
 * runs in Workers). One per isolate. It counts calls that got no answer in time (network error,
 * timeout) or a gateway error (502/504); a 503 is the origin answering that one of its own
 * dependencies is down, which its own breakers handle, so it does not count.
 *
 * Past `threshold` failures over `windowSeconds` (with at least `minimumRps` calls a second, so a
 * quiet isolate does not trip on two bad calls) the breaker opens: calls fail at once with 503
 * and `Retry-After` instead of each waiting out its timeout on a dead origin. After
 * `halfOpenAfterSeconds` one probe goes through; its success closes the breaker.
 */
import type * as CockatielModule from 'cockatiel';
import type { CircuitBreakerPolicy } from 'cockatiel';
import { z } from 'zod';
import { HttpError } from '../../core/problem.ts';
import { isolateMetrics } from './isolate-metrics.ts';

export const OriginBreakerSettings = z.strictObject({
  threshold: z.number().gt(0).lt(1).default(0.5),
  windowSeconds: z.number().min(1).max(600).default(10),
  minimumRps: z.number().positive().max(1000).default(1),
  halfOpenAfterSeconds: z.number().min(0.1).max(600).default(5),
});
export type OriginBreakerSettings = z.infer<typeof OriginBreakerSettings>;

/** Thrown inside the breaker for a gateway error, so it counts; turned back into the response. */
class GatewayFailure extends Error {
  constructor(readonly response: Response) {
    super(`origin gateway answered ${response.status}`);
  }
}

const COUNTED_STATUS = new Set([502, 504]);

type Cockatiel = typeof CockatielModule;
/**
 * cockatiel aborts an AbortController when its module is evaluated, which Workers refuse in the
 * global scope ("Disallowed operation called within global scope"): it is loaded on first use,
 * inside a request. The bundler keeps it in the bundle and evaluates it lazily.
 */
let library: Promise<Cockatiel> | undefined;
let loaded: Cockatiel | undefined;
async function cockatiel(): Promise<Cockatiel> {
  library ??= import('cockatiel').then((module) => (loaded = module));
  return library;
}

interface Isolate {
  source: string | undefined;
  settings: OriginBreakerSettings;
  policy: CircuitBreakerPolicy;
  openedAt: number;
}
let isolate: Isolate | undefined;

/** `ORIGIN_BREAKER` parsed (JSON overrides over the defaults); a bad value fails loudly. */
export function parseBreakerSettings(source: string | undefined): OriginBreakerSettings {
  const raw: unknown = source && source.trim() !== '' ? JSON.parse(source) : {};
  return OriginBreakerSettings.parse(raw);
}

async function breakerFor(env: Pick<Env, 'ORIGIN_BREAKER'>): Promise<Isolate> {
  if (isolate && isolate.source === env.ORIGIN_BREAKER) return isolate;
  const { CircuitState, SamplingBreaker, circuitBreaker, handleWhen } = await cockatiel();
  if (isolate && isolate.source === env.ORIGIN_BREAKER) return isolate;
  const settings = parseBreakerSettings(env.ORIGIN_BREAKER);
  const transitions: Record<number, string> = {
    [CircuitState.Open]: 'opened',
    [CircuitState.HalfOpen]: 'half_open',
    [CircuitState.Closed]: 'closed',
    [CircuitState.Isolated]: 'isolated',
  };
  const policy = circuitBreaker(
    handleWhen(
      (err) => err instanceof GatewayFailure || (err instanceof HttpError && err.code === 'origin_unavailable'),
    ),
    {
      halfOpenAfter: settings.halfOpenAfterSeconds * 1000,
      breaker: new SamplingBreaker({
        threshold: settings.threshold,
        duration: settings.windowSeconds * 1000,
        minimumRps: settings.minimumRps,
      }),
    },
  );
  const created: Isolate = { source: env.ORIGIN_BREAKER, settings, policy, openedAt: 0 };
  policy.onStateChange((state) => {
    if (state === CircuitState.Open) created.openedAt = Date.now();
    isolateMetrics.count('edge_origin_breaker_events_total', { event: transitions[state] ?? String(state) });
  });
  isolate = created;
  return created;
}

/** The breaker's state in this isolate (tests and the metrics report). */
export function originBreakerState(): 'closed' | 'open' | 'half_open' {
  const state = isolate?.policy.state;
  if (!loaded || state === undefined) return 'closed';
  const { CircuitState } = loaded;
  if (state === CircuitState.Open || state === CircuitState.Isolated) return 'open';
  if (state === CircuitState.HalfOpen) return 'half_open';
  return 'closed';
}

/**
 * Runs one origin call through the breaker. `call` throws HttpError `origin_unavailable` when
 * the origin did not answer; a 502/504 answer counts as a failure but is still returned.
 */
export async function throughBreaker(
  env: Pick<Env, 'ORIGIN_BREAKER'>,
  call: () => Promise<Response>,
): Promise<Response> {
  const breaker = await breakerFor(env);
  const { BrokenCircuitError } = loaded!;
  try {
    return await breaker.policy.execute(async () => {
      const response = await call();
      if (COUNTED_STATUS.has(response.status)) throw new GatewayFailure(response);
      return response;
    });
  } catch (err) {
    if (err instanceof GatewayFailure) return err.response;
    if (err instanceof BrokenCircuitError) {
      isolateMetrics.count('edge_origin_breaker_events_total', { event: 'rejected' });
      const waitMs = breaker.settings.halfOpenAfterSeconds * 1000 - (Date.now() - breaker.openedAt);
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
      throw new HttpError('unavailable', `The origin is failing; calls to it are paused for ${retryAfter} s`, {
        headers: { 'retry-after': retryAfter },
      });
    }
    throw err;
  }
}

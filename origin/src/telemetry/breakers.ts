/**
 * Circuit breakers (opossum) around each dependency of the origin: a failure-rate window, a
 * minimum volume before it may open, a timeout per call, and half-open probes after `resetMs`.
 * An open breaker, or a call over its budget, answers 503 `unavailable` with `Retry-After`.
 */
import CircuitBreaker from 'opossum';
import { HttpError } from '../../../core/problem.ts';
import type { Logger } from '../log.ts';
import type { Metrics, Service } from './metrics.ts';

export interface BreakerSettings {
  /** Budget of one call; over it the call fails (and counts as a failure). */
  timeoutMs: number;
  /** Failure percentage in the rolling window that opens the breaker. */
  errorThresholdPercentage: number;
  /** Calls in the window before the breaker may open at all. */
  volumeThreshold: number;
  /** Rolling window length. */
  windowMs: number;
  /** Time open before a half-open probe is let through. */
  resetMs: number;
}

/** Budgets per dependency: no request waits on a dead dependency longer than these. */
const BREAKER_DEFAULTS: Record<Service, BreakerSettings> = {
  postgres: { timeoutMs: 5000, errorThresholdPercentage: 50, volumeThreshold: 5, windowMs: 10_000, resetMs: 5000 },
  cassandra: { timeoutMs: 5000, errorThresholdPercentage: 50, volumeThreshold: 5, windowMs: 10_000, resetMs: 5000 },
  kafka: { timeoutMs: 8000, errorThresholdPercentage: 50, volumeThreshold: 5, windowMs: 10_000, resetMs: 5000 },
  personalization: {
    timeoutMs: 6000,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    windowMs: 10_000,
    resetMs: 5000,
  },
};

const STATE = { closed: 0, halfOpen: 1, open: 2 } as const;
const OUR_CODES = new Set(['EOPENBREAKER', 'ETIMEDOUT']);
/** SQLSTATE classes that say the database itself is in trouble, not that the query was refused. */
const PG_INFRA_CLASSES = new Set(['08', '53', '57', '58', 'XX']);

/**
 * Errors that say nothing about the dependency's health (a refused request, a constraint) do not
 * count towards opening the breaker.
 */
export function isCallerError(err: unknown): boolean {
  if (err instanceof HttpError) return err.status < 500;
  // Stores refuse bad input (a forged cursor) with a RangeError that the route turns into a 400.
  if (err instanceof RangeError) return true;
  if (err instanceof Error && err.name === 'PostgresError') {
    const code = (err as Error & { code?: unknown }).code;
    return typeof code === 'string' && !PG_INFRA_CLASSES.has(code.slice(0, 2));
  }
  return false;
}

/** SQLSTATE class 22, data exception: a value PostgreSQL refuses (out of range, U+0000, bad escape). */
export function isDataException(err: unknown): boolean {
  if (!(err instanceof Error) || err.name !== 'PostgresError') return false;
  const code = (err as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

export interface Breakers {
  /** Runs `call` through the breaker of `service`. */
  run<T>(service: Service, call: () => Promise<T>): Promise<T>;
  /** Current state per service (for tests and logs). */
  state(service: Service): keyof typeof STATE;
  shutdown(): void;
}

export function createBreakers(
  metrics: Metrics,
  log: Logger,
  overrides: Partial<Record<Service, Partial<BreakerSettings>>> = {},
): Breakers {
  const breakers = new Map<Service, { breaker: CircuitBreaker<[() => Promise<unknown>], unknown>; resetMs: number }>();
  for (const service of Object.keys(BREAKER_DEFAULTS) as Service[]) {
    const s = { ...BREAKER_DEFAULTS[service], ...overrides[service] };
    const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      name: service,
      timeout: s.timeoutMs,
      errorThresholdPercentage: s.errorThresholdPercentage,
      volumeThreshold: s.volumeThreshold,
      rollingCountTimeout: s.windowMs,
      rollingCountBuckets: 10,
      resetTimeout: s.resetMs,
      errorFilter: isCallerError,
    });
    const gauge = metrics.circuitBreakerState.labels({ service });
    gauge.set(STATE.closed);
    breaker.on('open', () => {
      gauge.set(STATE.open);
      log.warn('circuit_open', { service });
    });
    breaker.on('halfOpen', () => {
      gauge.set(STATE.halfOpen);
      log.info('circuit_half_open', { service });
    });
    breaker.on('close', () => {
      gauge.set(STATE.closed);
      log.info('circuit_closed', { service });
    });
    breakers.set(service, { breaker, resetMs: s.resetMs });
  }
  const get = (service: Service) => breakers.get(service)!;

  return {
    async run<T>(service: Service, call: () => Promise<T>): Promise<T> {
      const { breaker, resetMs } = get(service);
      try {
        return (await breaker.fire(call)) as T;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && OUR_CODES.has(code) && err instanceof Error && CircuitBreaker.isOurError(err)) {
          throw new HttpError(
            'unavailable',
            code === 'EOPENBREAKER'
              ? `The ${service} dependency is unavailable; retry later`
              : `The ${service} dependency did not answer in time; retry later`,
            { cause: err, headers: { 'retry-after': String(Math.max(1, Math.ceil(resetMs / 1000))) } },
          );
        }
        if (isDataException(err)) {
          // Validation should have refused the value first; still the client's input, not a 500.
          throw new HttpError('validation_failed', 'A value in the request is not one the database can store', {
            cause: err,
          });
        }
        if (isCallerError(err)) throw err;
        throw new HttpError('unavailable', `The ${service} dependency failed; retry later`, {
          cause: err,
          headers: { 'retry-after': String(Math.max(1, Math.ceil(resetMs / 1000))) },
        });
      }
    },
    state(service) {
      const { breaker } = get(service);
      return breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed';
    },
    shutdown() {
      for (const { breaker } of breakers.values()) breaker.shutdown();
    },
  };
}

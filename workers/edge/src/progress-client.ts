/** The edge's side of the per-profile ProgressBuffer: finding a profile's object and calling it. */
import { HttpError } from '../../../core/problem.ts';

const RPC_ATTEMPTS = 3;
const RPC_BACKOFF_MS = 50;

/** The profile's buffer: one object per profile, named by the profile id. */
export function bufferOf(env: Env, profileId: string) {
  return env.PROGRESS_BUFFER.get(env.PROGRESS_BUFFER.idFromName(profileId));
}

/** The runtime marks transient Durable Object failures (a reset, a moved object) `retryable`. */
export function isRetryableDurableObjectError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const flags = err as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
}

export function isOverloadedDurableObjectError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { overloaded?: unknown }).overloaded === true;
}

/**
 * Calls the buffer, retrying transient failures a couple of times with jittered backoff (every
 * buffer call is idempotent: a recorded heartbeat sent again is a replay). A buffer that stays
 * unavailable or is overloaded becomes a 503 the client retries; anything else is a bug (500).
 */
export async function callBuffer<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (err) {
      const retryable = isRetryableDurableObjectError(err);
      if (retryable && attempt < RPC_ATTEMPTS) {
        await new Promise((resolve) =>
          setTimeout(resolve, RPC_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + Math.random())),
        );
        continue;
      }
      if (retryable || isOverloadedDurableObjectError(err)) {
        throw new HttpError('unavailable', 'Progress is briefly unavailable; try again shortly', {
          cause: err,
          headers: { 'retry-after': '1' },
        });
      }
      throw err;
    }
  }
}

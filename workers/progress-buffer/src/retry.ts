/** When a failed flush is tried again. */

/** First retry after about this long… */
export const BACKOFF_BASE_MS = 2_000;
/** …doubling per failed attempt up to this cap, so a long origin outage costs one call per profile per ~5 min. */
export const BACKOFF_MAX_MS = 5 * 60_000;

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential, capped, with
 * "equal jitter" (a random point in the upper half of the step), so profiles that failed together
 * do not retry in lockstep while the delay still never shrinks from one attempt to the next.
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt, 32) - 1));
  return Math.round(step / 2 + (step / 2) * random());
}

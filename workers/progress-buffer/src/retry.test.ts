import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelayMs, isRejectedStatus, isRetryableStatus } from './retry.ts';

describe('backoffDelayMs', () => {
  it('doubles per attempt within the upper half of each step', () => {
    for (let attempt = 1; attempt <= 6; attempt += 1) {
      const step = BACKOFF_BASE_MS * 2 ** (attempt - 1);
      expect(backoffDelayMs(attempt, () => 0)).toBe(step / 2);
      expect(backoffDelayMs(attempt, () => 1)).toBe(step);
    }
  });

  it('never shrinks from one attempt to the next below the cap, whatever the jitter', () => {
    for (let attempt = 1; BACKOFF_BASE_MS * 2 ** attempt <= BACKOFF_MAX_MS; attempt += 1) {
      expect(backoffDelayMs(attempt + 1, () => 0)).toBeGreaterThanOrEqual(backoffDelayMs(attempt, () => 1));
    }
  });

  it('is capped at five minutes, also for absurd attempt counts', () => {
    expect(backoffDelayMs(1_000, () => 1)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelayMs(Number.MAX_SAFE_INTEGER, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });

  it('spreads retries of profiles that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(8)));
    expect(delays.size).toBeGreaterThan(40);
  });
});

describe('status classification', () => {
  it('retries timeouts, rate limits and server errors as "later"', () => {
    for (const status of [408, 429, 500, 502, 503, 504]) expect(isRetryableStatus(status)).toBe(true);
  });

  it('classifies other 4xx as rejected (a bug), not as "later"', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) {
      expect(isRejectedStatus(status)).toBe(true);
      expect(isRetryableStatus(status)).toBe(false);
    }
  });
});

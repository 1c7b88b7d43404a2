import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelayMs } from './retry.ts';

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

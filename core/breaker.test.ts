import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamplingBreaker, type BreakerState, type SamplingBreakerSettings } from './breaker.ts';

const SETTINGS: SamplingBreakerSettings = {
  threshold: 0.5,
  windowMs: 10_000,
  minimumRps: 1,
  halfOpenAfterMs: 5_000,
  probeTimeoutMs: 30_000,
};

/**
 * The rules written out plainly: every outcome kept with its bucket, the window summed afresh.
 * The breaker must agree with it on every admission and every state.
 */
class Model {
  state: BreakerState = 'closed';
  openedAt = 0;
  probeAt = 0;
  outcomes: { bucket: number; ok: boolean }[] = [];
  constructor(readonly s: SamplingBreakerSettings) {}
  get bucketMs() {
    return this.s.windowMs / Math.max(5, Math.ceil(this.s.windowMs / 1000));
  }
  admit(now: number): { go: boolean; probe: boolean } {
    if (this.state === 'closed') return { go: true, probe: false };
    if (this.state === 'open') {
      if (now < this.openedAt + this.s.halfOpenAfterMs) return { go: false, probe: false };
      this.state = 'half_open';
      this.probeAt = now;
      return { go: true, probe: true };
    }
    if (now - this.probeAt >= this.s.probeTimeoutMs) {
      this.probeAt = now;
      return { go: true, probe: true };
    }
    return { go: false, probe: false };
  }
  report(probe: boolean, ok: boolean, now: number): void {
    if (this.state === 'half_open' && probe) {
      if (ok) {
        this.outcomes = [];
        this.state = 'closed';
      } else {
        this.state = 'open';
        this.openedAt = now;
      }
      return;
    }
    if (this.state !== 'closed') return;
    const bucket = Math.floor(now / this.bucketMs);
    this.outcomes.push({ bucket, ok });
    if (ok) return;
    const buckets = Math.max(5, Math.ceil(this.s.windowMs / 1000));
    const inWindow = this.outcomes.filter((o) => o.bucket > bucket - buckets && o.bucket <= bucket);
    const failed = inWindow.filter((o) => !o.ok).length;
    if (inWindow.length < (this.s.windowMs / 1000) * this.s.minimumRps) return;
    if (failed > this.s.threshold * inWindow.length) {
      this.state = 'open';
      this.openedAt = now;
    }
  }
}

type Step = { kind: 'wait'; ms: number } | { kind: 'call'; ok: boolean; reportAfterMs: number } | { kind: 'lost' }; // admitted, never reports (its request was cancelled)

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3_000 }).map<Step>((ms) => ({ kind: 'wait', ms })) },
  {
    weight: 6,
    arbitrary: fc
      .record({ ok: fc.boolean(), reportAfterMs: fc.integer({ min: 0, max: 200 }) })
      .map<Step>((c) => ({ kind: 'call', ...c })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'lost' }) },
);

describe('the sampling breaker', () => {
  it('agrees with the plainly written rules on every admission and state, whatever the calls and pauses', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 300 }),
        fc.record({
          threshold: fc.double({ min: 0.05, max: 0.95, noNaN: true }),
          windowMs: fc.integer({ min: 1_000, max: 20_000 }),
          minimumRps: fc.double({ min: 0.1, max: 3, noNaN: true }),
          halfOpenAfterMs: fc.integer({ min: 100, max: 10_000 }),
          probeTimeoutMs: fc.integer({ min: 1_000, max: 40_000 }),
        }),
        (steps, settings) => {
          const breaker = new SamplingBreaker(settings);
          const model = new Model(settings);
          let now = 1_800_000_000_000;
          for (const s of steps) {
            if (s.kind === 'wait') {
              now += s.ms;
              continue;
            }
            const got = breaker.admit(now);
            const want = model.admit(now);
            expect(got.go).toBe(want.go);
            if (got.go) expect(got.probe).toBe(want.probe);
            else expect(got.retryAfterMs).toBeGreaterThan(0);
            if (got.go && s.kind === 'call') {
              now += s.reportAfterMs;
              if (s.ok) breaker.success(got.probe, now);
              else breaker.failure(got.probe, now);
              model.report(want.probe, s.ok, now);
            }
            expect(breaker.state).toBe(model.state);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not open on a few failures in a quiet window, and opens when most of enough calls fail', () => {
    const breaker = new SamplingBreaker(SETTINGS);
    const t = 1_800_000_000_000;
    for (let i = 0; i < 9; i++) breaker.failure(false, t + i);
    expect(breaker.state).toBe('closed');
    breaker.failure(false, t + 9);
    expect(breaker.state).toBe('open');
    expect(breaker.openedAt).toBe(t + 9);
  });

  it('refuses while open with the time left, admits one probe after the pause, and closes on its success', () => {
    const changes: BreakerState[] = [];
    const breaker = new SamplingBreaker(SETTINGS, (s) => changes.push(s));
    const t = 1_800_000_000_000;
    for (let i = 0; i < 10; i++) breaker.failure(false, t);
    expect(breaker.admit(t + 1_000)).toEqual({ go: false, retryAfterMs: 4_000 });
    expect(breaker.admit(t + 5_000)).toEqual({ go: true, probe: true });
    expect(breaker.admit(t + 5_001)).toEqual({ go: false, retryAfterMs: 1_000 });
    // A call admitted before it opened reports late: it changes nothing.
    breaker.success(false, t + 5_002);
    expect(breaker.state).toBe('half_open');
    breaker.success(true, t + 5_100);
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
    // The window starts empty: one failure does not reopen it.
    breaker.failure(false, t + 5_200);
    expect(breaker.admit(t + 5_300)).toEqual({ go: true, probe: false });
  });

  it('opens again when the probe fails, and lets another probe through when one never reports', () => {
    const breaker = new SamplingBreaker(SETTINGS);
    const t = 1_800_000_000_000;
    for (let i = 0; i < 10; i++) breaker.failure(false, t);
    expect(breaker.admit(t + 5_000).go).toBe(true);
    breaker.failure(true, t + 5_010);
    expect(breaker.state).toBe('open');
    expect(breaker.admit(t + 6_000)).toEqual({ go: false, retryAfterMs: 4_010 });
    expect(breaker.admit(t + 10_010)).toEqual({ go: true, probe: true }); // this probe is lost
    expect(breaker.admit(t + 39_000).go).toBe(false);
    expect(breaker.admit(t + 40_010)).toEqual({ go: true, probe: true });
  });

  it('refuses a threshold outside (0, 1)', () => {
    expect(() => new SamplingBreaker({ ...SETTINGS, threshold: 1 })).toThrow(RangeError);
    expect(() => new SamplingBreaker({ ...SETTINGS, threshold: 0 })).toThrow(RangeError);
  });
});

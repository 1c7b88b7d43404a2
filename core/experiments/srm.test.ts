import { describe, expect, it } from 'vitest';
import { chiSquaredSurvival, logGamma, regularizedGammaQ, srmTest } from './srm.ts';

describe('chi-squared survival function', () => {
  it.each([
    // Upper critical values from standard tables: P(X >= x) for X ~ chi2(k).
    [3.841458820694124, 1, 0.05],
    [6.634896601021214, 1, 0.01],
    [10.827566170662733, 1, 0.001],
    [5.991464547107979, 2, 0.05],
    [7.814727903251178, 3, 0.05],
    [16.26623619623813, 3, 0.001],
    [18.307038053275146, 10, 0.05],
    [124.34211340400407, 100, 0.05],
  ])('P(chi2 >= %f | k = %i) = %f', (x, k, p) => {
    expect(chiSquaredSurvival(x, k)).toBeCloseTo(p, 10);
  });

  it.each([
    // k = 1: erfc(sqrt(x / 2)), computed with an independent erfc.
    [0.001, 0.9747728793699604],
    [0.5, 0.4795001221869535],
    [1, 0.31731050786291404],
    [50, 1.5374597944280351e-12],
  ])('matches erfc(sqrt(x/2)) for one degree of freedom at x = %f', (x, p) => {
    expect(chiSquaredSurvival(x, 1) / p).toBeCloseTo(1, 9);
  });

  it('matches the closed forms for two and four degrees of freedom', () => {
    for (const x of [0.01, 0.7, 2, 9.5, 40, 200]) {
      expect(chiSquaredSurvival(x, 2) / Math.exp(-x / 2)).toBeCloseTo(1, 9);
      expect(chiSquaredSurvival(x, 4) / (Math.exp(-x / 2) * (1 + x / 2))).toBeCloseTo(1, 9);
    }
  });

  it('is 1 at zero, falls towards 0, and stays within [0, 1]', () => {
    expect(chiSquaredSurvival(0, 3)).toBe(1);
    expect(chiSquaredSurvival(1e6, 3)).toBe(0);
    let previous = 1;
    for (let x = 0.1; x < 60; x += 0.7) {
      const p = chiSquaredSurvival(x, 5);
      expect(p).toBeLessThanOrEqual(previous);
      expect(p).toBeGreaterThanOrEqual(0);
      previous = p;
    }
  });

  it('has ln Γ right at known points, and Q(1, x) = e^-x', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 10);
    expect(regularizedGammaQ(1, 3)).toBeCloseTo(Math.exp(-3), 14);
    expect(() => regularizedGammaQ(0, 1)).toThrow(RangeError);
  });
});

describe('srmTest', () => {
  it('flags a deliberately skewed split (5,300 vs 4,700 under 50/50)', () => {
    const result = srmTest([5300, 4700], [50, 50]);
    expect(result.chiSquared).toBeCloseTo(36, 6);
    expect(result.pValue).toBeLessThan(0.001);
    expect(result.mismatch).toBe(true);
  });

  it('passes a fair split (5,030 vs 4,970 under 50/50, and 3 ways by weight)', () => {
    expect(srmTest([5030, 4970], [50, 50])).toMatchObject({ mismatch: false, degreesOfFreedom: 1 });
    const three = srmTest([1012, 2975, 6013], [10, 30, 60]);
    expect(three.mismatch).toBe(false);
    expect(three.expected).toEqual([1000, 3000, 6000]);
  });

  it('does not flag with no exposures, and flags exposures in a zero-weight variant', () => {
    expect(srmTest([0, 0], [50, 50])).toMatchObject({ pValue: 1, mismatch: false });
    expect(srmTest([500, 480, 3], [50, 50, 0])).toMatchObject({ pValue: 0, mismatch: true });
  });
});

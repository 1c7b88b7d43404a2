/**
 * Sample ratio mismatch: do the observed exposure counts per variant fit the configured weights?
 * Pearson's chi-squared goodness-of-fit test, with the chi-squared survival function computed
 * here (regularized upper incomplete gamma: series below a + 1, Lentz's continued fraction above).
 */

/** An SRM is flagged below this p-value: a mismatch this extreme is a bug, not bad luck. */
export const SRM_P_THRESHOLD = 0.001;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPSILON = 1e-15;
const MAX_ITERATIONS = 10_000;
const TINY = 1e-300;

/** Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function (a > 0, x ≥ 0). */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError('regularizedGammaQ needs a > 0 and x >= 0');
  if (x === 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // P(a, x) by its series; Q = 1 - P.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefix));
  }
  // Q(a, x) by its continued fraction (modified Lentz).
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.min(1, Math.exp(logPrefix) * h);
}

/** P(X ≥ x) for X ~ χ²(k): the p-value of a chi-squared statistic. */
export function chiSquaredSurvival(x: number, degreesOfFreedom: number): number {
  if (x <= 0) return 1;
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2);
}

export interface SrmResult {
  chiSquared: number;
  degreesOfFreedom: number;
  pValue: number;
  threshold: number;
  /** True when the split is implausible under the weights (p below the threshold). */
  mismatch: boolean;
  /** Expected count per variant, in the order given. */
  expected: number[];
}

/**
 * Tests observed counts against weights (any positive scale; they are normalised). Variants with
 * zero weight are left out of the statistic, but any exposure in one is a mismatch; with no
 * exposures nothing can mismatch.
 */
export function srmTest(
  observed: readonly number[],
  weights: readonly number[],
  threshold = SRM_P_THRESHOLD,
): SrmResult {
  if (observed.length !== weights.length) throw new RangeError('one weight per observed count');
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (weightSum > 0 ? (total * w) / weightSum : 0));
  let chiSquared = 0;
  let cells = 0;
  let impossible = false;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    if (e <= 0) {
      // Exposures in a variant nobody should get: no statistic needed.
      if (observed[i]! > 0) impossible = true;
      continue;
    }
    cells += 1;
    chiSquared += (observed[i]! - e) ** 2 / e;
  }
  const degreesOfFreedom = Math.max(1, cells - 1);
  let pValue = total === 0 || cells < 2 ? 1 : chiSquaredSurvival(chiSquared, degreesOfFreedom);
  if (impossible) pValue = 0;
  return { chiSquared, degreesOfFreedom, pValue, threshold, mismatch: pValue < threshold, expected };
}

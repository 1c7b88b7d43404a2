import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, allocationKeys, bucketOf, matchesTargeting, tenureOf, variantOf } from './allocate.ts';
import type { AssignmentContext, EdgeExperiment, ExperimentsConfig } from './schema.ts';
import { chiSquaredSurvival } from './srm.ts';
import { vectorProfiles } from './vectors.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const ANYONE: AssignmentContext = { country: 'US', device: 'tv', plan: 'premium', tenure: 'loyal' };
const PROFILES = vectorProfiles(100_000);

function experiment(overrides: Partial<EdgeExperiment> = {}): EdgeExperiment {
  return {
    id: 'exp_a',
    version: 1,
    layer: null,
    layerStart: 0,
    allocation: 100,
    variants: [
      { id: 'control', weight: 50, config: {} },
      { id: 'treatment', weight: 50, config: { on: true } },
    ],
    targetGroups: [],
    startDate: null,
    endDate: null,
    ...overrides,
  };
}

const config = (experiments: EdgeExperiment[], holdout = 0): ExperimentsConfig => ({
  version: 'test',
  holdout: { percentage: holdout },
  experiments,
});

/** Chi-squared p-value of observed counts against expected shares. */
function fit(observed: number[], shares: number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  const stat = observed.reduce((s, o, i) => s + (o - total * shares[i]!) ** 2 / (total * shares[i]!), 0);
  return chiSquaredSurvival(stat, observed.length - 1);
}

describe('allocate: distribution', () => {
  it('splits 100,000 synthetic profiles within chi-squared bounds of 10/30/60 weights', () => {
    const cfg = config([
      experiment({
        variants: [
          { id: 'a', weight: 10, config: {} },
          { id: 'b', weight: 30, config: {} },
          { id: 'c', weight: 60, config: {} },
        ],
      }),
    ]);
    const counts = { a: 0, b: 0, c: 0 };
    for (const p of PROFILES) counts[allocate(p, cfg, ANYONE, NOW)[0]!.variantId as 'a' | 'b' | 'c'] += 1;
    expect(fit([counts.a, counts.b, counts.c], [0.1, 0.3, 0.6])).toBeGreaterThan(0.001);
  });

  it('puts the allocated share of 100,000 profiles into a 25 % experiment, split evenly over four variants', () => {
    const cfg = config([
      experiment({
        allocation: 25,
        variants: ['w', 'x', 'y', 'z'].map((id) => ({ id, weight: 25, config: {} })),
      }),
    ]);
    const counts = new Map<string, number>();
    let inside = 0;
    for (const p of PROFILES) {
      const [a] = allocate(p, cfg, ANYONE, NOW);
      if (!a) continue;
      inside += 1;
      counts.set(a.variantId, (counts.get(a.variantId) ?? 0) + 1);
    }
    expect(fit([inside, PROFILES.length - inside], [0.25, 0.75])).toBeGreaterThan(0.001);
    expect(fit([...counts.values()], [0.25, 0.25, 0.25, 0.25])).toBeGreaterThan(0.001);
  });

  it('allocates independently across unlayered experiments (the seed scheme hashes each on its own)', () => {
    const cfg = config([experiment({ id: 'exp_a', allocation: 50 }), experiment({ id: 'exp_b', allocation: 50 })]);
    const cells = [0, 0, 0, 0];
    for (const p of PROFILES.slice(0, 40_000)) {
      const ids = allocate(p, cfg, ANYONE, NOW).map((a) => a.experimentId);
      cells[(ids.includes('exp_a') ? 2 : 0) + (ids.includes('exp_b') ? 1 : 0)]! += 1;
    }
    expect(fit(cells, [0.25, 0.25, 0.25, 0.25])).toBeGreaterThan(0.001);
  });
});

describe('allocate: stability', () => {
  it('answers the same assignments on every call and for an equal copy of the config', () => {
    const cfg = config([experiment({ allocation: 40 }), experiment({ id: 'exp_b', layer: 'l1', allocation: 70 })], 3);
    const copy = structuredClone(cfg);
    for (const p of PROFILES.slice(0, 2000)) {
      const first = allocate(p, cfg, ANYONE, NOW);
      expect(allocate(p, cfg, ANYONE, NOW)).toEqual(first);
      expect(allocate(p, copy, ANYONE, NOW + 3_600_000)).toEqual(first);
    }
  });

  it('never moves an allocated profile when the allocation widens (layered or not), nor changes its variant', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.constantFrom('layer_x', 'layer_y'), { nil: null }),
        fc.integer({ min: 0, max: 9_999 }),
        (profileId, x, y, layer, rawStart) => {
          const [narrow, wide] = x <= y ? [x, y] : [y, x];
          const layerStart = layer === null ? 0 : Math.min(rawStart, 10_000 - wide);
          const at = (bp: number) =>
            allocate(profileId, config([experiment({ layer, layerStart, allocation: bp / 100 })]), ANYONE, NOW);
          const before = at(narrow);
          const after = at(wide);
          if (before.length === 1) expect(after).toEqual(before);
          expect(after.length).toBeGreaterThanOrEqual(before.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('allocate: layers', () => {
  it('keeps experiments of one layer mutually exclusive, covering exactly their ranges', () => {
    const cfg = config([
      experiment({ id: 'exp_a', layer: 'surface', layerStart: 0, allocation: 30 }),
      experiment({ id: 'exp_b', layer: 'surface', layerStart: 3000, allocation: 50 }),
      experiment({ id: 'exp_c', layer: 'surface', layerStart: 8000, allocation: 20 }),
    ]);
    const counts = [0, 0, 0];
    for (const p of PROFILES.slice(0, 30_000)) {
      const got = allocate(p, cfg, ANYONE, NOW);
      expect(got).toHaveLength(1);
      const bucket = bucketOf(allocationKeys.layer(p, 'surface'));
      const expected = bucket < 3000 ? 'exp_a' : bucket < 8000 ? 'exp_b' : 'exp_c';
      expect(got[0]!.experimentId).toBe(expected);
      counts[['exp_a', 'exp_b', 'exp_c'].indexOf(expected)]! += 1;
    }
    expect(fit(counts, [0.3, 0.5, 0.2])).toBeGreaterThan(0.001);
  });

  it('lets a profile be in experiments of different layers at once', () => {
    const cfg = config([
      experiment({ id: 'exp_a', layer: 'one', allocation: 100 }),
      experiment({ id: 'exp_b', layer: 'two', allocation: 100 }),
    ]);
    expect(allocate(PROFILES[0]!, cfg, ANYONE, NOW).map((a) => a.experimentId)).toEqual(['exp_a', 'exp_b']);
  });
});

describe('allocate: holdout', () => {
  it('gives profiles in the holdout no experiment at all, and only them', () => {
    const cfg = config([experiment({ allocation: 100 }), experiment({ id: 'exp_b', layer: 'l', allocation: 100 })], 20);
    let held = 0;
    for (const p of PROFILES.slice(0, 20_000)) {
      const inHoldout = bucketOf(allocationKeys.holdout(p)) < 2000;
      const got = allocate(p, cfg, ANYONE, NOW);
      expect(got.length).toBe(inHoldout ? 0 : 2);
      if (inHoldout) held += 1;
    }
    expect(fit([held, 20_000 - held], [0.2, 0.8])).toBeGreaterThan(0.001);
  });

  it('holds out everyone at 100 % and no one at 0 %', () => {
    const p = PROFILES[1]!;
    expect(allocate(p, config([experiment()], 100), ANYONE, NOW)).toEqual([]);
    expect(allocate(p, config([experiment()], 0), ANYONE, NOW)).toHaveLength(1);
  });
});

describe('allocate: targeting and dates', () => {
  const ctx = (c: Partial<AssignmentContext>): AssignmentContext => ({ ...ANYONE, ...c });

  it('includes only listed values and excludes listed ones, every group having to hold', () => {
    const groups = [
      { type: 'country', values: ['US', 'CA'], include: true },
      { type: 'device', values: ['console'], include: false },
      { type: 'plan', values: ['standard', 'premium'], include: true },
    ] as const;
    const targeted = config([experiment({ targetGroups: [...groups].map((g) => ({ ...g, values: [...g.values] })) })]);
    const p = PROFILES[2]!;
    expect(allocate(p, targeted, ctx({}), NOW)).toHaveLength(1);
    expect(allocate(p, targeted, ctx({ country: 'CA', device: 'mobile', plan: 'standard' }), NOW)).toHaveLength(1);
    expect(allocate(p, targeted, ctx({ country: 'GB' }), NOW)).toEqual([]);
    expect(allocate(p, targeted, ctx({ device: 'console' }), NOW)).toEqual([]);
    expect(allocate(p, targeted, ctx({ plan: 'basic' }), NOW)).toEqual([]);
  });

  it('never matches an include rule on an unknown value, and always passes an exclude rule on one', () => {
    expect(matchesTargeting([{ type: 'device', values: ['tv'], include: true }], ctx({ device: null }))).toBe(false);
    expect(matchesTargeting([{ type: 'device', values: ['tv'], include: false }], ctx({ device: null }))).toBe(true);
    expect(matchesTargeting([], ctx({ country: null }))).toBe(true);
  });

  it('targets tenure buckets derived from the account’s creation time', () => {
    const since = (days: number) => Math.floor((NOW - days * 86_400_000) / 1000);
    expect(tenureOf(since(0), NOW)).toBe('new');
    expect(tenureOf(since(29.9), NOW)).toBe('new');
    expect(tenureOf(since(30), NOW)).toBe('established');
    expect(tenureOf(since(364.9), NOW)).toBe('established');
    expect(tenureOf(since(365), NOW)).toBe('loyal');
    const newcomers = config([experiment({ targetGroups: [{ type: 'tenure', values: ['new'], include: true }] })]);
    expect(allocate(PROFILES[3]!, newcomers, ctx({ tenure: tenureOf(since(3), NOW) }), NOW)).toHaveLength(1);
    expect(allocate(PROFILES[3]!, newcomers, ctx({ tenure: tenureOf(since(400), NOW) }), NOW)).toEqual([]);
  });

  it('allocates only between the start and end dates', () => {
    const cfg = config([experiment({ startDate: '2026-11-01T00:00:00Z', endDate: '2026-12-01T00:00:00Z' })]);
    const p = PROFILES[4]!;
    expect(allocate(p, cfg, ANYONE, Date.parse('2026-10-31T23:59:59Z'))).toEqual([]);
    expect(allocate(p, cfg, ANYONE, NOW)).toHaveLength(1);
    expect(allocate(p, cfg, ANYONE, Date.parse('2026-12-01T00:00:01Z'))).toEqual([]);
  });

  it('answers the variant config and version with the assignment, and variantOf reads one experiment', () => {
    const cfg = config([
      experiment({
        version: 4,
        variants: [
          { id: 'only', weight: 100, config: { rows: 3 } },
          { id: 'never', weight: 0, config: {} },
        ],
      }),
    ]);
    const got = allocate(PROFILES[5]!, cfg, ANYONE, NOW);
    expect(got).toEqual([{ experimentId: 'exp_a', variantId: 'only', version: 4, config: { rows: 3 } }]);
    expect(variantOf(got, 'exp_a')).toBe('only');
    expect(variantOf(got, 'exp_b')).toBeNull();
  });
});

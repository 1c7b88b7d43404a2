/**
 * Experiment allocation: our `allocate` (core/experiments) against the GrowthBook JavaScript SDK
 * evaluating the same 50 running experiments (same allocations, weights, layers as namespaces,
 * targeting as conditions) in the same process, one after the other. Pure CPU: no stack needed.
 * - one profile: the same profile evaluated over and over (GrowthBook's instance made once);
 * - a new profile per evaluation, as at the edge where every request is another profile
 *   (GrowthBook: one instance per profile, which is how its SDK is used per request).
 */
import { GrowthBook, type Experiment as GbExperiment } from '@growthbook/growthbook';
import { allocate } from '../core/experiments/allocate.ts';
import type { AssignmentContext, EdgeExperiment, ExperimentsConfig } from '../core/experiments/schema.ts';
import { vectorProfiles } from '../core/experiments/vectors.ts';
import { compare, type BenchRow } from './harness.ts';

const EXPERIMENTS = 50;
/** Allocations per measured operation: the harness's per-call overhead stays out of the figure. */
const BATCH = 200;

function benchConfig(): ExperimentsConfig {
  const experiments: EdgeExperiment[] = [];
  for (let i = 0; i < EXPERIMENTS; i++) {
    const variants = i % 3 === 0 ? 4 : i % 3 === 1 ? 3 : 2;
    const weights =
      variants === 4
        ? [25, 25, 25, 25]
        : variants === 3
          ? [33.33, 33.33, 33.34]
          : [i % 2 === 0 ? 50 : 20, i % 2 ? 80 : 50];
    // 20 unlayered, 20 in four layers of five (20 % each), 10 targeted.
    const layered = i >= 20 && i < 40;
    experiments.push({
      id: `bench_exp_${String(i).padStart(2, '0')}`,
      version: 1,
      layer: layered ? `layer_${(i - 20) % 4}` : null,
      layerStart: layered ? Math.floor((i - 20) / 4) * 2000 : 0,
      allocation: layered ? 20 : 10 + ((i * 7) % 91),
      variants: weights.map((weight, v) => ({ id: `v${v}`, weight, config: {} })),
      targetGroups:
        i >= 40
          ? [
              { type: 'country', values: ['US', 'CA', 'GB', 'DE', 'FR'], include: true },
              { type: 'device', values: ['console'], include: false },
            ]
          : [],
      startDate: null,
      endDate: null,
    });
  }
  return { version: 'bench', holdout: { percentage: 0 }, experiments };
}

/** The same experiments as GrowthBook inline experiments (layers as namespaces, targeting as conditions). */
function growthbookExperiments(config: ExperimentsConfig): GbExperiment<string>[] {
  return config.experiments.map((e) => {
    const rules: Record<string, unknown> = {};
    for (const g of e.targetGroups) rules[g.type] = g.include ? { $in: g.values } : { $nin: g.values };
    const condition = rules as GbExperiment<string>['condition'];
    return {
      key: e.id,
      variations: e.variants.map((v) => v.id) as [string, string, ...string[]],
      weights: e.variants.map((v) => v.weight / 100),
      // A namespace range is the layered experiment's whole allocation, as a layer range is ours.
      coverage: e.layer ? 1 : e.allocation / 100,
      hashAttribute: 'id',
      ...(e.layer ? { namespace: [e.layer, e.layerStart / 10_000, (e.layerStart + e.allocation * 100) / 10_000] } : {}),
      ...(e.targetGroups.length > 0 ? { condition } : {}),
    } satisfies GbExperiment<string>;
  });
}

const CONTEXT: AssignmentContext = { country: 'US', device: 'tv', plan: 'premium', tenure: 'loyal' };
const attributes = (id: string) => ({ id, ...CONTEXT });

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const config = benchConfig();
  const gbExperiments = growthbookExperiments(config);
  const profiles = vectorProfiles(10_000);
  const now = Date.now();

  // Both sides put a profile in about the same number of experiments (the hashes differ).
  let ours = 0;
  let theirs = 0;
  for (const p of profiles.slice(0, 2000)) {
    ours += allocate(p, config, CONTEXT, now).length;
    const gb = new GrowthBook({ attributes: attributes(p) });
    for (const e of gbExperiments) if (gb.run(e).inExperiment) theirs += 1;
    gb.destroy();
  }
  log(`experiments: mean assignments per profile: ours ${ours / 2000}, GrowthBook ${theirs / 2000}`);

  const rows: BenchRow[] = [];
  const one = profiles[0]!;
  const gbOne = new GrowthBook({ attributes: attributes(one) });
  let sink = 0;
  log('experiments: one profile, 50 running experiments');
  rows.push(
    await compare(
      'allocation, one profile vs 50 experiments',
      {
        name: 'allocate() (MurmurHash3, layers, targeting)',
        op: async () => {
          for (let i = 0; i < BATCH; i++) sink += allocate(one, config, CONTEXT, now).length;
        },
      },
      {
        name: 'GrowthBook SDK gb.run() x 50 (instance made once)',
        op: async () => {
          for (let i = 0; i < BATCH; i++) for (const e of gbExperiments) sink += gbOne.run(e).variationId;
        },
      },
      { unitsPerOp: BATCH, unit: 'allocation (50 experiments)', concurrency: 1 },
    ),
  );

  let next = 0;
  log('experiments: a new profile per allocation');
  rows.push(
    await compare(
      'allocation, new profile each time vs 50 experiments',
      {
        name: 'allocate()',
        op: async () => {
          for (let i = 0; i < BATCH; i++)
            sink += allocate(profiles[next++ % profiles.length]!, config, CONTEXT, now).length;
        },
      },
      {
        name: 'GrowthBook SDK: new GrowthBook() + gb.run() x 50',
        op: async () => {
          for (let i = 0; i < BATCH; i++) {
            const gb = new GrowthBook({ attributes: attributes(profiles[next++ % profiles.length]!) });
            for (const e of gbExperiments) sink += gb.run(e).variationId;
            gb.destroy();
          }
        },
      },
      { unitsPerOp: BATCH, unit: 'allocation (50 experiments)', concurrency: 1 },
    ),
  );
  gbOne.destroy();
  if (sink === -1) log('unreachable');
  return rows;
}

/**
 * The published test vectors (`test-vectors.json`): keys, hashes, buckets and the resulting
 * variants for a fixed config and fixed profiles, spelled out step by step from string keys so an
 * analyst can reproduce every assignment in another language. `npx tsx scripts/experiment-vectors.ts`
 * rewrites the file; a test fails when the file and this code disagree.
 */
import { allocationKeys, BUCKETS, murmur3, variantIndex } from './allocate.ts';
import { basisPoints, type ExperimentsConfig } from './schema.ts';

/** A fixed config exercising each rule: the seed's per-experiment hash, a layer, decimals, a holdout. */
export const VECTOR_CONFIG: ExperimentsConfig = {
  version: 'test-vectors-1',
  holdout: { percentage: 10 },
  experiments: [
    {
      id: 'homepage_row_order',
      version: 1,
      layer: null,
      layerStart: 0,
      allocation: 100,
      variants: [
        { id: 'control', weight: 25, config: {} },
        { id: 'continue_first', weight: 25, config: {} },
        { id: 'trending_first', weight: 25, config: {} },
        { id: 'personalized', weight: 25, config: {} },
      ],
      targetGroups: [],
      startDate: null,
      endDate: null,
    },
    {
      id: 'player_buffer_size',
      version: 2,
      layer: null,
      layerStart: 0,
      allocation: 50,
      variants: [
        { id: 'control', weight: 33.33, config: {} },
        { id: 'large', weight: 33.33, config: { seconds: 30 } },
        { id: 'huge', weight: 33.34, config: { seconds: 60 } },
      ],
      targetGroups: [],
      startDate: null,
      endDate: null,
    },
    {
      id: 'search_ranker_a',
      version: 1,
      layer: 'search',
      layerStart: 0,
      allocation: 30,
      variants: [
        { id: 'control', weight: 50, config: {} },
        { id: 'semantic', weight: 50, config: {} },
      ],
      targetGroups: [],
      startDate: null,
      endDate: null,
    },
    {
      id: 'search_ranker_b',
      version: 3,
      layer: 'search',
      layerStart: 3000,
      allocation: 45.25,
      variants: [
        { id: 'control', weight: 10, config: {} },
        { id: 'typo_tolerant', weight: 90, config: {} },
      ],
      targetGroups: [],
      startDate: null,
      endDate: null,
    },
  ],
};

/** Hash inputs that exercise the UTF-8 encoding and every tail length (0-3 bytes after the 4-byte blocks). */
export const VECTOR_KEYS = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'hello',
  'The quick brown fox jumps over the lazy dog',
  'é',
  'Léa',
  '日本語',
  '🎬',
  '00000000-0000-4000-8000-000000000000:homepage_row_order',
];

/** Deterministic v4-shaped UUIDs, so the vectors never change between runs. */
export function vectorProfiles(count: number): string[] {
  const out: string[] = [];
  let state = 0x9e3779b9;
  const next = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const hex = Array.from({ length: 4 }, () => next().toString(16).padStart(8, '0')).join('');
    out.push(
      `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Number.parseInt(hex[16]!, 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    );
  }
  return out;
}

const step = (key: string) => {
  const hash = murmur3(key);
  return { key, hash, bucket: hash % BUCKETS };
};

/** The whole vectors document, computed from string keys (independently of `allocate`'s byte path). */
export function buildTestVectors() {
  const config = VECTOR_CONFIG;
  const holdout = basisPoints(config.holdout.percentage);
  const profiles = vectorProfiles(40).map((profileId) => {
    const h = step(allocationKeys.holdout(profileId));
    const inHoldout = h.bucket < holdout;
    const layers: Record<string, ReturnType<typeof step>> = {};
    for (const e of config.experiments) if (e.layer) layers[e.layer] ??= step(allocationKeys.layer(profileId, e.layer));
    const experiments = config.experiments.map((e) => {
      const allocation = e.layer ? layers[e.layer]! : step(allocationKeys.experiment(profileId, e.id));
      const start = e.layer ? e.layerStart : 0;
      const inAllocation = allocation.bucket >= start && allocation.bucket < start + basisPoints(e.allocation);
      const variant = step(allocationKeys.variant(profileId, e.id));
      let sum = 0;
      const cumulative = e.variants.map((v) => (sum += basisPoints(v.weight)));
      const variantId = e.variants[variantIndex(variant.bucket, cumulative)]!.id;
      return {
        experimentId: e.id,
        allocation: { ...allocation, range: [start, start + basisPoints(e.allocation)], inAllocation },
        variant: { ...variant, cumulativeWeights: cumulative, variantId },
      };
    });
    return {
      profileId,
      holdout: { ...h, threshold: holdout, inHoldout },
      layers,
      experiments,
      assignments: inHoldout
        ? []
        : experiments
            .filter((e) => e.allocation.inAllocation)
            .map((e) => ({ experimentId: e.experimentId, variantId: e.variant.variantId })),
    };
  });
  return {
    algorithm: 'MurmurHash3_x86_32, seed 0, over the UTF-8 bytes of the key; bucket = hash mod 10000',
    keys: {
      holdout: '{profileId}:holdout',
      layer: '{profileId}:layer:{layerId}',
      experiment: '{profileId}:{experimentId}',
      variant: '{profileId}:{experimentId}:variant',
    },
    rules: [
      'in the holdout when holdout bucket < holdout percentage x 100: no experiments at all',
      'an experiment without a layer allocates when its experiment bucket < allocation x 100',
      'an experiment in a layer allocates when layerStart <= layer bucket < layerStart + allocation x 100',
      'the variant is the first whose cumulative weight x 100 exceeds the variant bucket',
      'percentages are converted to basis points by rounding percentage x 100 to an integer',
    ],
    hashes: VECTOR_KEYS.map((key) => step(key)),
    config,
    profiles,
  };
}

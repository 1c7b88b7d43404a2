/**
 * Consistent allocation of profiles to experiments, the same at the edge and the origin. Every
 * decision is a MurmurHash3 (x86, 32-bit, seed 0) of a UTF-8 key, modulo 10,000 (basis points):
 *
 *   holdout   hash("{profileId}:holdout")              < holdout% × 100      → no experiments at all
 *   layer     hash("{profileId}:layer:{layerId}")      in [layerStart, layerStart + allocation% × 100)
 *   no layer  hash("{profileId}:{experimentId}")       < allocation% × 100   (the seed's scheme)
 *   variant   hash("{profileId}:{experimentId}:variant") against the cumulative weights × 100
 *
 * Widening an allocation only moves the end of a range, so nobody already in an experiment leaves
 * it, and the variant hash does not depend on the allocation, so nobody changes variant.
 */
import murmurhash from 'murmurhash';
import {
  basisPoints,
  type Assignment,
  type AssignmentContext,
  type EdgeExperiment,
  type ExperimentsConfig,
  type TargetGroup,
  type Tenure,
} from './schema.ts';

/** Hash outputs are reduced to this many buckets: 0.01 % granularity. */
export const BUCKETS = 10_000;

/** Tenure buckets: an account younger than `new` days is new, younger than `established` days established, else loyal. */
export const TENURE_DAYS = { new: 30, established: 365 } as const;

const DAY_MS = 86_400_000;

/** MurmurHash3 x86 32-bit, seed 0, of the UTF-8 bytes of `key`. */
export function murmur3(key: string): number {
  return murmurhash.v3(key);
}

/** The bucket (0-9999) of a key. */
export function bucketOf(key: string): number {
  return murmurhash.v3(key) % BUCKETS;
}

/** The hash keys of the scheme, for analysts and tests. */
export const allocationKeys = {
  holdout: (profileId: string) => `${profileId}:holdout`,
  layer: (profileId: string, layerId: string) => `${profileId}:layer:${layerId}`,
  experiment: (profileId: string, experimentId: string) => `${profileId}:${experimentId}`,
  variant: (profileId: string, experimentId: string) => `${profileId}:${experimentId}:variant`,
};

/** Tenure bucket of an account created at `sinceSeconds` (epoch seconds, the token's `since`). */
export function tenureOf(sinceSeconds: number, now: number): Tenure {
  const days = (now - sinceSeconds * 1000) / DAY_MS;
  if (days < TENURE_DAYS.new) return 'new';
  if (days < TENURE_DAYS.established) return 'established';
  return 'loyal';
}

/** Whether a profile with this context passes every target group (all must hold). */
export function matchesTargeting(groups: readonly TargetGroup[], context: AssignmentContext): boolean {
  for (const group of groups) {
    const value = context[group.type];
    const listed = value !== null && group.values.includes(value);
    if (listed !== group.include) return false;
  }
  return true;
}

/** The variant index for a variant bucket against cumulative weights (basis points). */
export function variantIndex(bucket: number, cumulative: readonly number[]): number {
  for (let i = 0; i < cumulative.length; i++) if (bucket < cumulative[i]!) return i;
  // Weights sum to 100, so this is unreachable for a valid experiment; the seed falls back to the first.
  return 0;
}

interface Prepared {
  holdout: number;
  experiments: {
    source: EdgeExperiment;
    start: number;
    end: number;
    cumulative: number[];
    startMs: number;
    endMs: number;
    /** UTF-8 of ":{experimentId}" and ":{experimentId}:variant", appended to the profile id. */
    experimentSuffix: Uint8Array;
    variantSuffix: Uint8Array;
    layerSuffix: Uint8Array | null;
  }[];
}

const encoder = new TextEncoder();
const prepared = new WeakMap<ExperimentsConfig, Prepared>();

/** Per config document, once: thresholds in basis points, dates in ms, key suffixes as bytes. */
function prepare(config: ExperimentsConfig): Prepared {
  let p = prepared.get(config);
  if (p) return p;
  p = {
    holdout: basisPoints(config.holdout.percentage),
    experiments: config.experiments.map((e) => {
      const cumulative: number[] = [];
      let sum = 0;
      for (const v of e.variants) cumulative.push((sum += basisPoints(v.weight)));
      const start = e.layer === null ? 0 : e.layerStart;
      return {
        source: e,
        start,
        end: start + basisPoints(e.allocation),
        cumulative,
        startMs: e.startDate === null ? Number.NEGATIVE_INFINITY : Date.parse(e.startDate),
        endMs: e.endDate === null ? Number.POSITIVE_INFINITY : Date.parse(e.endDate),
        experimentSuffix: encoder.encode(`:${e.id}`),
        variantSuffix: encoder.encode(`:${e.id}:variant`),
        layerSuffix: e.layer === null ? null : encoder.encode(`:layer:${e.layer}`),
      };
    }),
  };
  prepared.set(config, p);
  return p;
}

/**
 * Hashes "{profile}{suffix}" without building a string per key: the profile's UTF-8 bytes are
 * written once into a scratch buffer and each suffix is copied after them.
 */
class KeyHasher {
  private static scratch = new Uint8Array(256);
  private readonly length: number;

  constructor(profileId: string) {
    const needed = profileId.length * 3 + 128;
    if (KeyHasher.scratch.length < needed) KeyHasher.scratch = new Uint8Array(needed * 2);
    this.length = encoder.encodeInto(profileId, KeyHasher.scratch).written;
  }

  bucket(suffix: Uint8Array): number {
    let buffer = KeyHasher.scratch;
    const total = this.length + suffix.length;
    if (buffer.length < total) {
      const grown = new Uint8Array(total * 2);
      grown.set(buffer.subarray(0, this.length));
      KeyHasher.scratch = buffer = grown;
    }
    buffer.set(suffix, this.length);
    return murmurhash.v3(buffer.subarray(0, total)) % BUCKETS;
  }
}

const HOLDOUT_SUFFIX = encoder.encode(':holdout');

/**
 * The experiments a profile is in and its variant in each, for the running experiments of
 * `config` that are live at `now` (epoch ms) and whose targeting the context passes.
 */
export function allocate(
  profileId: string,
  config: ExperimentsConfig,
  context: AssignmentContext,
  now: number,
): Assignment[] {
  const p = prepare(config);
  const keys = new KeyHasher(profileId);
  if (p.holdout > 0 && keys.bucket(HOLDOUT_SUFFIX) < p.holdout) return [];
  const out: Assignment[] = [];
  let layerBuckets: Map<string, number> | undefined;
  for (const e of p.experiments) {
    if (e.end === e.start || now < e.startMs || now > e.endMs) continue;
    let bucket: number;
    if (e.layerSuffix === null) {
      bucket = keys.bucket(e.experimentSuffix);
    } else {
      const layer = e.source.layer!;
      layerBuckets ??= new Map();
      let b = layerBuckets.get(layer);
      if (b === undefined) layerBuckets.set(layer, (b = keys.bucket(e.layerSuffix)));
      bucket = b;
    }
    if (bucket < e.start || bucket >= e.end) continue;
    if (!matchesTargeting(e.source.targetGroups, context)) continue;
    const variant = e.source.variants[variantIndex(keys.bucket(e.variantSuffix), e.cumulative)]!;
    out.push({ experimentId: e.source.id, variantId: variant.id, version: e.source.version, config: variant.config });
  }
  return out;
}

/** The variant of one experiment among assignments, or null when the profile is not in it. */
export function variantOf(assignments: readonly Assignment[], experimentId: string): string | null {
  return assignments.find((a) => a.experimentId === experimentId)?.variantId ?? null;
}

import { describe, expect, it } from 'vitest';
import { allocate, bucketOf, murmur3 } from './allocate.ts';
import published from './test-vectors.json' with { type: 'json' };
import { buildTestVectors, VECTOR_CONFIG } from './vectors.ts';

/** UTF-8 from code points, by hand (not TextEncoder): the reference below shares nothing with the package. */
function utf8(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

/** MurmurHash3_x86_32 written from Austin Appleby's reference C (smhasher), with Math.imul. */
function referenceMurmur3(text: string, seed = 0): number {
  const data = utf8(text);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h1 = seed | 0;
  const blocks = data.length >> 2;
  for (let i = 0; i < blocks; i++) {
    let k1 = data[4 * i]! | (data[4 * i + 1]! << 8) | (data[4 * i + 2]! << 16) | (data[4 * i + 3]! << 24);
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2);
    h1 ^= k1;
    h1 = (Math.imul(rotl(h1, 13), 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = data.length & 3;
  if (rest > 0) {
    let k1 = 0;
    if (rest === 3) k1 ^= data[tail + 2]! << 16;
    if (rest >= 2) k1 ^= data[tail + 1]! << 8;
    k1 ^= data[tail]!;
    h1 ^= Math.imul(rotl(Math.imul(k1, c1), 15), c2);
  }
  h1 ^= data.length;
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return h1 >>> 0;
}

describe('MurmurHash3 x86 32-bit (the murmurhash package)', () => {
  it.each([
    ['', 0],
    ['hello', 613153351],
    ['The quick brown fox jumps over the lazy dog', 776992547],
  ])('matches the published reference value for %j with seed 0', (input, expected) => {
    expect(murmur3(input)).toBe(expected);
    expect(referenceMurmur3(input)).toBe(expected);
  });

  it('agrees with an independent implementation on every published key, ASCII and multi-byte UTF-8', () => {
    for (const { key, hash, bucket } of published.hashes) {
      expect(referenceMurmur3(key), key).toBe(hash);
      expect(murmur3(key), key).toBe(hash);
      expect(bucketOf(key), key).toBe(bucket);
    }
  });

  it('agrees with the independent implementation on every key of every published profile', () => {
    let checked = 0;
    for (const p of published.profiles) {
      const steps = [p.holdout, ...Object.values(p.layers), ...p.experiments.flatMap((e) => [e.allocation, e.variant])];
      for (const s of steps) {
        expect(referenceMurmur3(s.key), s.key).toBe(s.hash);
        expect(s.hash % 10_000).toBe(s.bucket);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe('test-vectors.json', () => {
  it('is what the scheme computes today (regenerate with scripts/experiment-vectors.ts only on purpose)', () => {
    expect(published).toEqual(JSON.parse(JSON.stringify(buildTestVectors())));
  });

  it('covers holdout, layered, unlayered, in and out of allocation', () => {
    const exps = published.profiles.flatMap((p) => p.experiments);
    expect(published.profiles.some((p) => p.holdout.inHoldout)).toBe(true);
    expect(exps.some((e) => e.allocation.inAllocation)).toBe(true);
    expect(exps.some((e) => !e.allocation.inAllocation)).toBe(true);
    expect(new Set(exps.map((e) => e.variant.variantId)).size).toBeGreaterThanOrEqual(8);
  });

  it('gives the same assignments as allocate() for every published profile', () => {
    const context = { country: 'US', device: null, plan: null, tenure: null };
    for (const p of published.profiles) {
      const got = allocate(p.profileId, VECTOR_CONFIG, context, Date.now()).map((a) => ({
        experimentId: a.experimentId,
        variantId: a.variantId,
      }));
      expect(got, p.profileId).toEqual(p.assignments);
    }
  });
});

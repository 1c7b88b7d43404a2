import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packChunks, unlessAllFailed, writeEach } from './write-chunks.ts';

const LIMITS = { maxGroups: 10, maxBytes: 4096 };
const groupsArb = fc.array(
  fc.record({ key: fc.constantFrom('a', 'b', 'c'), size: fc.integer({ min: 1, max: 6000 }) }),
  {
    maxLength: 120,
  },
);

describe('packChunks', () => {
  it('puts every group in exactly one chunk, with only its replicas, within the limits, in input order', () => {
    fc.assert(
      fc.property(groupsArb, (groups) => {
        const chunks = packChunks(
          groups.map((g) => g.key),
          groups.map((g) => g.size),
          LIMITS,
        );
        expect(chunks.flat().sort((x, y) => x - y)).toEqual(groups.map((_, i) => i));
        for (const chunk of chunks) {
          expect(new Set(chunk.map((i) => groups[i]!.key)).size).toBe(1);
          expect(chunk).toEqual([...chunk].sort((x, y) => x - y));
          if (chunk.length > 1) {
            expect(chunk.length).toBeLessThanOrEqual(LIMITS.maxGroups);
            expect(chunk.reduce((n, i) => n + groups[i]!.size, 0)).toBeLessThanOrEqual(LIMITS.maxBytes);
          }
        }
      }),
    );
  });

  it('fills chunks: 100 small groups on one replica set take 10 requests, not 100', () => {
    const chunks = packChunks(Array(100).fill('a'), Array(100).fill(200), LIMITS);
    expect(chunks).toHaveLength(10);
  });
});

describe('writeEach', () => {
  const injected = (failing: ReadonlySet<number>, calls: number[][]) => async (chunk: readonly number[]) => {
    calls.push([...chunk]);
    if (chunk.some((i) => failing.has(i))) throw new Error('refused');
  };

  it('answers each group by its own outcome: a refused group fails alone, the rest of its chunk is written', async () => {
    await fc.assert(
      fc.asyncProperty(groupsArb, fc.array(fc.nat({ max: 119 })), async (groups, bad) => {
        const failing = new Set(bad.filter((i) => i < groups.length));
        const chunks = packChunks(
          groups.map((g) => g.key),
          groups.map((g) => g.size),
          LIMITS,
        );
        const outcomes = await writeEach(groups.length, chunks, injected(failing, []), () => false);
        expect(outcomes.map((o) => o.status)).toEqual(
          groups.map((_, i) => (failing.has(i) ? 'rejected' : 'fulfilled')),
        );
      }),
    );
  });

  it('fails a chunk whole, without writing its groups one by one, when the store is unavailable', async () => {
    const calls: number[][] = [];
    const outcomes = await writeEach(
      4,
      [
        [0, 1],
        [2, 3],
      ],
      injected(new Set([0]), calls),
      () => true,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect(calls).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});

describe('unlessAllFailed', () => {
  it('rejects with the first failure only when no group was written', () => {
    const down = new Error('down');
    expect(() => unlessAllFailed([{ status: 'rejected', reason: down }])).toThrow(down);
    const some: PromiseSettledResult<void>[] = [
      { status: 'rejected', reason: down },
      { status: 'fulfilled', value: undefined },
    ];
    expect(unlessAllFailed(some)).toBe(some);
    expect(unlessAllFailed([])).toEqual([]);
  });
});

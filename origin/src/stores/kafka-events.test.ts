import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupCommit } from './kafka-events.ts';

describe('groupCommit', () => {
  it('sends every request exactly once, in arrival order, never two sends at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), async (delays) => {
        const sent: number[] = [];
        let inFlight = 0;
        let maxInFlight = 0;
        const send = groupCommit<number>(async (batch) => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          sent.push(...batch);
          inFlight -= 1;
        }, 7);
        await Promise.all(delays.map(async (d, i) => (await new Promise((r) => setTimeout(r, d)), send(i))));
        expect([...sent].sort((a, b) => a - b)).toEqual(delays.map((_, i) => i));
        expect(maxInFlight).toBe(1);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects exactly the callers whose send failed, and keeps going', async () => {
    let calls = 0;
    const send = groupCommit<string>(async () => {
      calls += 1;
      if (calls === 1) throw new Error('broker down');
    });
    const first = send('a');
    await expect(first).rejects.toThrow('broker down');
    await expect(send('b')).resolves.toBeUndefined();
  });
});

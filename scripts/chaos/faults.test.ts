import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { originKill, schedule, type Fault } from './faults.ts';

const fault = (kind: string): Fault => ({ kind, inject: async () => kind });

describe('schedule', () => {
  it('runs every origin kill and every round of the other faults, exactly once each', () => {
    fc.assert(
      fc.property(
        fc.nat(30),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 4 }),
        (kills, kinds, rounds) => {
          const others = Array.from({ length: kinds }, (_, i) => fault(`f${i}`));
          const plan = schedule(kills, others, rounds);
          expect(plan.filter((f) => f === originKill)).toHaveLength(kills);
          for (const other of others) expect(plan.filter((f) => f === other)).toHaveLength(rounds);
        },
      ),
    );
  });

  it('spreads the origin kills between the other faults instead of running them back to back', () => {
    const others = [fault('a'), fault('b'), fault('c')];
    const kinds = schedule(3, others, 1).map((f) => f.kind);
    expect(kinds).toEqual(['origin-kill', 'a', 'origin-kill', 'b', 'origin-kill', 'c']);
  });
});

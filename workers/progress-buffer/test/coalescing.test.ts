import { runInDurableObject } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Heartbeat, ProgressEntry } from '../../../core/progress.ts';
import { bufferFor, heartbeat, newOwner } from '../../test/helpers.ts';

const A = '0a000000-0000-4000-8000-00000000000a';
const B = '0b000000-0000-4000-8000-00000000000b';

describe('coalescing in the ProgressBuffer', () => {
  it('keeps the state with the latest event time per title, whatever the arrival order', async () => {
    const owner = newOwner();
    const stub = bufferFor(owner);
    await stub.record(owner, [heartbeat(A, 1_000, 100), heartbeat(A, 3_000, 300), heartbeat(B, 2_000, 50)]);
    const late = await stub.record(owner, [heartbeat(A, 2_000, 200)]);
    expect(late).toEqual({ accepted: 1, superseded: 1, refused: 0, pending: 2 });
    const pending = await stub.pending();
    expect(pending.find((e) => e.titleId === A)).toMatchObject({ eventTime: 3_000, positionSeconds: 300 });
  });

  it('breaks an event-time tie by arrival: the later distinct heartbeat wins with a higher tie', async () => {
    const owner = newOwner();
    const stub = bufferFor(owner);
    await stub.record(owner, [heartbeat(A, 5_000, 100, 'tv')]);
    await stub.record(owner, [heartbeat(A, 5_000, 140, 'phone')]);
    expect(await stub.pending()).toEqual([
      expect.objectContaining({ positionSeconds: 140, deviceId: 'phone', eventTime: 5_000, tie: 1 }),
    ]);
  });

  it('ignores an exact replay but counts it as accepted', async () => {
    const owner = newOwner();
    const stub = bufferFor(owner);
    const hb = heartbeat(A, 5_000, 100, 'tv');
    await stub.record(owner, [hb]);
    expect(await stub.record(owner, [hb, hb])).toMatchObject({ accepted: 2, superseded: 2 });
    expect((await stub.pending())[0]).toMatchObject({ tie: 0 });
  });

  it('refuses malformed input instead of storing it (a bad entry would block every flush)', async () => {
    const owner = newOwner();
    const stub = bufferFor(owner);
    await runInDurableObject(stub, async (instance) => {
      await expect(instance.record(owner, [{ ...heartbeat(A, 1, 1), positionSeconds: -1 }])).rejects.toThrow();
      await expect(instance.record({ ...owner, profileId: 'nope' }, [heartbeat(A, 1, 1)])).rejects.toThrow();
    });
    expect(await stub.pending()).toEqual([]);
  });
});

/** The model: per title, the later event time wins; on a tie, the last arrival that differs. */
function model(arrivals: Heartbeat[]): Map<string, Heartbeat> {
  const state = new Map<string, Heartbeat>();
  for (const hb of arrivals) {
    const cur = state.get(hb.titleId);
    const differs =
      cur !== undefined &&
      (cur.deviceId !== hb.deviceId ||
        cur.positionSeconds !== hb.positionSeconds ||
        cur.durationSeconds !== hb.durationSeconds);
    if (!cur || hb.eventTime > cur.eventTime || (hb.eventTime === cur.eventTime && differs)) state.set(hb.titleId, hb);
  }
  return state;
}

// Two devices per title, and none playing both titles: a title switch would flush early
// (flush-policy.ts), and this property is about coalescing, not flushing.
const heartbeatOf = fc.record({
  titleId: fc.constantFrom(A, B),
  deviceId: fc.constantFrom('tv', 'phone'),
  // Few distinct event times and positions, so ties and exact replays are common.
  eventTime: fc.integer({ min: 1, max: 6 }).map((n) => n * 10_000),
  positionSeconds: fc.integer({ min: 0, max: 4 }).map((n) => n * 30),
  durationSeconds: fc.constant(6000),
});

describe('coalescing, property-based', () => {
  it('any shuffle and duplication of two devices’ heartbeats, in any chunking, ends in the model’s state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(heartbeatOf, { minLength: 1, maxLength: 12 })
          .chain((hbs) =>
            fc.tuple(
              fc.shuffledSubarray([...hbs, ...hbs, ...hbs], { minLength: hbs.length }),
              fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 30, maxLength: 30 }),
            ),
          ),
        async ([generated, cuts]) => {
          const owner = newOwner();
          const stub = bufferFor(owner);
          // Plain copies: what a client would send (the generator's objects do not cross RPC).
          const arrivals = generated.map((h) =>
            heartbeat(h.titleId, h.eventTime, h.positionSeconds, `${h.deviceId}-${h.titleId === A ? 'a' : 'b'}`),
          );
          for (let i = 0, c = 0; i < arrivals.length; c += 1) {
            const size = cuts[c % cuts.length]!;
            await stub.record(owner, arrivals.slice(i, i + size));
            i += size;
          }
          const stored = await runInDurableObject(stub, async (_instance, state) => {
            const rows = await state.storage.list<{ entry: ProgressEntry }>({ prefix: 'title:' });
            return [...rows.values()].map((r) => r.entry);
          });
          const expected = model(arrivals);
          expect(stored).toHaveLength(expected.size);
          for (const entry of stored) {
            const want = expected.get(entry.titleId)!;
            expect(entry).toMatchObject({
              eventTime: want.eventTime,
              positionSeconds: want.positionSeconds,
              deviceId: want.deviceId,
            });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEntries, latest, type Heartbeat, type ProgressEntry } from '../../../core/progress.ts';
import { recordHeartbeats, type BufferState } from './buffer.ts';
import { mergeStored, resolve, type Knowledge } from './learn.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const NOW = 1_800_000_000_000;

const entry = (titleId: string, eventTime: number, positionSeconds: number, tie = 0): ProgressEntry => ({
  titleId,
  positionSeconds,
  durationSeconds: 6000,
  eventTime,
  tie,
  deviceId: 'tv',
});
const hb = (titleId: string, eventTime: number, positionSeconds: number): Heartbeat => ({
  titleId,
  positionSeconds,
  durationSeconds: 6000,
  eventTime,
  deviceId: 'phone',
});

const learned = (partial = false, gone: string[] = []): Knowledge => ({
  learned: { at: NOW, partial },
  gone: new Set(gone),
});

describe('mergeStored', () => {
  it('keeps a heartbeat recorded during the learn when it is the later state, and takes the stored one when that is', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(uuid(1), NOW - 1_000, 50), hb(uuid(2), NOW - 90_000, 5)], 10);
    const out = mergeStored(state, [entry(uuid(1), NOW - 60_000, 10), entry(uuid(2), NOW - 30_000, 20)], 10);
    expect(out).toEqual({ changed: [uuid(2)], overflow: [] });
    expect(state.get(uuid(1))).toMatchObject({ dirty: true, entry: { positionSeconds: 50 } });
    // The older buffered state of title 2 lost to the stored one: nothing of it is left to flush.
    expect(state.get(uuid(2))).toMatchObject({ dirty: false, entry: { positionSeconds: 20 } });
  });

  it('reports the stored titles the bound has no room for instead of evicting for them', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(uuid(1), NOW, 1)], 2);
    const out = mergeStored(state, [entry(uuid(2), NOW - 1, 1), entry(uuid(3), NOW - 2, 1)], 2);
    expect(out).toEqual({ changed: [uuid(2)], overflow: [uuid(3)] });
    expect([...state.keys()].sort()).toEqual([uuid(1), uuid(2)]);
  });

  it('ends, for every title and in any interleaving, on the later of the stored and the buffered state', () => {
    const titles = [uuid(1), uuid(2), uuid(3), uuid(4)];
    const state = fc.record({
      titleId: fc.constantFrom(...titles),
      eventTime: fc.integer({ min: NOW - 10_000, max: NOW }),
      positionSeconds: fc.integer({ min: 0, max: 6000 }),
    });
    fc.assert(
      fc.property(
        fc.array(state, { maxLength: 12 }),
        fc.uniqueArray(fc.tuple(state, fc.integer({ min: 0, max: 3 })), {
          selector: ([s]) => s.titleId,
          maxLength: 4,
        }),
        fc.integer({ min: 0, max: 12 }),
        (heartbeats, storedRows, split) => {
          const stored = storedRows.map(([s, tie]) => entry(s.titleId, s.eventTime, s.positionSeconds, tie));
          const buffer: BufferState = new Map();
          const hbs = heartbeats.map((h) => hb(h.titleId, h.eventTime, h.positionSeconds));
          // Some heartbeats before the learn's answer arrives, the rest after it.
          recordHeartbeats(buffer, hbs.slice(0, split), 10);
          const before = new Map([...buffer].map(([id, b]) => [id, { ...b.entry }]));
          mergeStored(buffer, stored, 10);
          for (const s of stored) {
            const expected = latest(before.get(s.titleId), s)!;
            expect(compareEntries(buffer.get(s.titleId)!.entry, expected)).toBe(0);
          }
          recordHeartbeats(buffer, hbs.slice(split), 10);
          // A later heartbeat still wins over everything learned; nothing ever moves backwards.
          for (const s of stored) expect(compareEntries(buffer.get(s.titleId)!.entry, s)).toBeGreaterThanOrEqual(0);
          for (const h of hbs) {
            const kept = buffer.get(h.titleId)!.entry;
            expect(kept.eventTime).toBeGreaterThanOrEqual(h.eventTime);
          }
        },
      ),
    );
  });
});

describe('resolve', () => {
  it('answers known titles, knows "none" for the others, and asks only for titles it let go of', () => {
    const state: BufferState = new Map([[uuid(1), { entry: entry(uuid(1), NOW - 5, 30), dirty: false }]]);
    const out = resolve(state, learned(false, [uuid(3)]), [uuid(1), uuid(2), uuid(3), uuid(1)], NOW);
    expect(out.entries.map((e) => e.titleId)).toEqual([uuid(1)]);
    expect(out.ask).toEqual([uuid(3)]);
  });

  it('asks for every title it lacks when its knowledge is partial', () => {
    const state: BufferState = new Map([[uuid(1), { entry: entry(uuid(1), NOW - 5, 30), dirty: true }]]);
    expect(resolve(state, learned(true), [uuid(1), uuid(2)], NOW)).toMatchObject({
      entries: [{ titleId: uuid(1) }],
      ask: [uuid(2)],
    });
  });

  it('never answers "none" for a let-go title, whatever else the buffer holds', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 20 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (held, gone, asked, partial) => {
          const state: BufferState = new Map(
            held.map((n) => [uuid(n), { entry: entry(uuid(n), NOW - n, n), dirty: n % 2 === 0 }]),
          );
          const out = resolve(state, learned(partial, gone.map(uuid)), asked.map(uuid), NOW);
          const answered = new Set(out.entries.map((e) => e.titleId));
          for (const n of new Set(asked)) {
            const id = uuid(n);
            const unknown = gone.includes(n) || (partial && !held.includes(n));
            expect(out.ask.includes(id)).toBe(unknown);
            expect(answered.has(id)).toBe(!unknown && held.includes(n));
          }
        },
      ),
    );
  });
});

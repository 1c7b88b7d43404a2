import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptHeartbeat, MAX_FUTURE_SKEW_MS, type Heartbeat, type ProgressEntry } from '../../../core/progress.ts';
import { chunk, dirtyEntries, latestEntries, recordHeartbeats, settleFlush, type BufferState } from './buffer.ts';

const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const T3 = '00000000-0000-4000-8000-000000000003';
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const hb = (titleId: string, eventTime: number, positionSeconds: number, deviceId = 'tv'): Heartbeat => ({
  titleId,
  eventTime,
  positionSeconds,
  durationSeconds: 6000,
  deviceId,
});

describe('recordHeartbeats', () => {
  it('keeps one dirty entry per title, the one with the latest event time', () => {
    const state: BufferState = new Map();
    const out = recordHeartbeats(state, [hb(T1, 10, 1), hb(T1, 30, 3), hb(T1, 20, 2), hb(T2, 5, 9)], 10);
    expect(out).toMatchObject({ accepted: 4, superseded: 1, refused: 0 });
    expect(out.changed.sort()).toEqual([T1, T2]);
    expect(state.get(T1)).toEqual({ entry: expect.objectContaining({ positionSeconds: 3, tie: 0 }), dirty: true });
  });

  it('evicts the clean entry with the oldest event time, never a dirty one', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1), hb(T2, 20, 2)], 2);
    state.get(T2)!.dirty = false;
    const out = recordHeartbeats(state, [hb(T3, 30, 3)], 2);
    expect(out.evicted).toEqual([T2]);
    expect([...state.keys()].sort()).toEqual([T1, T3]);
  });

  it('refuses a new title when every stored title is unflushed, but still takes known titles', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1), hb(T2, 20, 2)], 2);
    const out = recordHeartbeats(state, [hb(T3, 30, 3), hb(T1, 40, 4)], 2);
    expect(out).toMatchObject({ accepted: 1, refused: 1, evicted: [] });
    expect(state.has(T3)).toBe(false);
    expect(state.get(T1)?.entry.positionSeconds).toBe(4);
  });

  it('does not delete a title evicted and brought back within the same call', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1), hb(T2, 20, 2)], 2);
    for (const buffered of state.values()) buffered.dirty = false;
    const out = recordHeartbeats(state, [hb(T3, 30, 3), hb(T1, 40, 4)], 2);
    expect(out.evicted).toEqual([T2]);
    expect(out.changed.sort()).toEqual([T1, T3].sort());
    expect([...state.keys()].sort()).toEqual([T1, T3].sort());
  });
});

describe('heartbeats from a clock ahead', () => {
  it('never outrank a heartbeat sent after they arrived, from any device', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_FUTURE_SKEW_MS }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.constantFrom('tv', 'phone'),
        (skew, gap, delay, device) => {
          const state: BufferState = new Map();
          const firstArrival = 1_700_000_000_000;
          // Claims to be from `skew` ms later than it reached the edge.
          const ahead = acceptHeartbeat(hb(T1, firstArrival + skew, 100, 'tv'), 6000, firstArrival);
          // A real heartbeat, sent `gap` ms after the first arrived, reaching the edge `delay` ms later.
          const sentAt = firstArrival + gap;
          const real = acceptHeartbeat(hb(T1, sentAt, 50, device), 6000, sentAt + delay);
          recordHeartbeats(state, [ahead], 10);
          recordHeartbeats(state, [real], 10);
          expect(state.get(T1)?.entry).toMatchObject({ positionSeconds: 50, deviceId: device });
        },
      ),
    );
  });
});

describe('settleFlush', () => {
  it('cleans only entries still in the state that was sent', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1), hb(T2, 10, 1)], 10);
    const sent = dirtyEntries(state);
    recordHeartbeats(state, [hb(T2, 20, 2)], 10); // arrives while the flush is in flight
    const out = settleFlush(state, sent, []);
    expect(out.cleaned).toEqual([T1]);
    expect(state.get(T2)).toMatchObject({ dirty: true, entry: { positionSeconds: 2 } });
  });

  it('forgets titles the origin dropped unless they moved on', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1), hb(T2, 10, 1)], 10);
    const sent = dirtyEntries(state);
    recordHeartbeats(state, [hb(T2, 20, 2)], 10);
    const out = settleFlush(state, sent, [T1, T2]);
    expect(out.forgotten).toEqual([T1]);
    expect(state.has(T2)).toBe(true);
  });

  it('is harmless when an acknowledgement is applied twice', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(T1, 10, 1)], 10);
    const sent: ProgressEntry[] = dirtyEntries(state);
    settleFlush(state, sent, []);
    expect(settleFlush(state, sent, [])).toEqual({ cleaned: [], forgotten: [] });
  });
});

describe('dirtyEntries and chunk', () => {
  it('lists unflushed states oldest first, as copies', () => {
    const state: BufferState = new Map();
    recordHeartbeats(state, [hb(uuid(1), 30, 1), hb(uuid(2), 10, 1), hb(uuid(3), 20, 1)], 10);
    const list = dirtyEntries(state);
    expect(list.map((e) => e.eventTime)).toEqual([10, 20, 30]);
    list[0]!.positionSeconds = 999;
    expect(state.get(uuid(2))?.entry.positionSeconds).toBe(1);
  });

  it('splits into runs of at most the given size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});

describe('latestEntries', () => {
  it('answers the kept state of known titles, flushed or not, and leaves out flushed ones past retention', () => {
    const state: BufferState = new Map();
    const now = 1_000_000;
    recordHeartbeats(state, [hb(T1, now - 10, 40), hb(T2, now - 500, 50), hb(T3, now - 900, 60)], 10);
    state.get(T2)!.dirty = false;
    state.get(T3)!.dirty = false;
    const answer = latestEntries(state, [T1, T2, T3, uuid(99), T1], now, 800);
    expect(answer.map((e) => [e.titleId, e.positionSeconds])).toEqual([
      [T1, 40],
      [T2, 50],
    ]);
    // Unflushed states are answered however old: the origin does not have them yet.
    expect(latestEntries(state, [T1], now + 10_000, 800)).toHaveLength(1);
    // Copies: changing the answer does not change the buffer.
    answer[0]!.positionSeconds = 0;
    expect(state.get(T1)!.entry.positionSeconds).toBe(40);
  });
});

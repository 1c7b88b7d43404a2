import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STREAM_LIMITS,
  DEFAULT_STREAM_SETTINGS,
  deviceFor,
  emptyLeaseState,
  ENDED_MEMORY_MS,
  nextLapse,
  parseStreamSettings,
  prune,
  renew,
  start,
  stop,
  STREAM_LAPSE_MS,
  streamDevice,
  streamLimit,
  type LeaseState,
} from './streams.ts';

const T0 = 1_800_000_000_000;
const P = '11111111-1111-4111-8111-111111111111';
const TITLE_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TITLE_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
let ids = 0;
const req = (device: string, limit: number, titleId = TITLE_A) => ({
  device,
  profileId: P,
  titleId,
  limit,
  newStreamId: `stream-${++ids}`,
});

/** One step a fleet of players can take against one account. */
type Step =
  | { kind: 'start'; device: number; title: number; advance: number }
  | { kind: 'renew'; device: number; title: number; advance: number }
  | { kind: 'stop'; by: number; pick: number; advance: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('start' as const),
    device: fc.nat(6),
    title: fc.nat(2),
    advance: fc.nat(60_000),
  }),
  fc.record({
    kind: fc.constant('renew' as const),
    device: fc.nat(6),
    title: fc.nat(2),
    advance: fc.nat(60_000),
  }),
  fc.record({ kind: fc.constant('stop' as const), by: fc.nat(6), pick: fc.nat(8), advance: fc.nat(60_000) }),
);

describe('stream limits per plan', () => {
  it('allows 1, 2 and 4 streams to basic, standard and premium, and the smallest to an unknown plan', () => {
    expect([streamLimit('basic'), streamLimit('standard'), streamLimit('premium')]).toEqual([1, 2, 4]);
    expect(streamLimit('enterprise')).toBe(1);
    expect(streamLimit('toString')).toBe(1);
  });

  it('takes overrides from STREAM_LIMITS and names the variable when it is bad', () => {
    expect(parseStreamSettings('')).toBe(DEFAULT_STREAM_SETTINGS);
    expect(parseStreamSettings('{"plans":{"premium":6}}')).toEqual({
      plans: { basic: 1, standard: 2, premium: 6 },
      enabled: true,
    });
    expect(parseStreamSettings('{"enabled":false}')).toEqual({ plans: DEFAULT_STREAM_LIMITS, enabled: false });
    expect(() => parseStreamSettings('{"plans":{"premium":0}}')).toThrow(/STREAM_LIMITS/);
    expect(() => parseStreamSettings('{"premium":4}')).toThrow(/STREAM_LIMITS/);
    expect(() => parseStreamSettings('not json')).toThrow(/STREAM_LIMITS/);
  });

  it('counts a token without a session as one device per profile', () => {
    expect(streamDevice({ pid: P })).toBe(`profile:${P}`);
    expect(streamDevice({ pid: P, sid: 'abc' })).toBe('session:abc');
  });
});

describe('lease arithmetic', () => {
  it('admits up to the limit and refuses the next start with the live leases', () => {
    let state = emptyLeaseState();
    for (const device of ['a', 'b']) {
      const result = start(state, req(device, 2), T0);
      expect(result.ok).toBe(true);
      state = result.state;
    }
    const refused = start(state, req('c', 2), T0 + 1);
    expect(refused.ok).toBe(false);
    expect(refused.ok ? [] : refused.active.map((l) => l.device)).toEqual(['a', 'b']);
  });

  it('keeps the same device its lease and stream id when it reopens or switches title', () => {
    const first = start(emptyLeaseState(), req('a', 1), T0);
    const again = start(first.state, req('a', 1, TITLE_B), T0 + 5_000);
    expect(again.ok && first.ok && again.lease.streamId === first.lease.streamId).toBe(true);
    expect(again.state.leases).toEqual([
      expect.objectContaining({ device: 'a', titleId: TITLE_B, since: T0, renewedAt: T0 + 5_000 }),
    ]);
  });

  it('lapses a lease 90 s after its last renewal, not before', () => {
    let state = start(emptyLeaseState(), req('a', 1), T0).state;
    state = renew(state, 'a', TITLE_A, T0 + 60_000).state;
    expect(nextLapse(state)).toBe(T0 + 60_000 + STREAM_LAPSE_MS);
    expect(start(state, req('b', 1), T0 + 60_000 + STREAM_LAPSE_MS - 1).ok).toBe(false);
    expect(start(state, req('b', 1), T0 + 60_000 + STREAM_LAPSE_MS).ok).toBe(true);
    expect(renew(state, 'a', TITLE_A, T0 + 60_000 + STREAM_LAPSE_MS).outcome).toBe('none');
  });

  it('releases its own stream silently, and ends another device’s so that its next heartbeat hears it', () => {
    let state = start(emptyLeaseState(), req('a', 2), T0).state;
    state = start(state, req('b', 2), T0).state;
    const [a, b] = state.leases;
    const released = stop(state, a!.streamId, 'a', T0 + 1);
    expect(released.outcome).toBe('released');
    expect(renew(released.state, 'a', TITLE_A, T0 + 2).outcome).toBe('none');
    const ended = stop(released.state, b!.streamId, 'a', T0 + 3);
    expect(ended.outcome).toBe('ended');
    expect(renew(ended.state, 'b', TITLE_A, T0 + 4).outcome).toBe('ended');
    expect(stop(ended.state, b!.streamId, 'a', T0 + 5).outcome).toBe('not_found');
    // Starting again is a new play: a new lease, and the mark is gone.
    const restarted = start(ended.state, req('b', 2), T0 + 6);
    expect(restarted.ok && restarted.lease.streamId !== b!.streamId).toBe(true);
    expect(renew(restarted.state, 'b', TITLE_A, T0 + 7).outcome).toBe('renewed');
    expect(prune(ended.state, T0 + 3 + ENDED_MEMORY_MS).ended).toEqual([]);
  });

  it('finds the device of a profile’s lease on a title for a caller that names none', () => {
    let state = start(emptyLeaseState(), req('session:x', 2), T0).state;
    expect(deviceFor(state, P, TITLE_A, T0 + 1)).toBe('session:x');
    expect(deviceFor(state, P, TITLE_B, T0 + 1)).toBe(`profile:${P}`);
    state = stop(state, state.leases[0]!.streamId, 'session:y', T0 + 2).state;
    expect(deviceFor(state, P, TITLE_A, T0 + 3)).toBe('session:x');
  });

  it('never holds more live leases than the limit, one per device, whatever players do (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 60 }), (limit, steps) => {
        let state: LeaseState = emptyLeaseState();
        let now = T0;
        for (const s of steps) {
          now += s.advance;
          if (s.kind === 'start') {
            const before = prune(state, now).leases.length;
            const result = start(state, req(`d${s.device}`, limit, [TITLE_A, TITLE_B, P][s.title]!), now);
            const had = prune(state, now).leases.some((l) => l.device === `d${s.device}`);
            // Refused only when full and the device held nothing.
            expect(result.ok).toBe(had || before < limit);
            state = result.state;
          } else if (s.kind === 'renew') {
            state = renew(state, `d${s.device}`, TITLE_A, now).state;
          } else {
            const target = state.leases[s.pick % Math.max(1, state.leases.length)];
            state = stop(state, target?.streamId ?? 'none', `d${s.by}`, now).state;
          }
          const live = prune(state, now).leases;
          expect(live.length).toBeLessThanOrEqual(limit);
          expect(new Set(live.map((l) => l.device)).size).toBe(live.length);
          expect(new Set(live.map((l) => l.streamId)).size).toBe(live.length);
        }
      }),
    );
  });
});

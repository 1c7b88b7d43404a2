import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eventIdOf,
  formatReport,
  judgeKey,
  keyOf,
  Ledger,
  passed,
  quantile,
  verdict,
  type SentHeartbeat,
  type StoredState,
  type ViewingEvent,
} from './verdict.ts';

const P = '00000000-0000-4000-8000-00000000000a';
const T = '00000000-0000-4000-8000-000000000001';
const K = keyOf(P, T);

const hb = (eventTime: number, positionSeconds = eventTime / 10, deviceId = 'tv'): SentHeartbeat => ({
  profileId: P,
  titleId: T,
  deviceId,
  positionSeconds,
  eventTime,
});
const stored = (h: SentHeartbeat, completed = false): StoredState => ({
  eventTime: h.eventTime,
  tie: 0,
  positionSeconds: h.positionSeconds,
  deviceId: h.deviceId,
  completed,
});
const event = (h: SentHeartbeat, completed = false): ViewingEvent => ({
  eventId: eventIdOf(P, T, { eventTime: h.eventTime, tie: 0 }),
  profileId: P,
  titleId: T,
  eventTime: h.eventTime,
  tie: 0,
  completed,
});

function ledgerWith(outcomes: [SentHeartbeat, boolean][]): Ledger {
  const ledger = new Ledger();
  for (const [h] of outcomes) ledger.recordSent(h);
  for (const [h, ok] of outcomes)
    ledger.recordOutcome(h, ok ? { acknowledged: true } : { acknowledged: false, reason: 'network' });
  return ledger;
}

describe('judgeKey', () => {
  it('is ok when the latest acknowledged heartbeat is stored, whatever order the answers came in', () => {
    const [a, b, c] = [hb(1000), hb(2000), hb(3000)];
    const ledger = ledgerWith([
      [c, true],
      [a, true],
      [b, true],
    ]);
    expect(judgeKey(ledger, K, stored(c))).toBe('ok');
  });

  it('counts an older stored state than the latest 202 as lost, and a missing row too', () => {
    const [a, b] = [hb(1000), hb(2000)];
    const ledger = ledgerWith([
      [a, true],
      [b, true],
    ]);
    expect(judgeKey(ledger, K, stored(a))).toBe('lost');
    expect(judgeKey(ledger, K, undefined)).toBe('lost');
  });

  it('accepts a later heartbeat whose answer was lost, but not a state nobody sent', () => {
    const [a, b] = [hb(1000), hb(2000)];
    const ledger = ledgerWith([
      [a, true],
      [b, false],
    ]);
    expect(judgeKey(ledger, K, stored(b))).toBe('ok_unacknowledged');
    expect(judgeKey(ledger, K, { ...stored(b), eventTime: 2500 })).toBe('unknown');
  });

  it('calls a stored state at the acknowledged time with another position corrupt', () => {
    const a = hb(1000, 50);
    const ledger = ledgerWith([[a, true]]);
    expect(judgeKey(ledger, K, { ...stored(a), positionSeconds: 49 })).toBe('corrupt');
  });

  it('holds for any order of answers: the stored latest-acked state is ok, anything older is lost', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), fc.nat(1000), (acks, seed) => {
        const beats = acks.map((_, i) => hb(1000 * (i + 1)));
        const order = [...beats.keys()].sort((x, y) => ((x * 7919 + seed) % 31) - ((y * 7919 + seed) % 31));
        const ledger = new Ledger();
        for (const h of beats) ledger.recordSent(h);
        for (const i of order)
          ledger.recordOutcome(beats[i]!, acks[i] ? { acknowledged: true } : { acknowledged: false, reason: 'x' });
        const last = acks.lastIndexOf(true);
        beats.forEach((h, i) => {
          const finding = judgeKey(ledger, K, stored(h));
          if (last < 0) expect(finding).toBe('ok_unacknowledged');
          else if (i < last) expect(finding).toBe('lost');
          else if (i === last) expect(finding).toBe('ok');
          else expect(finding).toBe('ok_unacknowledged');
        });
      }),
    );
  });
});

describe('Ledger.recordRead', () => {
  it('flags a read older than an earlier read of the same source', () => {
    const ledger = ledgerWith([[hb(1000), true]]);
    ledger.recordRead(K, 'edge', { eventTime: 2000, tie: 0, positionSeconds: 200 }, 1);
    ledger.recordRead(K, 'edge', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 2);
    ledger.recordRead(K, 'cassandra', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 3);
    expect(ledger.regressions).toMatchObject([{ source: 'edge', against: 'earlier_read' }]);
  });

  it('does not flag a read that was in flight while a later-sent read showed more', () => {
    const ledger = ledgerWith([[hb(1000), true]]);
    const sentFirst = ledger.seenState(K, 'cassandra');
    ledger.recordRead(K, 'cassandra', { eventTime: 2000, tie: 0, positionSeconds: 200 }, 2, {
      seenBefore: ledger.seenState(K, 'cassandra'),
    });
    ledger.recordRead(K, 'cassandra', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 3, { seenBefore: sentFirst });
    expect(ledger.regressions).toHaveLength(0);
    ledger.recordRead(K, 'cassandra', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 4, {
      seenBefore: ledger.seenState(K, 'cassandra'),
    });
    expect(ledger.regressions).toMatchObject([{ source: 'cassandra', against: 'earlier_read' }]);
  });

  it('flags a read older than a 202 received before it was sent, and not one sent before that 202', () => {
    const a = hb(1000);
    const b = hb(2000);
    const ledger = ledgerWith([
      [a, true],
      [b, true],
    ]);
    ledger.recordRead(K, 'edge', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 1, { ackedBefore: 1000 });
    expect(ledger.regressions).toHaveLength(0);
    ledger.recordRead(K, 'edge', { eventTime: 1000, tie: 0, positionSeconds: 100 }, 2, { ackedBefore: 2000 });
    expect(ledger.regressions).toMatchObject([{ against: 'acknowledged' }]);
  });
});

describe('verdict', () => {
  it('finds the final state event, counts duplicate deliveries, and wants one history row per completion', () => {
    const [a, b] = [hb(1000, 95), hb(2000, 99)];
    const ledger = ledgerWith([
      [a, true],
      [b, true],
    ]);
    const events = [event(a, true), event(a, true), event(b, true)];
    const v = verdict(ledger, new Map([[K, stored(b, true)]]), events, new Map([[K, 1]]));
    expect(v).toMatchObject({
      duplicateEvents: 1,
      missingEvents: [],
      completedKeys: 1,
      historyMissing: [],
      historyDuplicated: [],
      completionEventsAbsorbed: 2,
    });
    expect(passed({ ledger, verdict: v, faults: [] })).toBe(true);
    const twice = verdict(ledger, new Map([[K, stored(b, true)]]), [event(a, true)], new Map([[K, 2]]));
    expect(twice.historyDuplicated).toEqual([K]);
    expect(twice.missingEvents).toEqual([K]);
  });

  it('fails the run on a lost heartbeat, and says so in the report', () => {
    const [a, b] = [hb(1000), hb(2000)];
    const ledger = ledgerWith([
      [a, true],
      [b, true],
    ]);
    const v = verdict(ledger, new Map([[K, stored(a)]]), [event(a)], new Map());
    expect(passed({ ledger, verdict: v, faults: [] })).toBe(false);
    const report = formatReport({
      mode: 'test',
      durationMs: 1000,
      ledger,
      verdict: v,
      faults: [{ kind: 'origin-kill', detail: '', startedAt: 0, recoveredAt: 1000, drainedAt: 3000 }],
      latencies: [
        { phase: 'none', ms: 5 },
        { phase: 'origin-kill', ms: 50 },
      ],
      proxy: { flushes: { '200': 3, reset: 1 }, other: {} },
      skipped: 0,
    });
    expect(report).toContain('LOST (goal 0): 1 e.g. ' + K);
    expect(report.at(-1)).toBe('verdict: FAIL');
    expect(report.find((l) => l.startsWith('fault origin-kill'))).toContain('drain after recovery median 2.0 s');
  });
});

describe('quantile', () => {
  it('is the nearest-rank quantile, within the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: 0, max: 1e6 }), { minLength: 1 }),
        fc.double({ noNaN: true, min: 0, max: 1 }),
        (xs, q) => {
          const v = quantile(xs, q);
          expect(xs).toContain(v);
          expect(xs.filter((x) => x <= v).length).toBeGreaterThanOrEqual(Math.ceil(q * xs.length));
        },
      ),
    );
    expect(quantile([5, 1, 3, 2, 4], 0.99)).toBe(5);
  });
});

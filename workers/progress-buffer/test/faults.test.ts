import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressView } from '../../../core/progress.ts';
import type { ChaosRule } from '../../test/chaos-rules.ts';
import {
  bufferFor,
  calm,
  chaos,
  FLUSH_PATH,
  heartbeat,
  newOwner,
  originCalls,
  playable,
  storedProgress,
} from '../../test/helpers.ts';
import type { Identity } from '../../../core/tokens.ts';

const titles = playable().slice(0, 4);
const owners: Identity[] = [];
afterEach(async () => {
  await Promise.all(owners.splice(0).map(calm));
});

/** Every stored position only ever moves forward in event time. */
function expectNoRegression(before: Map<string, ProgressView>, after: Map<string, ProgressView>) {
  for (const [titleId, was] of before) {
    const now = after.get(titleId);
    expect(now, `title ${titleId} disappeared`).toBeDefined();
    expect(Date.parse(now!.lastWatchedAt)).toBeGreaterThanOrEqual(Date.parse(was.lastWatchedAt));
  }
}

describe('faults between the buffer and the origin', () => {
  it('an origin failing many times in a row, in every way, ends with every acknowledged heartbeat stored and none regressed', async () => {
    const o = newOwner();
    owners.push(o);
    const stub = bufferFor(o);
    const failures: Omit<ChaosRule, 'pid' | 'failNext'>[] = [
      { mode: 'status', status: 503 },
      { mode: 'reset' },
      { mode: 'lost-ack' }, // the origin stored the batch; the buffer never heard
      { mode: 'status', status: 500 },
      { mode: 'lost-ack' },
      { mode: 'status', status: 429 },
      { mode: 'reset' },
      { mode: 'status', status: 502 },
    ];
    const start = Date.now() - 60_000;
    /** The latest acknowledged state per title: what must end up stored. */
    const acknowledged = new Map<string, { eventTime: number; position: number }>();
    let observed = new Map<string, ProgressView>();
    let tick = 0;
    for (const failure of failures) {
      // A few heartbeats per round, from two kinds of device, some of them late. One device per
      // title, so no title switch brings a flush forward (flush-policy.ts): the test runs each one.
      for (const [i, title] of titles.entries()) {
        tick += 1;
        const eventTime = start + tick * 1_000 - (i % 2) * 500;
        const position = tick * 10;
        const device = `${i % 2 ? 'phone' : 'tv'}-${i}`;
        const result = await stub.record(o, [heartbeat(title.id, eventTime, position, device)]);
        expect(result.accepted).toBe(1);
        const prev = acknowledged.get(title.id);
        if (!prev || eventTime > prev.eventTime) acknowledged.set(title.id, { eventTime, position });
      }
      await chaos(o, { ...failure, failNext: 1, path: FLUSH_PATH });
      await runDurableObjectAlarm(stub);
      const stored = await storedProgress(
        o,
        titles.map((t) => t.id),
      );
      expectNoRegression(observed, stored);
      observed = stored;
    }
    const { attempts } = await stub.stats();
    expect(attempts).toBe(failures.length);

    // The origin recovers: the next alarm (whenever it comes) sends what is still unacknowledged.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.stats()).toMatchObject({ pending: 0, attempts: 0 });
    const stored = await storedProgress(
      o,
      titles.map((t) => t.id),
    );
    expectNoRegression(observed, stored);
    for (const [titleId, want] of acknowledged) {
      expect(stored.get(titleId)).toMatchObject({
        positionSeconds: want.position,
        lastWatchedAt: new Date(want.eventTime).toISOString(),
      });
    }
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    const calls = await originCalls(o, FLUSH_PATH);
    expect(calls.filter((c) => c.chaos !== null)).toHaveLength(failures.length);
  });

  it('re-sending a batch the origin already stored (lost acknowledgement) changes nothing', async () => {
    const o = newOwner();
    owners.push(o);
    const stub = bufferFor(o);
    const [a, b] = titles;
    const t = Date.now() - 5_000;
    await stub.record(o, [heartbeat(a!.id, t, 100), heartbeat(b!.id, t, 200, 'phone')]);
    await chaos(o, { mode: 'lost-ack', failNext: 2, path: FLUSH_PATH });
    await runDurableObjectAlarm(stub);
    await runDurableObjectAlarm(stub);
    const first = await storedProgress(o, [a!.id, b!.id]);
    expect(await stub.stats()).toMatchObject({ pending: 2, attempts: 2 });
    await runDurableObjectAlarm(stub);
    expect(await stub.stats()).toMatchObject({ pending: 0, attempts: 0 });
    expect(await storedProgress(o, [a!.id, b!.id])).toEqual(first);
  });
});

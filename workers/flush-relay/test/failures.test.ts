import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Identity } from '../../../core/tokens.ts';
import type { ChaosRule } from '../../test/chaos-rules.ts';
import {
  bufferFor,
  calm,
  chaos,
  FLUSH_BATCH_PATH,
  heartbeat,
  originCalls,
  ownersOnOneRelay,
  playable,
  relayFor,
  storedProgress,
} from '../../test/helpers.ts';

const [movie] = playable();
const armed: Identity[] = [];
afterEach(async () => {
  await Promise.all(armed.splice(0).map(calm));
});

const alarmOf = (o: Identity) => runInDurableObject(bufferFor(o), (_i, state) => state.storage.getAlarm());

describe('flush relay failures', () => {
  const failures: Omit<ChaosRule, 'pid' | 'failNext'>[] = [
    { mode: 'status', status: 503 },
    { mode: 'reset' },
    { mode: 'lost-ack' }, // the origin stored the batch; no buffer heard
  ];
  for (const failure of failures) {
    it(`leaves every entry of every buffer in a failed batch (${failure.mode}) dirty, and their retries store them`, async () => {
      const [held, ...owners] = ownersOnOneRelay(4);
      armed.push(held!, ...owners);
      const eventTime = Date.now() - 1_000;
      await Promise.all(owners.map((o, i) => bufferFor(o).record(o, [heartbeat(movie!.id, eventTime, 100 + i)])));
      // Hold the relay's request in flight so the three flushes queue and fail as one batch.
      await chaos(held!, { mode: 'delay', delayMs: 2_000, failNext: 1, path: FLUSH_BATCH_PATH });
      await chaos(owners[0]!, { ...failure, failNext: 1, path: FLUSH_BATCH_PATH });
      await bufferFor(held!).record(held!, [heartbeat(movie!.id, eventTime, 1)]);
      const first = runDurableObjectAlarm(bufferFor(held!));
      await vi.waitFor(async () => expect(await originCalls(held!, FLUSH_BATCH_PATH)).toHaveLength(1));
      const queued = Promise.all(owners.map((o) => runDurableObjectAlarm(bufferFor(o))));
      await vi.waitFor(async () => expect((await relayFor(held!).stats()).queued).toBeGreaterThanOrEqual(3));
      await Promise.all([first, queued]);

      const calls = await Promise.all(owners.map((o) => originCalls(o, FLUSH_BATCH_PATH)));
      expect(new Set(calls.flat().map((c) => c.requestId)).size).toBe(1);
      for (const o of owners) {
        expect(await bufferFor(o).stats()).toMatchObject({ pending: 1, attempts: 1 });
        expect(await alarmOf(o)).not.toBeNull();
      }

      await Promise.all(owners.map((o) => runDurableObjectAlarm(bufferFor(o))));
      for (const [i, o] of owners.entries()) {
        expect(await bufferFor(o).stats()).toMatchObject({ pending: 0, attempts: 0 });
        expect((await storedProgress(o, [movie!.id])).get(movie!.id)?.positionSeconds).toBe(100 + i);
      }
    });
  }

  it('acknowledges nothing from a relay evicted mid-flush: the buffer keeps its entries dirty and its retry stores them', async () => {
    const [o] = ownersOnOneRelay(1);
    armed.push(o!);
    const stub = bufferFor(o!);
    await stub.record(o!, [heartbeat(movie!.id, Date.now() - 1_000, 321)]);
    await chaos(o!, { mode: 'delay', delayMs: 1_500, failNext: 1, path: FLUSH_BATCH_PATH });
    const flushing = runDurableObjectAlarm(stub);
    await vi.waitFor(async () => expect(await originCalls(o!, FLUSH_BATCH_PATH)).toHaveLength(1));
    await runInDurableObject(relayFor(o!), (_i, state) => state.abort('evicted by the test')).catch(() => {});
    await flushing;
    expect(await stub.stats()).toMatchObject({ pending: 1, attempts: 1 });

    await runDurableObjectAlarm(stub);
    expect(await stub.stats()).toMatchObject({ pending: 0, attempts: 0 });
    expect((await storedProgress(o!, [movie!.id])).get(movie!.id)?.positionSeconds).toBe(321);
  });
});

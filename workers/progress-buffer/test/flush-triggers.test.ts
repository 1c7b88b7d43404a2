/**
 * The early flush triggers (flush-policy.ts) in the Durable Object, in workerd against the real
 * origin: a pause, a stop, a completion or a title switch flushes at once instead of waiting for
 * the interval, and an entry stays unflushed until the origin has answered its flush with a 200.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Heartbeat } from '../../../core/progress.ts';
import type { Identity } from '../../../core/tokens.ts';
import { flushIntervalMs } from '../src/config.ts';
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

const [movie, other] = playable();
const owners: Identity[] = [];
function owner(): Identity {
  const o = newOwner();
  owners.push(o);
  return o;
}
afterEach(async () => {
  await Promise.all(owners.splice(0).map(calm));
});

const alarmAt = (stub: ReturnType<typeof bufferFor>) =>
  runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());

const stored = async (o: Identity, titleId: string) => (await storedProgress(o, [titleId])).get(titleId);

/** Plays `movie` for a while (one interval's alarm armed, nothing flushed), then sends `trigger`. */
async function playThen(o: Identity, trigger: (t: number) => Heartbeat): Promise<void> {
  const stub = bufferFor(o);
  const t = Date.now() - 30_000;
  await stub.record(o, [heartbeat(movie!.id, t, 100)]);
  await stub.record(o, [heartbeat(movie!.id, t + 10_000, 110)]);
  expect(await alarmAt(stub)).toBeGreaterThan(Date.now() + flushIntervalMs(env) / 2);
  expect(await originCalls(o, FLUSH_PATH)).toHaveLength(0);
  await stub.record(o, [trigger(t + 20_000)]);
}

describe('early flush triggers', () => {
  const cases: [string, (t: number) => Heartbeat, () => string, number][] = [
    ['a pause', (t) => ({ ...heartbeat(movie!.id, t, 115), state: 'paused' }), () => movie!.id, 115],
    ['a stop', (t) => ({ ...heartbeat(movie!.id, t, 117), state: 'stopped' }), () => movie!.id, 117],
    // The catalog's duration decides: play the movie to its end.
    [
      'a completion',
      (t) => heartbeat(movie!.id, t, movie!.durationSeconds, 'tv-1', movie!.durationSeconds),
      () => movie!.id,
      NaN,
    ],
    ['a title switch', (t) => heartbeat(other!.id, t, 5), () => movie!.id, 110],
  ];
  for (const [name, trigger, titleOf, position] of cases) {
    it(`flushes at once on ${name}, without waiting for the interval`, async () => {
      const o = owner();
      await playThen(o, trigger);
      await vi.waitFor(async () => expect(await bufferFor(o).stats()).toMatchObject({ pending: 0 }), {
        timeout: 15_000,
      });
      const row = await stored(o, titleOf());
      expect(row).toBeDefined();
      if (!Number.isNaN(position)) expect(row!.positionSeconds).toBe(position);
      else expect(row!.completed).toBe(true);
      expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1);
    });
  }

  it('waits for the interval when a paused player repeats the position it already flushed', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await playThen(o, (t) => ({ ...heartbeat(movie!.id, t, 115), state: 'paused' }));
    await vi.waitFor(async () => expect(await stub.stats()).toMatchObject({ pending: 0 }), { timeout: 15_000 });
    await stub.record(o, [{ ...heartbeat(movie!.id, Date.now() - 1_000, 115), state: 'paused' }]);
    expect(await stub.stats()).toMatchObject({ pending: 1 });
    expect(await alarmAt(stub)).toBeGreaterThan(Date.now() + flushIntervalMs(env) / 2);
  });
});

describe('an early flush marks entries clean only once answered', () => {
  it('keeps the entry unflushed while the flush is in flight, and after the origin refused it', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await chaos(o, { mode: 'delay', delayMs: 2_000, failNext: 1, path: FLUSH_PATH });
    await playThen(o, (t) => ({ ...heartbeat(movie!.id, t, 120), state: 'paused' }));
    await vi.waitFor(async () => expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1), { timeout: 10_000 });
    expect(await stub.stats()).toMatchObject({ pending: 1 });
    await vi.waitFor(async () => expect(await stub.stats()).toMatchObject({ pending: 0 }), { timeout: 15_000 });
    expect((await stored(o, movie!.id))?.positionSeconds).toBe(120);

    // Refused: the entry stays unflushed, and the retry waits for the backoff, not the next trigger.
    await chaos(o, { mode: 'status', status: 503, failNext: 5, path: FLUSH_PATH });
    await stub.record(o, [{ ...heartbeat(movie!.id, Date.now() - 500, 130), state: 'stopped' }]);
    await vi.waitFor(async () => expect(await stub.stats()).toMatchObject({ attempts: 1 }), { timeout: 10_000 });
    expect(await stub.stats()).toMatchObject({ pending: 1 });
    expect((await stored(o, movie!.id))?.positionSeconds).toBe(120);
    const backoff = await alarmAt(stub);
    await stub.record(o, [{ ...heartbeat(movie!.id, Date.now(), 140), state: 'paused' }]);
    expect(await alarmAt(stub)).toBe(backoff);
  });
});

import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushIntervalMs } from '../src/config.ts';
import { FLUSH_SIZE_BOUND } from '../src/progress-buffer.ts';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS } from '../src/retry.ts';
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

const [movie, other, third] = playable();
const owners: Identity[] = [];
function owner(): Identity {
  const o = newOwner();
  owners.push(o);
  return o;
}
afterEach(async () => {
  await Promise.all(owners.splice(0).map(calm));
});

async function alarmAt(stub: ReturnType<typeof bufferFor>): Promise<number | null> {
  return runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
}

describe('flush scheduling', () => {
  it('arms a flush one interval (PROGRESS_FLUSH_INTERVAL_MS) after the first heartbeat, and does not push it back', async () => {
    const o = owner();
    const stub = bufferFor(o);
    const interval = flushIntervalMs(env);
    const before = Date.now();
    await stub.record(o, [heartbeat(movie!.id, before, 10)]);
    const first = await alarmAt(stub);
    expect(first).toBeGreaterThanOrEqual(before + interval);
    expect(first).toBeLessThanOrEqual(Date.now() + interval);
    await stub.record(o, [heartbeat(movie!.id, before + 10_000, 20)]);
    expect(await alarmAt(stub)).toBe(first);
  });

  it(`flushes at once when ${FLUSH_SIZE_BOUND} titles are waiting, without waiting for the interval`, async () => {
    const o = owner();
    const stub = bufferFor(o);
    const now = Date.now();
    // Titles the catalog does not have: the origin drops them, so the buffer forgets them.
    const batch = Array.from({ length: FLUSH_SIZE_BOUND }, (_, i) => heartbeat(crypto.randomUUID(), now - i, 1));
    for (let i = 0; i < batch.length; i += 100) await stub.record(o, batch.slice(i, i + 100));
    await vi.waitFor(async () => expect(await stub.stats()).toMatchObject({ pending: 0, titles: 0 }), {
      timeout: 10_000,
    });
    expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1);
  });
});

describe('alarm flush', () => {
  it('lands the buffered states in Cassandra and leaves nothing armed', async () => {
    const o = owner();
    const stub = bufferFor(o);
    const t = Date.now() - 5_000;
    await stub.record(o, [
      heartbeat(movie!.id, t, 100),
      heartbeat(other!.id, t, 200),
      heartbeat(movie!.id, t + 1, 110),
    ]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.stats()).toMatchObject({ pending: 0, titles: 2, attempts: 0 });
    expect(await alarmAt(stub)).toBeNull();
    const stored = await storedProgress(o, [movie!.id, other!.id]);
    expect(stored.get(movie!.id)).toMatchObject({ positionSeconds: 110 });
    expect(stored.get(other!.id)).toMatchObject({ positionSeconds: 200 });
    expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1);
  });

  it('keeps heartbeats that arrive during a flush and sends them with the next one', async () => {
    const o = owner();
    const stub = bufferFor(o);
    const t = Date.now() - 5_000;
    await stub.record(o, [heartbeat(movie!.id, t, 100), heartbeat(other!.id, t, 200)]);
    await chaos(o, { mode: 'delay', delayMs: 1_500, failNext: 1, path: FLUSH_PATH });
    const flushing = runDurableObjectAlarm(stub);
    await vi.waitFor(async () => expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1));
    // The snapshot is on its way; these change one title it carries and add another.
    await stub.record(o, [heartbeat(movie!.id, t + 1_000, 130), heartbeat(third!.id, t + 1_000, 300)]);
    expect(await flushing).toBe(true);

    const pending = await stub.pending();
    expect(pending.map((e) => [e.titleId, e.positionSeconds]).sort()).toEqual(
      [
        [movie!.id, 130],
        [third!.id, 300],
      ].sort(),
    );
    expect(await alarmAt(stub)).not.toBeNull();
    let stored = await storedProgress(o, [movie!.id, other!.id, third!.id]);
    expect(stored.get(movie!.id)?.positionSeconds).toBe(100);
    expect(stored.has(third!.id)).toBe(false);

    await runDurableObjectAlarm(stub);
    stored = await storedProgress(o, [movie!.id, other!.id, third!.id]);
    expect([...stored.values()].map((p) => [p.titleId, p.positionSeconds]).sort()).toEqual(
      [
        [movie!.id, 130],
        [other!.id, 200],
        [third!.id, 300],
      ].sort(),
    );
    expect(await stub.stats()).toMatchObject({ pending: 0 });
  });

  it('treats a second alarm delivery during a flush as the same flush (one request)', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await chaos(o, { mode: 'delay', delayMs: 500, failNext: 1, path: FLUSH_PATH });
    await Promise.all([
      runInDurableObject(stub, (instance) => instance.alarm()),
      runInDurableObject(stub, (instance) => instance.alarm()),
    ]);
    expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1);
    expect(await stub.stats()).toMatchObject({ pending: 0 });
  });

  it('is harmless when delivered again after a successful flush: nothing is sent, nothing changes', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await runDurableObjectAlarm(stub);
    const before = await storedProgress(o, [movie!.id]);
    await runInDurableObject(stub, (instance) => instance.alarm());
    await runInDurableObject(stub, (instance) => instance.alarm());
    expect(await originCalls(o, FLUSH_PATH)).toHaveLength(1);
    expect(await storedProgress(o, [movie!.id])).toEqual(before);
    expect(await alarmAt(stub)).toBeNull();
  });
});

describe('flush failures', () => {
  it('re-arms with exponential, capped, jittered backoff, then resets after a success', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await chaos(o, { mode: 'status', status: 503, failNext: 14, path: FLUSH_PATH });
    const delays: { attempts: number; delay: number }[] = [];
    for (let i = 0; i < 14; i += 1) {
      await runDurableObjectAlarm(stub);
      const { attempts, at, now } = await runInDurableObject(stub, async (instance, state) => ({
        attempts: instance.stats().attempts,
        at: await state.storage.getAlarm(),
        now: Date.now(),
      }));
      expect(at).not.toBeNull();
      delays.push({ attempts, delay: at! - now });
    }
    for (const { attempts, delay } of delays) {
      const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempts - 1));
      expect(delay).toBeGreaterThanOrEqual(step / 2 - 50);
      expect(delay).toBeLessThanOrEqual(step);
    }
    expect(delays.at(-1)!.attempts).toBeGreaterThanOrEqual(14);
    const capped = delays.filter((d) => BACKOFF_BASE_MS * 2 ** (d.attempts - 1) >= BACKOFF_MAX_MS);
    expect(capped.length).toBeGreaterThanOrEqual(4);
    expect(new Set(capped.map((d) => Math.round(d.delay / 100))).size).toBeGreaterThan(1); // jitter
    expect(await stub.stats()).toMatchObject({ pending: 1 });

    await runDurableObjectAlarm(stub);
    expect(await stub.stats()).toMatchObject({ pending: 0, attempts: 0 });
    expect((await storedProgress(o, [movie!.id])).get(movie!.id)?.positionSeconds).toBe(100);
  });

  it('backs off on a refused request (4xx: a bug) too, and keeps the progress', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await chaos(o, { mode: 'status', status: 400, failNext: 1, path: FLUSH_PATH });
    await runDurableObjectAlarm(stub);
    expect(await stub.stats()).toMatchObject({ pending: 1, attempts: 1 });
    expect(await alarmAt(stub)).toBeGreaterThan(Date.now());
    await runDurableObjectAlarm(stub);
    expect(await stub.stats()).toMatchObject({ pending: 0, attempts: 0 });
  });

  it('keeps the backoff while heartbeats keep coming (a busy profile does not hammer a failing origin)', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await chaos(o, { mode: 'status', status: 503, failNext: 6, path: FLUSH_PATH });
    for (let i = 0; i < 6; i += 1) await runDurableObjectAlarm(stub);
    const armed = await alarmAt(stub);
    const now = Date.now();
    const batch = Array.from({ length: FLUSH_SIZE_BOUND }, (_, i) => heartbeat(crypto.randomUUID(), now - i, 1));
    for (let i = 0; i < batch.length; i += 100) await stub.record(o, batch.slice(i, i + 100));
    expect(await alarmAt(stub)).toBe(armed);
  });
});

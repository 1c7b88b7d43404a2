import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProgressEntry } from '../../../core/progress.ts';
import { MAX_TITLES } from '../src/progress-buffer.ts';
import {
  bufferFor,
  calm,
  chaos,
  FLUSH_PATH,
  heartbeat,
  newOwner,
  playable,
  storedProgress,
} from '../../test/helpers.ts';
import type { Identity } from '../../../core/tokens.ts';

type Stub = ReturnType<typeof bufferFor>;
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

const MARK = Symbol('this instance');

/**
 * Evicts the owner's object: its in-memory state is gone and stubs to it are broken; the next call
 * through a new stub builds a new instance from storage.
 */
async function evict(o: Identity): Promise<void> {
  await runInDurableObject(bufferFor(o), (instance) => {
    (instance as unknown as Record<symbol, boolean>)[MARK] = true;
  });
  await runInDurableObject(bufferFor(o), (_instance, state) => state.abort('evicted by the test')).catch(() => {});
  const fresh = await runInDurableObject(
    bufferFor(o),
    (instance) => !(instance as unknown as Record<symbol, boolean>)[MARK],
  );
  expect(fresh).toBe(true);
}

async function storedTitles(stub: Stub): Promise<Map<string, { entry: ProgressEntry; dirty: boolean }>> {
  return runInDurableObject(stub, async (_instance, state) => {
    const rows = await state.storage.list<{ entry: ProgressEntry; dirty: boolean }>({ prefix: 'title:' });
    return new Map([...rows].map(([key, value]) => [key.slice('title:'.length), value]));
  });
}

describe('eviction', () => {
  it('loses no acknowledged heartbeat when the object is evicted between heartbeats', async () => {
    const o = owner();
    const t = Date.now() - 10_000;
    await bufferFor(o).record(o, [heartbeat(movie!.id, t, 100)]);
    await evict(o);
    await bufferFor(o).record(o, [heartbeat(other!.id, t, 200)]);
    await evict(o);
    await bufferFor(o).record(o, [heartbeat(movie!.id, t + 1_000, 150)]);
    await evict(o);
    const pending = await bufferFor(o).pending();
    expect(pending.map((e) => [e.titleId, e.positionSeconds]).sort()).toEqual(
      [
        [movie!.id, 150],
        [other!.id, 200],
      ].sort(),
    );
  });

  it('still flushes everything acknowledged when evicted between record and alarm (the alarm is stored too)', async () => {
    const o = owner();
    await bufferFor(o).record(o, [
      heartbeat(movie!.id, Date.now() - 1_000, 100),
      heartbeat(third!.id, Date.now(), 300),
    ]);
    await evict(o);
    expect(await runDurableObjectAlarm(bufferFor(o))).toBe(true);
    const stored = await storedProgress(o, [movie!.id, third!.id]);
    expect(stored.get(movie!.id)?.positionSeconds).toBe(100);
    expect(stored.get(third!.id)?.positionSeconds).toBe(300);
  });

  it('keeps the tie watermark of flushed titles across eviction, so a same-time heartbeat still wins', async () => {
    const o = owner();
    const t = Date.now() - 1_000;
    await bufferFor(o).record(o, [heartbeat(movie!.id, t, 100, 'tv'), heartbeat(movie!.id, t, 120, 'phone')]);
    await runDurableObjectAlarm(bufferFor(o));
    await evict(o);
    await bufferFor(o).record(o, [heartbeat(movie!.id, t, 130, 'tv')]);
    expect((await bufferFor(o).pending())[0]).toMatchObject({ positionSeconds: 130, tie: 2 });
  });

  it('remembers failed attempts across eviction, so the backoff does not start over', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await stub.record(o, [heartbeat(movie!.id, Date.now() - 1_000, 100)]);
    await chaos(o, { mode: 'status', failNext: 3, path: FLUSH_PATH });
    for (let i = 0; i < 3; i += 1) await runDurableObjectAlarm(stub);
    await evict(o);
    expect(await bufferFor(o).stats()).toMatchObject({ attempts: 3, pending: 1 });
  });
});

describe('storage bound', () => {
  it(`keeps at most ${MAX_TITLES} titles: the oldest flushed ones go, unflushed ones never`, async () => {
    const o = owner();
    const stub = bufferFor(o);
    // An origin that acknowledges anything, so these made-up titles become flushed (clean) entries.
    await chaos(o, { mode: 'fake-ack', failNext: 100, path: FLUSH_PATH });
    const base = Date.now() - 3_600_000;
    const ids = Array.from({ length: MAX_TITLES }, () => crypto.randomUUID());
    for (let i = 0; i < ids.length; i += 100) {
      await stub.record(
        o,
        ids.slice(i, i + 100).map((id, j) => heartbeat(id, base + (i + j) * 1_000, 1)),
      );
    }
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect(await stub.stats()).toMatchObject({ titles: MAX_TITLES, pending: 0 });
      },
      { timeout: 10_000 },
    );
    const fresh = Array.from({ length: 5 }, () => crypto.randomUUID());
    const result = await stub.record(
      o,
      fresh.map((id) => heartbeat(id, Date.now(), 1)),
    );
    expect(result).toMatchObject({ accepted: 5, refused: 0, pending: 5 });
    const kept = await storedTitles(stub);
    expect(kept.size).toBe(MAX_TITLES);
    for (const id of ids.slice(0, 5)) expect(kept.has(id)).toBe(false);
    for (const id of [...ids.slice(5), ...fresh]) expect(kept.has(id)).toBe(true);
  });

  it('refuses new titles rather than forget unflushed ones when the buffer is full of them', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await chaos(o, { mode: 'status', failNext: 1_000, path: FLUSH_PATH });
    const now = Date.now();
    for (let i = 0; i < MAX_TITLES; i += 100) {
      await stub.record(
        o,
        Array.from({ length: 100 }, (_, j) => heartbeat(crypto.randomUUID(), now - i - j, 1)),
      );
    }
    const result = await stub.record(o, [heartbeat(crypto.randomUUID(), now, 1), heartbeat(movie!.id, now, 1)]);
    expect(result).toMatchObject({ accepted: 0, refused: 2, pending: MAX_TITLES });
    expect((await storedTitles(stub)).size).toBe(MAX_TITLES);
  });
});

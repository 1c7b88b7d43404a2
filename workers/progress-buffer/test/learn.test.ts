/**
 * The buffer's knowledge of stored progress across its bound and its lifecycle: titles evicted past
 * MAX_TITLES are asked of the origin (that title only), never answered "none"; what it learned
 * survives eviction of the object.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Identity } from '../../../core/tokens.ts';
import { MAX_TITLES } from '../src/progress-buffer.ts';
import {
  bufferFor,
  calm,
  chaos,
  FLUSH_PATH,
  heartbeat,
  newOwner,
  originCalls,
  playable,
  STORED_PATH,
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

describe('titles evicted past the bound', () => {
  it('are asked of the origin, that title only, and answered with the stored state, while unseen titles cost nothing', async () => {
    const o = owner();
    const stub = bufferFor(o);
    const base = Date.now() - 3_600_000;
    // The oldest title, flushed for real, so the origin stores it.
    await stub.record(o, [heartbeat(movie!.id, base, 77, 'tv', movie!.durationSeconds)]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.known(o, [other!.id])).toEqual({ entries: [] });
    // Fill the bound with made-up titles the origin acknowledges without storing.
    await chaos(o, { mode: 'fake-ack', failNext: 100, path: FLUSH_PATH });
    const ids = Array.from({ length: MAX_TITLES - 1 }, () => crypto.randomUUID());
    for (let i = 0; i < ids.length; i += 100) {
      await stub.record(
        o,
        ids.slice(i, i + 100).map((id, j) => heartbeat(id, base + (i + j + 1) * 1_000, 1)),
      );
    }
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect(await stub.stats()).toMatchObject({ titles: MAX_TITLES, pending: 0 });
      },
      { timeout: 20_000 },
    );
    await calm(o);
    // One new title evicts the oldest flushed one: the real movie.
    await stub.record(o, [heartbeat(crypto.randomUUID(), Date.now(), 1)]);
    const gone = await runInDurableObject(stub, (_i, state) => state.storage.get(`gone:${movie!.id}`));
    expect(gone).toBe(true);
    expect(await originCalls(o, STORED_PATH)).toHaveLength(1);

    expect((await stub.known(o, [movie!.id])).entries).toEqual([
      expect.objectContaining({ titleId: movie!.id, positionSeconds: 77 }),
    ]);
    expect(await originCalls(o, STORED_PATH)).toHaveLength(2);
    // A title the profile never watched is still known to have no progress: no origin call.
    expect(await stub.known(o, [crypto.randomUUID()])).toEqual({ entries: [] });
    expect(await originCalls(o, STORED_PATH)).toHaveLength(2);
    // Continue Watching cannot be built from the buffer alone while a stored title is let go of.
    expect(await stub.all(o)).toMatchObject({ complete: false });
  });
});

describe('what the buffer learned', () => {
  it('survives eviction of the object: a new instance answers without learning again', async () => {
    const o = owner();
    await bufferFor(o).record(o, [heartbeat(movie!.id, Date.now() - 5_000, 42, 'tv', movie!.durationSeconds)]);
    expect(await runDurableObjectAlarm(bufferFor(o))).toBe(true);
    expect((await bufferFor(o).known(o, [movie!.id, other!.id])).entries).toHaveLength(1);
    await runInDurableObject(bufferFor(o), (_instance, state) => state.abort('evicted by the test')).catch(() => {});
    expect((await bufferFor(o).known(o, [movie!.id, other!.id])).entries).toEqual([
      expect.objectContaining({ titleId: movie!.id, positionSeconds: 42 }),
    ]);
    expect(await bufferFor(o).all(o)).toMatchObject({ complete: true });
    expect(await originCalls(o, STORED_PATH)).toHaveLength(1);
  });

  it('is shared by concurrent first reads: one origin call for all of them', async () => {
    const o = owner();
    const stub = bufferFor(o);
    await chaos(o, { mode: 'delay', delayMs: 1_000, failNext: 1, path: STORED_PATH });
    const answers = await Promise.all([stub.known(o, [movie!.id]), stub.all(o), stub.known(o, [other!.id])]);
    for (const answer of answers) expect(answer.entries).toEqual([]);
    expect(await originCalls(o, STORED_PATH)).toHaveLength(1);
  });
});

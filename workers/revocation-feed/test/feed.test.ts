import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { REVOCATION_FEED_MEMORY_MS } from '../../../core/revocation-feed.ts';
import { feedOf } from '../src/rpc.ts';
import { PRUNE_BATCH_MS } from '../src/revocation-feed.ts';

/** A feed of its own per test (the global one is shared with the edge suites). */
const freshFeed = () => feedOf(env, `test-${crypto.randomUUID()}`);
const rev = (sessionId: string, revokedAt: number) => ({ sessionId, accountId: 'acct-1', revokedAt });
const MARK = Symbol('this instance');

/** Evicts the object: the next call through a new stub builds a new instance from storage. */
async function evict(name: string): Promise<ReturnType<typeof feedOf>> {
  await runInDurableObject(feedOf(env, name), (instance) => {
    (instance as unknown as Record<symbol, boolean>)[MARK] = true;
  });
  await runInDurableObject(feedOf(env, name), (_instance, state) => state.abort('evicted by the test')).catch(() => {});
  const stub = feedOf(env, name);
  expect(await runInDurableObject(stub, (instance) => !(instance as unknown as Record<symbol, boolean>)[MARK])).toBe(
    true,
  );
  return stub;
}

describe('RevocationFeed', () => {
  it('hands out monotonic seqs and answers what came after a reader’s seq', async () => {
    const feed = freshFeed();
    const now = Date.now();
    expect(await feed.append([rev('a', now), rev('b', now)])).toEqual({ seq: 2 });
    expect(await feed.append([rev('c', now)])).toEqual({ seq: 3 });
    const page = await feed.since(1);
    expect(page).toMatchObject({ seq: 3, reload: false, more: false });
    expect(page.entries.map((e) => [e.seq, e.sessionId, e.until])).toEqual([
      [2, 'b', now + REVOCATION_FEED_MEMORY_MS],
      [3, 'c', now + REVOCATION_FEED_MEMORY_MS],
    ]);
  });

  it('survives eviction: the entries, the seq and the horizon come back from storage', async () => {
    const name = `test-${crypto.randomUUID()}`;
    const now = Date.now();
    await feedOf(env, name).append([rev('a', now), rev('b', now)]);
    const before = await feedOf(env, name).since(0);
    const after = await evict(name);
    expect(await after.since(0)).toEqual(before);
    expect(await after.append([rev('c', now)])).toEqual({ seq: 3 });
  });

  it('prunes entries whose tokens have expired from its alarm, and tells an older reader to reload', async () => {
    const name = `test-${crypto.randomUUID()}`;
    const feed = feedOf(env, name);
    const now = Date.now();
    // Revoked long enough ago that every token of the session has expired: pruned at the next alarm.
    await feed.append([rev('expired', now - REVOCATION_FEED_MEMORY_MS - PRUNE_BATCH_MS - 1)]);
    await feed.append([rev('live', now)]);
    // Its alarm is due at once; run it now (unless the runtime already has).
    await runDurableObjectAlarm(feed);
    const stored = await runInDurableObject(feed, (_i, state) =>
      state.storage.sql.exec<{ session_id: string }>('SELECT session_id FROM feed_entries').toArray(),
    );
    expect(stored.map((r) => r.session_id)).toEqual(['live']);
    // A reader that never saw seq 1 must reload; one past it reads on.
    expect(await feed.since(0)).toMatchObject({ reload: true, seq: 2, entries: [{ sessionId: 'live' }] });
    expect(await feed.since(1)).toMatchObject({ reload: false, seq: 2, entries: [{ sessionId: 'live' }] });
    // The next alarm waits for the live entry's expiry (batched).
    const next = await runInDurableObject(feed, (_i, state) => state.storage.getAlarm());
    expect(next).toBe(now + REVOCATION_FEED_MEMORY_MS + PRUNE_BATCH_MS);
    // The horizon survives eviction too.
    expect(await (await evict(name)).since(0)).toMatchObject({ reload: true, seq: 2 });
  });
});

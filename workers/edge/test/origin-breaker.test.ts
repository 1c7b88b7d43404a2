/**
 * The edge's breaker around the origin (workers/shared/origin-breaker.ts), with the origin made
 * unreachable by the chaos proxy (connection resets). This file runs in its own workerd isolate,
 * so its breaker is its own. Defaults apply: over 10 s, at least 10 calls and more than half
 * failing open it; one probe goes through after 5 s.
 */
import { SELF, env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { PlaybackManifest } from '../../../core/manifest/json.ts';
import { originBreakerState } from '../../shared/origin-breaker.ts';
import { calm, chaos, newOwner, originCalls, profileToken } from '../../test/helpers.ts';
import type { Identity } from '../../../core/tokens.ts';

const EDGE = 'https://edge.test';
const { titleId } = JSON.parse(env.TEST_PLAYBACK) as { titleId: string };
const SOURCE_KEY = `https://playback-source.edgeflix.internal/titles/${titleId}`;

async function browse(owner: Identity): Promise<Response> {
  return SELF.fetch(`${EDGE}/v1/titles?limit=1`, { headers: { authorization: `Bearer ${await profileToken(owner)}` } });
}

const failing: Identity[] = [];
afterEach(async () => {
  for (const owner of failing.splice(0)) await calm(owner);
});

/** Makes every origin call of a fresh owner fail, and browses until the breaker refuses. */
async function openBreaker(): Promise<{ owner: Identity; statuses: number[]; refusal: Response }> {
  const owner = newOwner();
  failing.push(owner);
  await chaos(owner, { mode: 'reset', failNext: 1_000 });
  const statuses: number[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await browse(owner);
    statuses.push(res.status);
    if (res.status === 503) return { owner, statuses, refusal: res };
    await res.body?.cancel();
  }
  throw new Error(`the breaker never opened: ${statuses.join(',')}`);
}

/** Waits out the refusal's Retry-After, then expects the next call (the probe) to close the breaker. */
async function expectCloses(refusal: Response, owner: Identity): Promise<void> {
  const retryAfter = Number(refusal.headers.get('retry-after'));
  await new Promise((r) => setTimeout(r, retryAfter * 1000 + 200));
  const probe = await browse(owner);
  expect(probe.status).toBe(200);
  await probe.body?.cancel();
  expect(originBreakerState()).toBe('closed');
}

describe('the edge breaker around the origin', () => {
  it('opens after repeated failures, then refuses at once with 503 and Retry-After without calling the origin, and closes once a probe succeeds', async () => {
    const { owner, statuses, refusal } = await openBreaker();
    // Each failure before it opened was a 502 from a call that really went out.
    expect(statuses.slice(0, -1).every((s) => s === 502)).toBe(true);
    expect(statuses.length).toBeGreaterThanOrEqual(10);
    expect(refusal.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await refusal.json()).toMatchObject({ status: 503, code: 'unavailable' });
    const retryAfter = Number(refusal.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(originBreakerState()).toBe('open');

    // While open, nobody's calls reach the origin: not the failing owner's, not a healthy one's.
    const seen = (await originCalls(owner)).length;
    const healthy = newOwner();
    const other = await browse(healthy);
    expect(other.status).toBe(503);
    await other.body?.cancel();
    expect((await originCalls(owner)).length).toBe(seen);
    expect(await originCalls(healthy)).toEqual([]);

    await calm(owner);
    await expectCloses(refusal, owner);
  });

  it('a probe that fails while half-open opens the breaker again', async () => {
    const { owner, refusal } = await openBreaker();
    await new Promise((r) => setTimeout(r, Number(refusal.headers.get('retry-after')) * 1000 + 200));
    const probe = await browse(owner);
    expect(probe.status).toBe(502);
    await probe.body?.cancel();
    expect(originBreakerState()).toBe('open');
    const again = await browse(owner);
    expect(again.status).toBe(503);
    await calm(owner);
    await expectCloses(again, owner);
  });

  it('answers the Durable Objects that call the origin at once as it half-opens with answers or 503s, never a 500', async () => {
    const { owner, refusal } = await openBreaker();
    await calm(owner);
    await new Promise((r) => setTimeout(r, Number(refusal.headers.get('retry-after')) * 1000 + 200));
    // Fresh profiles: each one's buffer learns its stored progress from the origin, through the
    // isolate's breaker, inside its own Durable Object (its own I/O context).
    const readers = Array.from({ length: 6 }, () => newOwner());
    const answers = await Promise.all(
      readers.map(async (reader) =>
        SELF.fetch(`${EDGE}/v1/progress/${titleId}`, {
          headers: { authorization: `Bearer ${await profileToken(reader)}` },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    for (const answer of answers) {
      if (answer.status === 503) expect(answer.headers.get('content-type')).toMatch(/application\/problem\+json/);
      await answer.body?.cancel();
    }
    expect(statuses.every((s) => s === 404 || s === 503)).toBe(true);
    // The probe went through, and closed the breaker.
    expect(statuses).toContain(404);
    expect(originBreakerState()).toBe('closed');
  });

  it('while the origin cannot answer, a manifest is built from the colo\u2019s cached catalog copy and marked stale-catalog', async () => {
    const viewer = newOwner();
    const token = await profileToken(viewer);
    const manifest = () =>
      SELF.fetch(`${EDGE}/v1/playback/${titleId}/manifest.mpd`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    const fresh = await manifest();
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-edgeflix-fallback')).toBeNull();
    const freshBody = PlaybackManifest.parse(await fresh.json());

    // Age the cached copy past its freshness, as a minute would.
    const cache = caches.default;
    const hit = await cache.match(SOURCE_KEY);
    expect(hit).toBeDefined();
    const aged = new Response(hit!.body, hit!);
    aged.headers.set('x-fresh-until', String(Date.now() - 1000));
    await cache.put(SOURCE_KEY, aged);

    const { owner, refusal } = await openBreaker();
    const stale = await manifest();
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-edgeflix-fallback')).toBe('stale-catalog');
    const staleBody = PlaybackManifest.parse(await stale.json());
    expect(staleBody.title).toEqual(freshBody.title);
    expect(staleBody.qualities.map((q) => q.id)).toEqual(freshBody.qualities.map((q) => q.id));

    await calm(owner);
    await expectCloses(refusal, owner);
    // Back to normal: the origin is asked again and the copy is fresh once more.
    const after = await manifest();
    expect(after.status).toBe(200);
    expect(after.headers.get('x-edgeflix-fallback')).toBeNull();
  });

  it('a title the colo has never cached gets a clear 503 while the breaker is open, not a manifest', async () => {
    const { owner, refusal } = await openBreaker();
    await caches.default.delete(SOURCE_KEY);
    const res = await SELF.fetch(`${EDGE}/v1/playback/${titleId}/manifest.mpd`, {
      headers: { authorization: `Bearer ${await profileToken(newOwner())}` },
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'unavailable' });
    await calm(owner);
    await expectCloses(refusal, owner);
  });
});

import { SELF } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HomePage } from '../../../core/home.ts';
import { QUIET_PROFILE_TTL_S, SHARED_TTL_S } from '../src/home-parts.ts';
import { calm, chaos, newOwner, originCallCount, originCalls, playable, profileToken } from '../../test/helpers.ts';

const home = async (token: string) =>
  SELF.fetch('https://edge.test/v1/home', { headers: { authorization: `Bearer ${token}` } });

describe('GET /v1/home', () => {
  it('answers the profile\u2019s rows with the variants its experiments assigned', async () => {
    const owner = newOwner();
    const res = await home(await profileToken(owner));
    expect(res.status).toBe(200);
    const page = (await res.json()) as HomePage;
    expect(page.fallback).toBeNull();
    expect(page.rows.length).toBeGreaterThan(0);
    expect(['control', 'continue_first', 'trending_first', 'personalized']).toContain(page.variants.rowOrder);
    expect(['default', 'genre_based', 'personalized']).toContain(page.variants.artwork);
    const ids = page.rows.flatMap((r) => r.items.map((i) => i.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves the profile\u2019s last good page, marked, when personalization fails', async () => {
    const owner = newOwner();
    const token = await profileToken(owner);
    const good = (await (await home(token)).json()) as HomePage;
    await chaos(owner, { mode: 'status', status: 500, failNext: 5, path: '/internal/v1/home' });
    try {
      // Past the time its part is kept: the page needs the origin again.
      later((QUIET_PROFILE_TTL_S + 1) * 1000);
      const res = await home(token);
      expect(res.status).toBe(200);
      const page = (await res.json()) as HomePage;
      expect(page.fallback).toBe('last_good');
      expect(page.rows).toEqual(good.rows);
    } finally {
      await calm(owner);
    }
  });

  it('serves a generic page, marked, to a profile with no last good page when personalization is slow', async () => {
    // Another profile's visit has put a generic page in the edge cache.
    await home(await profileToken(newOwner()));
    const owner = newOwner();
    await chaos(owner, { mode: 'delay', delayMs: 4000, failNext: 5, path: '/internal/v1/home' });
    try {
      const res = await home(await profileToken(owner));
      expect(res.status).toBe(200);
      const page = (await res.json()) as HomePage;
      expect(page.fallback).toBe('generic');
      expect(page.rows.map((r) => r.kind).slice(0, 2)).toEqual(['trending', 'new_releases']);
    } finally {
      await calm(owner);
    }
  });

  it('refuses a request without a token (401)', async () => {
    expect((await SELF.fetch('https://edge.test/v1/home')).status).toBe(401);
  });
});

afterEach(() => {
  vi.useRealTimers();
});

/** Moves the edge's clock ahead (Date only; timers stay real). */
function later(ms: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + ms);
}

const pageOf = async (token: string) => {
  const res = await home(token);
  expect(res.status).toBe(200);
  const page = (await res.json()) as HomePage;
  expect(page.fallback).toBeNull();
  return page;
};
const itemIds = (page: HomePage) => page.rows.flatMap((r) => r.items.map((i) => i.id));

async function setMaturity(titleId: string, rating: string): Promise<void> {
  const res = await fetch(new URL(`/operator/v1/titles/${titleId}/maturity`, env.TEST_ORIGIN_URL), {
    method: 'PUT',
    headers: { authorization: `Bearer ${env.TEST_OPERATOR_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rating }),
  });
  expect(res.status).toBe(200);
}

describe('GET /v1/home from shared rows kept at the edge', () => {
  it('asks the origin for the shared rows of a level and language once per interval, not once per profile', async () => {
    const owners = [newOwner(40), newOwner(40), newOwner(40)];
    const tokens = await Promise.all(owners.map((o) => profileToken(o)));
    await pageOf(tokens[0]!);
    const before = await originCallCount('/internal/v1/home/shared');
    for (const token of [...tokens, ...tokens]) await pageOf(token);
    expect(await originCallCount('/internal/v1/home/shared')).toBe(before);
    // Each profile's own part was asked for on its first visit.
    for (const owner of owners) expect(await originCalls(owner, '/internal/v1/home/personal')).toHaveLength(1);
  });

  it('asks for the part of a profile without history once per interval, and again after it', async () => {
    const owner = newOwner();
    const token = await profileToken(owner);
    const first = await pageOf(token);
    expect((await pageOf(token)).rows).toEqual(first.rows);
    expect(await originCalls(owner, '/internal/v1/home/personal')).toHaveLength(1);
    later((QUIET_PROFILE_TTL_S + 1) * 1000);
    await pageOf(token);
    expect(await originCalls(owner, '/internal/v1/home/personal')).toHaveLength(2);
  });

  it('shows what a profile without history just started in Continue Watching at once', async () => {
    const owner = newOwner();
    const token = await profileToken(owner);
    await pageOf(token);
    const movie = playable().find((t) => t.type === 'movie')!;
    const res = await SELF.fetch('https://edge.test/v1/progress', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        titleId: movie.id,
        positionSeconds: Math.round(movie.durationSeconds * 0.3),
        durationSeconds: movie.durationSeconds,
        eventTime: Date.now(),
        deviceId: 'tv-1',
      }),
    });
    expect(res.status).toBeLessThan(300);
    const page = await pageOf(token);
    expect(page.rows.find((r) => r.kind === 'continue_watching')?.items.map((i) => i.contentId)).toEqual([movie.id]);
  });

  it('drops a title an operator rates for adults from a kids profile\u2019s shared rows within their max-age', async () => {
    const kids = newOwner(10);
    const token = await profileToken(kids);
    const shown = (await pageOf(token)).rows.find((r) => r.kind === 'trending')!.items[0]!;
    await setMaturity(shown.id, 'TV-MA');
    try {
      later((SHARED_TTL_S + 1) * 1000);
      // A new kids profile (nothing of its own kept) and the same one both follow the change.
      expect(itemIds(await pageOf(await profileToken(newOwner(10))))).not.toContain(shown.id);
      expect(itemIds(await pageOf(token))).not.toContain(shown.id);
    } finally {
      await setMaturity(shown.id, shown.maturityRating);
    }
  });
});

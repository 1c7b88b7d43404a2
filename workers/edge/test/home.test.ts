import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { HomePage } from '../../../core/home.ts';
import { calm, chaos, newOwner, profileToken } from '../../test/helpers.ts';

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

import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TitleCard } from '../../../core/catalog.ts';
import type { SearchPage } from '../../../core/search.ts';
import { newOwner, profileToken } from '../../test/helpers.ts';

const get = async (path: string, maturity = 50) =>
  SELF.fetch(`https://edge.test${path}`, {
    headers: { authorization: `Bearer ${await profileToken(newOwner(maturity))}` },
  });

async function titles(maturity: number): Promise<TitleCard[]> {
  return ((await (await get('/v1/titles?limit=100', maturity)).json()) as { items: TitleCard[] }).items;
}

describe('search through the edge', () => {
  it('finds a title by a misspelt, lower-case name, in the search rate tier', async () => {
    const target = (await titles(50)).find((t) => t.name.length >= 8)!;
    const typo = target.name.toLowerCase().slice(0, -1);
    const res = await get(`/v1/search?q=${encodeURIComponent(typo)}&limit=5`);
    expect(res.status).toBe(200);
    const page = (await res.json()) as SearchPage;
    expect(page.items.map((h) => h.id)).toContain(target.id);
    // The search tier's limit, not the browse one (workers/vitest.config.ts sets them apart).
    expect(res.headers.get('ratelimit-policy')).not.toBeNull();
  });

  it('keeps results per normalised query and maturity level: the same query differently typed is a hit', async () => {
    const target = (await titles(50))[0]!;
    const word = target.name.split(' ').pop()!;
    const first = await get(`/v1/search?q=${encodeURIComponent(`  ${word.toUpperCase()}  `)}`);
    expect(first.status).toBe(200);
    const body = (await first.json()) as SearchPage;
    await new Promise((r) => setTimeout(r, 50));
    const second = await get(`/v1/search?q=${encodeURIComponent(word.toLowerCase())}`);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(await second.json()).toEqual(body);
    const kids = await get(`/v1/search?q=${encodeURIComponent(word.toLowerCase())}`, 10);
    expect(kids.headers.get('x-cache')).toBe('miss');
  });

  it('never shows a kids profile a title above its level', async () => {
    const adult = (await titles(50)).find((t) => t.maturityLevel > 10);
    if (!adult) throw new Error('the test catalog has no title above kids level');
    const res = await get(`/v1/search?q=${encodeURIComponent(adult.name)}&limit=50`, 10);
    const page = (await res.json()) as SearchPage;
    expect(page.items.every((h) => h.maturityLevel <= 10)).toBe(true);
    expect(page.items.map((h) => h.id)).not.toContain(adult.id);
  });

  it('refuses an empty, too long or NUL query with 400 at the edge, answers hostile text with 200 and undecodable bytes with 200 or 400', async () => {
    for (const q of ['', '   ', 'x'.repeat(201), 'a\0b']) {
      const res = await get(`/v1/search?q=${encodeURIComponent(q)}`);
      expect(res.status, JSON.stringify(q)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    for (const q of ["'; DROP TABLE titles; --", '%%__', '🎬🍿', '!!!', 'ʼŉː \\']) {
      expect((await get(`/v1/search?q=${encodeURIComponent(q)}`)).status, q).toBe(200);
    }
    // Bytes that decode to no text, or to a lone surrogate: a 200 or a 400 problem, never a 5xx.
    for (const raw of ['%ED%A0%80', '%uD800', 'a%F0%9F', '%FF']) {
      const res = await get(`/v1/search?q=${raw}`);
      expect([200, 400], raw).toContain(res.status);
      if (res.status === 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await SELF.fetch('https://edge.test/v1/search?q=x')).status).toBe(401);
  });
});

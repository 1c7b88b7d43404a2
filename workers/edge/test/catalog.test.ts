import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { TitleCard, TitleDetail } from '../../../core/catalog.ts';
import { newOwner, profileToken } from '../../test/helpers.ts';

const get = async (path: string, maturity = 50) =>
  SELF.fetch(`https://edge.test${path}`, {
    headers: { authorization: `Bearer ${await profileToken(newOwner(maturity))}` },
  });

describe('catalog through the edge', () => {
  it('lists titles for the profile\u2019s maturity level and pages with a cursor', async () => {
    const first = (await (await get('/v1/titles?limit=3', 10)).json()) as {
      items: TitleCard[];
      nextCursor: string | null;
    };
    expect(first.items.length).toBeGreaterThan(0);
    expect(first.items.every((t) => t.maturityLevel <= 10)).toBe(true);
    if (first.nextCursor) {
      const second = (await (await get(`/v1/titles?limit=3&cursor=${first.nextCursor}`, 10)).json()) as {
        items: TitleCard[];
      };
      expect(second.items.map((t) => t.id)).not.toContain(first.items[0]!.id);
    }
  });

  it('returns a series with its seasons and episodes', async () => {
    const { items } = (await (await get('/v1/titles?type=series&limit=1')).json()) as { items: TitleCard[] };
    const detail = (await (await get(`/v1/titles/${items[0]!.id}`)).json()) as TitleDetail;
    expect(detail.seasons.length).toBeGreaterThan(0);
    expect(detail.seasons[0]!.episodes.length).toBeGreaterThan(0);
  });

  it('validates query and path at the edge (400) and needs a profile token (401)', async () => {
    expect((await get('/v1/titles?limit=1000')).status).toBe(400);
    expect((await get('/v1/titles/not-a-uuid')).status).toBe(400);
    expect((await SELF.fetch('https://edge.test/v1/titles')).status).toBe(401);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemblePage, genericPage, noPersonalPart } from './home-page.ts';
import type { HomePersonal, HomeRow, HomeShared, SharedItem, SharedRow } from './home.ts';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const item = (n: number, genres = ['drama'], posters: Record<string, string> = {}): SharedItem => ({
  id: uuid(n),
  type: 'movie',
  name: `T${n}`,
  posterUrl: `/p/${n}`,
  genres,
  maturityRating: 'PG',
  posters,
});
const sharedRow = (id: string, kind: SharedRow['kind'], ns: number[]): SharedRow => ({
  id,
  kind,
  title: id,
  items: ns.map((n) => item(n)),
});
const shared = (rows: SharedRow[], topGenres: string[]): HomeShared => ({
  maturityLevel: 50,
  language: 'en',
  topGenres,
  rows,
  generatedAt: new Date(0).toISOString(),
});
const CONTROL = { rowOrder: 'control', artwork: 'default' } as const;
const ids = (rows: readonly HomeRow[]) => rows.flatMap((r) => r.items.map((i) => i.id));

describe('assemblePage', () => {
  const base = shared(
    [
      sharedRow('trending', 'trending', [1, 2, 3]),
      sharedRow('new_releases', 'new_releases', [3, 4]),
      sharedRow('language:en', 'popular_in_language', [5]),
      sharedRow('genre:drama', 'genre', [6, 7]),
      sharedRow('genre:comedy', 'genre', [8]),
    ],
    ['drama', 'comedy'],
  );

  it('gives a profile without history the shared rows, each title once, marked generic only when asked', () => {
    const page = assemblePage(base, noPersonalPart('en'), CONTROL);
    expect(page.fallback).toBeNull();
    expect(page.rows.map((r) => r.id)).toEqual([
      'trending',
      'new_releases',
      'language:en',
      'genre:drama',
      'genre:comedy',
    ]);
    expect(ids(page.rows)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map(uuid));
    expect(genericPage(base).fallback).toBe('generic');
  });

  it('puts the profile\u2019s own genre rows ahead of the level\u2019s strongest, and leaves out what it finished', () => {
    const own: HomeRow = {
      id: 'genre:horror',
      kind: 'genre',
      title: 'Horror',
      items: [{ ...item(9), contentId: uuid(9), episodeInfo: null, progressPercent: null, resumePosition: null }].map(
        ({ posters: _p, ...rest }) => rest,
      ),
    };
    const personal: HomePersonal = {
      ...noPersonalPart('en'),
      rows: [own],
      genres: ['horror'],
      finished: [uuid(2), uuid(6)],
    };
    const page = assemblePage(base, personal, CONTROL);
    expect(page.rows.filter((r) => r.kind === 'genre').map((r) => r.id)).toEqual([
      'genre:horror',
      'genre:drama',
      'genre:comedy',
    ]);
    expect(ids(page.rows)).not.toContain(uuid(2));
    expect(ids(page.rows)).not.toContain(uuid(6));
  });

  it('chooses shared posters per the profile\u2019s artwork arm', () => {
    const rows = [
      {
        ...sharedRow('trending', 'trending', []),
        items: [item(1, ['drama', 'comedy'], { comedy: '/c', drama: '/d' })],
      },
    ];
    const personal = { ...noPersonalPart('en'), genreScores: { comedy: 5, drama: 1 } };
    const poster = (artwork: 'default' | 'genre_based' | 'personalized') =>
      assemblePage(shared(rows, []), personal, { rowOrder: 'control', artwork }).rows[0]!.items[0]!.posterUrl;
    expect([poster('default'), poster('genre_based'), poster('personalized')]).toEqual(['/p/1', '/d', '/c']);
  });

  it('never shows a title twice nor a finished one outside Continue Watching, for random rows', () => {
    const n = fc.integer({ min: 1, max: 30 });
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(n, { maxLength: 15 }), { minLength: 4, maxLength: 8 }),
        fc.uniqueArray(n, { maxLength: 10 }),
        (lists, finished) => {
          const kinds: SharedRow['kind'][] = ['trending', 'new_releases', 'popular_in_language'];
          const rows = lists.map((ns, i) =>
            sharedRow(i < 3 ? kinds[i]! : `genre:g${i}`, i < 3 ? kinds[i]! : 'genre', ns),
          );
          const top = lists.slice(3).map((_, i) => `g${i + 3}`);
          const page = assemblePage(
            shared(rows, top),
            { ...noPersonalPart('en'), finished: finished.map(uuid) },
            CONTROL,
          );
          const shown = ids(page.rows);
          expect(new Set(shown).size).toBe(shown.length);
          expect(shown.filter((id) => finished.map(uuid).includes(id))).toEqual([]);
          expect(page.rows.every((r) => r.items.length > 0 && r.items.length <= 12)).toBe(true);
        },
      ),
    );
  });
});

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROW_ORDER_VARIANTS, ARTWORK_VARIANTS, type HomePage } from '../../core/home.ts';
import type { ProgressEntry } from '../../core/progress.ts';
import type { Profile } from '../../core/wire.ts';
import { handleViewingEvent } from '../src/consumers/completions.ts';
import { silentLogger } from '../src/log.ts';
import { asEdge } from './support/as-edge.ts';
import type { TestKeys } from './support/keys.ts';
import { realStackOrigin, type TestOrigin } from './support/origin.ts';

/** Enough titles that a kids profile's six rows fill without repeating one. */
const CATALOG_TITLES = 300;
/** Per maturity level: how many genre rows a profile without favourites is owed. */
const MIN_ROWS = 6;

let keys: TestKeys;
let origin: TestOrigin;
let sql: postgres.Sql;
let accountId: string;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // The default shared-rows interval (60 s): a test that sees a change sees it through invalidation.
  const real = await realStackOrigin('home_cold', { catalogTitles: CATALOG_TITLES });
  ({ origin, keys } = real);
  sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  cleanup.push(
    () => sql.end(),
    () => real.stop(),
  );
  [{ id: accountId } = { id: '' }] = await sql<{ id: string }[]>`SELECT id FROM accounts ORDER BY email LIMIT 1`;
}, 120_000);

afterAll(async () => {
  for (const step of cleanup) await step();
});

async function createProfile(body: Record<string, unknown>): Promise<Profile> {
  const res = await asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/v1/profiles',
    body: { name: `P ${randomUUID().slice(0, 8)}`, ...body },
    sub: accountId,
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Profile;
}

type Variants = HomePage['variants'];
const CONTROL: Variants = { rowOrder: 'control', artwork: 'default' };

async function homeOf(
  profile: Pick<Profile, 'id' | 'maturityLevel'>,
  variants: Variants = CONTROL,
  pending: ProgressEntry[] = [],
): Promise<HomePage> {
  const res = await asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/home',
    body: { pending, variants },
    sub: accountId,
    pid: profile.id,
    mat: profile.maturityLevel,
  });
  expect(res.status).toBe(200);
  const page = (await res.json()) as HomePage;
  expect(page.fallback).toBeNull();
  return page;
}

async function setMaturity(titleId: string, rating: unknown): Promise<Response> {
  return origin.app.request(`/operator/v1/titles/${titleId}/maturity`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${keys.operatorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ rating }),
  });
}

/** Every top-level title's maturity level and genres, as the database has them now. */
async function catalogNow(): Promise<Map<string, { level: number; genres: string[] }>> {
  const rows = await sql<{ id: string; level: number; genres: string[] | null }[]>`
    SELECT t.id, r.level, (SELECT array_agg(g.genre_id) FROM title_genres g WHERE g.title_id = t.id) AS genres
    FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating`;
  return new Map(rows.map((r) => [r.id, { level: r.level, genres: r.genres ?? [] }]));
}

const itemIds = (page: HomePage) => page.rows.flatMap((r) => r.items.map((i) => i.id));

/** The rules every page keeps: no title twice, none above the level, no empty row. */
async function expectSafe(page: HomePage, level: number): Promise<void> {
  const ids = itemIds(page);
  expect(new Set(ids).size).toBe(ids.length);
  const catalog = await catalogNow();
  const above = ids.filter((id) => (catalog.get(id)?.level ?? Infinity) > level);
  expect(above).toEqual([]);
  expect(page.rows.every((r) => r.items.length > 0)).toBe(true);
}

describe('homepage of a profile with no history', () => {
  it.each([
    ['an adult', 50, false],
    ['a teen', 30, false],
    ['a kids', 10, true],
  ] as const)(
    'gives %s profile at least six rows: trending, new releases, its language, top genres at its level',
    async (_, maturityLevel, kids) => {
      const profile = await createProfile({ kids, maturityLevel });
      const page = await homeOf(profile);
      const kinds = page.rows.map((r) => r.kind);
      expect(page.rows.length).toBeGreaterThanOrEqual(MIN_ROWS);
      expect(kinds.slice(0, 3)).toEqual(['trending', 'new_releases', 'popular_in_language']);
      expect(kinds.filter((k) => k === 'genre').length).toBeGreaterThanOrEqual(3);
      expect(kinds).not.toContain('continue_watching');
      expect(page.rows.find((r) => r.kind === 'popular_in_language')?.title).toBe('Popular in English');
      await expectSafe(page, maturityLevel);
    },
  );

  it('gives a kids profile kids-rated titles only (level 10 or below) in every row', async () => {
    const profile = await createProfile({ kids: true });
    expect(profile.maturityLevel).toBe(10);
    const page = await homeOf(profile);
    const catalog = await catalogNow();
    expect(page.rows.flatMap((r) => r.items).every((i) => catalog.get(i.id)!.level <= 10)).toBe(true);
  });

  it('gives each favourite genre a row of that genre, ahead of the strongest genres of the level', async () => {
    // Two genres outside the six strongest at level 50, so their rows can only come from the choice.
    const ranked = await sql<{ genre_id: string }[]>`
      SELECT g.genre_id FROM title_genres g JOIN titles t ON t.id = g.title_id
      WHERE t.type <> 'episode' GROUP BY g.genre_id HAVING count(*) >= 8
      ORDER BY sum(t.popularity) DESC, count(*) DESC, g.genre_id`;
    const favourites = ranked.slice(6, 8).map((g) => g.genre_id);
    expect(favourites).toHaveLength(2);
    const without = await homeOf(await createProfile({}));
    const profile = await createProfile({ favouriteGenres: favourites });
    const page = await homeOf(profile);
    const genreRows = page.rows.filter((r) => r.kind === 'genre');
    expect(genreRows.slice(0, 2).map((r) => r.id)).toEqual(favourites.map((g) => `genre:${g}`));
    for (const [i, g] of favourites.entries()) {
      expect(genreRows[i]!.items.every((item) => item.genres.includes(g))).toBe(true);
    }
    expect(without.rows.map((r) => r.id)).not.toContain(`genre:${favourites[0]}`);
    await expectSafe(page, 50);
  });

  it('fills "Popular in French" with titles made in French or dubbed into it', async () => {
    const profile = await createProfile({ language: 'fr-CA' });
    const row = (await homeOf(profile)).rows.find((r) => r.kind === 'popular_in_language');
    expect(row).toMatchObject({ id: 'language:fr', title: 'Popular in French' });
    const french = new Set(
      (
        await sql<{ id: string }[]>`
          SELECT t.id FROM titles t WHERE t.type <> 'episode' AND (
            EXISTS (SELECT 1 FROM title_original_names o WHERE o.title_id = t.id AND o.language = 'fr')
            OR EXISTS (SELECT 1 FROM audio_tracks a JOIN titles p ON p.id = a.title_id
                       WHERE (p.id = t.id OR p.series_id = t.id) AND split_part(a.language, '-', 1) = 'fr'))`
      ).map((r) => r.id),
    );
    expect(row!.items.length).toBeGreaterThan(0);
    expect(row!.items.every((i) => french.has(i.id))).toBe(true);
  });

  it('answers a page for a profile the origin does not know (English, no favourites)', async () => {
    const page = await homeOf({ id: randomUUID(), maturityLevel: 20 });
    expect(page.rows.length).toBeGreaterThanOrEqual(MIN_ROWS);
    await expectSafe(page, 20);
  });
});

describe('homepage as history accumulates', () => {
  it('puts Continue Watching, Top Picks and Because You Watched first, and the liked genres before the chosen ones', async () => {
    const profile = await createProfile({ favouriteGenres: ['western'] });
    const [movie] = await sql<{ id: string; genres: string[] }[]>`
      SELECT t.id, array_agg(g.genre_id ORDER BY g.genre_id) AS genres FROM titles t JOIN title_genres g ON g.title_id = t.id
      WHERE t.type = 'movie' AND NOT EXISTS (SELECT 1 FROM title_genres w WHERE w.title_id = t.id AND w.genre_id = 'western')
      GROUP BY t.id ORDER BY t.popularity DESC LIMIT 1`;
    const [playing] = await sql<{ id: string; duration: number }[]>`
      SELECT id, duration_seconds AS duration FROM titles WHERE type = 'movie' AND id <> ${movie!.id}
      ORDER BY popularity LIMIT 1`;
    await handleViewingEvent(origin.deps.stores, silentLogger, {
      type: 'progress_update',
      profileId: profile.id,
      titleId: movie!.id,
      seriesId: null,
      contentType: 'movie',
      completed: true,
      eventTime: Date.now() - 3_600_000,
    });
    const pending: ProgressEntry[] = [
      {
        titleId: playing!.id,
        positionSeconds: Math.floor(playing!.duration / 3),
        durationSeconds: playing!.duration,
        eventTime: Date.now() - 1000,
        tie: 0,
        deviceId: 'tv',
      },
    ];
    const page = await homeOf(profile, CONTROL, pending);
    const kinds = page.rows.map((r) => r.kind);
    expect(kinds.slice(0, 2)).toEqual(['top_picks', 'continue_watching']);
    expect(kinds).toContain('because_you_watched');
    expect(page.rows.find((r) => r.kind === 'continue_watching')?.items[0]?.contentId).toBe(playing!.id);
    const genreRows = page.rows.filter((r) => r.kind === 'genre').map((r) => r.id);
    const westernAt = genreRows.indexOf('genre:western');
    const likedAt = genreRows.findIndex((id) => movie!.genres.includes(id.slice('genre:'.length)));
    expect(likedAt).toBeGreaterThanOrEqual(0);
    if (westernAt >= 0) expect(likedAt).toBeLessThan(westernAt);
    const discovery = page.rows.filter((r) => r.kind !== 'continue_watching').flatMap((r) => r.items.map((i) => i.id));
    expect(discovery).not.toContain(movie!.id);
    await expectSafe(page, 50);
  });
});

describe('kids safety', () => {
  it('never shows a title above the profile\u2019s level nor any title twice, for random profiles and re-rated catalogs', async () => {
    const titles = [...(await catalogNow()).keys()];
    const genres = (await sql<{ id: string }[]>`SELECT id FROM genres`).map((g) => g.id);
    const ratings = (await sql<{ code: string }[]>`SELECT code FROM maturity_ratings`).map((r) => r.code);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maturityLevel: fc.constantFrom(0, 10, 20, 30, 40, 50),
          language: fc.constantFrom('en', 'fr', 'de', 'es', 'ja', 'ko', 'pt-BR'),
          favouriteGenres: fc.uniqueArray(fc.constantFrom(...genres), { maxLength: 4 }),
          rowOrder: fc.constantFrom(...ROW_ORDER_VARIANTS),
          artwork: fc.constantFrom(...ARTWORK_VARIANTS),
          reRate: fc.array(fc.tuple(fc.constantFrom(...titles), fc.constantFrom(...ratings)), { maxLength: 3 }),
        }),
        async ({ reRate, rowOrder, artwork, ...p }) => {
          for (const [titleId, rating] of reRate) expect((await setMaturity(titleId, rating)).status).toBe(200);
          const profile = await createProfile({ ...p, kids: p.maturityLevel <= 10 });
          await expectSafe(await homeOf(profile, { rowOrder, artwork }), p.maturityLevel);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('drops a title from every kids row as soon as an operator rates it for adults', async () => {
    const kids = await createProfile({ kids: true });
    const before = await homeOf(kids);
    const shown = before.rows[0]!.items[0]!.id;
    const res = await setMaturity(shown, 'TV-MA');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ titleId: shown, rating: 'TV-MA' });
    const after = await homeOf(await createProfile({ kids: true }));
    expect(itemIds(after)).not.toContain(shown);
    expect(itemIds(await homeOf(kids))).not.toContain(shown);
    // And back: the shared rows follow the correction the other way too.
    expect((await setMaturity(shown, 'TV-Y')).status).toBe(200);
    expect(itemIds(await homeOf(kids))).toContain(shown);
  });

  it('answers problems for bad maturity corrections', async () => {
    const [title] = [...(await catalogNow()).keys()];
    expect((await setMaturity(randomUUID(), 'PG')).status).toBe(404);
    expect((await setMaturity(title!, 'XX-99')).status).toBe(422);
    const bad = await setMaturity(title!, 'pg; drop table titles');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('profile favourite genres', () => {
  it('refuses genres the catalog does not know (422), duplicates and too many (400), and a profile token (403)', async () => {
    const call = (body: unknown, pid?: string) =>
      asEdge(origin, keys.serviceSecret, {
        method: 'POST',
        path: '/v1/profiles',
        body,
        sub: accountId,
        ...(pid ? { pid, mat: 50 } : {}),
      });
    expect((await call({ name: 'A1', favouriteGenres: ['nope'] })).status).toBe(422);
    expect((await call({ name: 'A2', favouriteGenres: ['comedy', 'comedy'] })).status).toBe(400);
    expect((await call({ name: 'A3', favouriteGenres: Array.from({ length: 11 }, (_, i) => `g${i}`) })).status).toBe(
      400,
    );
    const p = await createProfile({});
    expect((await call({ name: 'A4' }, p.id)).status).toBe(403);
    const patched = await asEdge(origin, keys.serviceSecret, {
      method: 'PATCH',
      path: `/v1/profiles/${p.id}`,
      body: { favouriteGenres: ['drama'] },
      sub: accountId,
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as Profile).favouriteGenres).toEqual(['drama']);
  });
});

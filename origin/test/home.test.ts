import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemblePage } from '../../core/home-page.ts';
import type { HomePage, HomePersonal, HomeShared } from '../../core/home.ts';
import type { ProgressEntry } from '../../core/progress.ts';
import { handleViewingEvent } from '../src/consumers/completions.ts';
import { silentLogger } from '../src/log.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
let sql: postgres.Sql;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // Shared rows recomputed on every request: these tests change viewers and artwork and look at once.
  const real = await realTestOrigin('home', { homeSharedTtlMs: 0 });
  ({ origin, keys, titles: t } = real);
  sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  cleanup.push(
    () => sql.end(),
    () => real.stop(),
  );
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

type Variants = HomePage['variants'];
const CONTROL: Variants = { rowOrder: 'control', artwork: 'default' };

async function homeOf(
  profileId: string,
  variants: Variants = CONTROL,
  mat = 50,
  pending: ProgressEntry[] = [],
): Promise<HomePage> {
  const res = await asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/home',
    body: { pending, variants },
    sub: randomUUID(),
    pid: profileId,
    mat,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as HomePage;
}

const completed = (profileId: string, titleId: string, at: number, seriesId: string | null = null) =>
  handleViewingEvent(origin.deps.stores, silentLogger, {
    type: 'progress_update',
    profileId,
    titleId,
    seriesId,
    contentType: seriesId ? 'episode' : 'movie',
    completed: true,
    eventTime: at,
  });

describe('homepage', () => {
  it('has Continue Watching, discovery rows and no title twice', async () => {
    const p = randomUUID();
    const pending = [
      {
        titleId: t.episodes[0],
        positionSeconds: 600,
        durationSeconds: 1500,
        eventTime: Date.now() - 1000,
        tie: 0,
        deviceId: 'tv',
      },
    ];
    const page = await homeOf(p, CONTROL, 50, pending);
    const kinds = page.rows.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['continue_watching', 'trending', 'new_releases']));
    expect(page.rows.find((r) => r.kind === 'continue_watching')?.items[0]).toMatchObject({
      id: t.series,
      contentId: t.episodes[0],
      episodeInfo: 'S1:E1',
    });
    const ids = page.rows.flatMap((r) => r.items.map((i) => i.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(page.fallback).toBeNull();
  });

  it('builds Top Picks from the genres of what the profile finished, and leaves finished titles out of discovery rows', async () => {
    const p = randomUUID();
    await completed(p, t.movie, Date.now() - 3600_000);
    const page = await homeOf(p);
    const genres = (
      await sql<{ genre_id: string }[]>`SELECT genre_id FROM title_genres WHERE title_id = ${t.movie}`
    ).map((g) => g.genre_id);
    const picks = page.rows.find((r) => r.kind === 'top_picks');
    expect(picks?.items.length).toBeGreaterThan(0);
    expect(picks?.items.every((i) => i.genres.some((g) => genres.includes(g)))).toBe(true);
    const discovery = page.rows.filter((r) => r.kind !== 'continue_watching').flatMap((r) => r.items.map((i) => i.id));
    expect(discovery).not.toContain(t.movie);
  });

  it('names Because You Watched after the title being watched and fills it with titles sharing its genres', async () => {
    const pending = [
      {
        titleId: t.episodes[0],
        positionSeconds: 600,
        durationSeconds: 1500,
        eventTime: Date.now() - 1000,
        tie: 0,
        deviceId: 'tv',
      },
    ];
    // Personalized order ranks it above Trending, which in a catalog this small would take every title.
    const page = await homeOf(randomUUID(), { rowOrder: 'personalized', artwork: 'default' }, 50, pending);
    const row = page.rows.find((r) => r.kind === 'because_you_watched');
    expect(row?.title).toBe('Because You Watched Fixture Series');
    const seriesGenres = (
      await sql<{ genre_id: string }[]>`SELECT genre_id FROM title_genres WHERE title_id = ${t.series}`
    ).map((g) => g.genre_id);
    expect(row?.items.every((i) => i.genres.some((g) => seriesGenres.includes(g)))).toBe(true);
  });

  it('ranks Trending Now by distinct recent viewers from viewing events', async () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      await handleViewingEvent(origin.deps.stores, silentLogger, {
        type: 'progress_update',
        profileId: randomUUID(),
        titleId: t.matureMovie,
        seriesId: null,
        contentType: 'movie',
        completed: false,
        eventTime: now - i * 1000,
      });
    }
    const page = await homeOf(randomUUID(), { rowOrder: 'trending_first', artwork: 'default' });
    expect(page.rows[0]).toMatchObject({ kind: 'trending' });
    expect(page.rows[0]?.items[0]?.id).toBe(t.matureMovie);
  });

  it('leaves out titles above the profile\u2019s maturity level in every row', async () => {
    const page = await homeOf(randomUUID(), CONTROL, 20);
    const levels = await sql<
      { id: string; level: number }[]
    >`SELECT t.id, r.level FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating`;
    const levelOf = new Map(levels.map((l) => [l.id, l.level]));
    expect(page.rows.flatMap((r) => r.items).every((i) => (levelOf.get(i.id) ?? 0) <= 20)).toBe(true);
  });

  it('orders rows differently for each homepage_row_order variant', async () => {
    const p = randomUUID();
    await completed(p, t.movie, Date.now() - 3600_000);
    const pending = [
      {
        titleId: t.episodes[1],
        positionSeconds: 600,
        durationSeconds: 1500,
        eventTime: Date.now() - 1000,
        tie: 0,
        deviceId: 'tv',
      },
    ];
    const orders = await Promise.all(
      (['control', 'continue_first', 'trending_first', 'personalized'] as const).map(async (rowOrder) =>
        (await homeOf(p, { rowOrder, artwork: 'default' }, 50, pending)).rows.map((r) => r.kind).join(','),
      ),
    );
    expect(new Set(orders).size).toBe(4);
    expect(orders[1]!.startsWith('continue_watching')).toBe(true);
    expect(orders[2]!.startsWith('trending')).toBe(true);
  });

  it('shows genre-cut posters for artwork_personalization variants', async () => {
    const p = randomUUID();
    const genres = await sql<
      { genre_id: string }[]
    >`SELECT genre_id FROM title_genres WHERE title_id = ${t.movie} ORDER BY genre_id`;
    for (const g of genres) {
      await sql`INSERT INTO artwork (id, title_id, kind, variant, url, width, height)
                VALUES (${randomUUID()}, ${t.movie}, 'poster', ${g.genre_id}, ${`/artwork/fixture-movie/${g.genre_id}.jpg`}, 600, 900)
                ON CONFLICT DO NOTHING`;
    }
    const posterOf = async (artwork: Variants['artwork']) =>
      (await homeOf(p, { rowOrder: 'control', artwork })).rows.flatMap((r) => r.items).find((i) => i.id === t.movie)
        ?.posterUrl;
    expect(await posterOf('default')).toBeNull();
    expect(await posterOf('genre_based')).toBe(`/artwork/fixture-movie/${genres[0]!.genre_id}.jpg`);
  });
});

const partOf = async <T>(path: string, profileId: string, body?: unknown): Promise<{ res: Response; part: T }> => {
  const res = await asEdge(origin, keys.serviceSecret, {
    method: body ? 'POST' : 'GET',
    path,
    ...(body ? { body } : {}),
    sub: randomUUID(),
    pid: profileId,
    mat: 50,
  });
  expect(res.status).toBe(200);
  return { res, part: (await res.clone().json()) as T };
};

describe('homepage in two parts', () => {
  it('puts the same page together from the shared rows and the profile\u2019s part as the origin does', async () => {
    const p = randomUUID();
    await completed(p, t.movie, Date.now() - 60_000);
    const pending = [
      {
        titleId: t.episodes[0],
        positionSeconds: 600,
        durationSeconds: 1500,
        eventTime: Date.now() - 1000,
        tie: 0,
        deviceId: 'tv',
      },
    ];
    const variants: Variants = { rowOrder: 'personalized', artwork: 'genre_based' };
    const page = await homeOf(p, variants, 50, pending);
    const { part: personal } = await partOf<HomePersonal>('/internal/v1/home/personal', p, { pending, variants });
    const { res, part: shared } = await partOf<HomeShared>(`/internal/v1/home/shared?language=${personal.language}`, p);
    expect(res.headers.get('cache-control')).toMatch(/^max-age=\d+$/);
    expect(personal.history).toBe(true);
    expect(assemblePage(shared, personal, variants).rows).toEqual(page.rows);
  });
});

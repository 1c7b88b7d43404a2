import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TitleCard, TitleDetail } from '../../core/catalog.ts';
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
  const real = await realTestOrigin('catalog');
  ({ origin, keys, titles: t } = real);
  sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  await sql`UPDATE titles SET media_available = true WHERE id IN (${t.movie}, ${t.episodes[0]})`;
  cleanup.push(
    () => sql.end(),
    () => real.stop(),
  );
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const get = (path: string, mat = 50) =>
  asEdge(origin, keys.serviceSecret, { path, sub: randomUUID(), pid: randomUUID(), mat });

async function allPages(query: string, mat = 50): Promise<TitleCard[]> {
  const out: TitleCard[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`/v1/titles?limit=5${query}${cursor ? `&cursor=${cursor}` : ''}`, mat);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: TitleCard[]; nextCursor: string | null };
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('GET /v1/titles', () => {
  it('pages through every top-level title once, newest first, never an episode', async () => {
    const titles = await allPages('');
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM titles WHERE type <> 'episode'`;
    const n = row!.n;
    expect(titles).toHaveLength(n);
    expect(new Set(titles.map((x) => x.id)).size).toBe(n);
    expect(titles.every((x) => x.type === 'movie' || x.type === 'series')).toBe(true);
  });

  it('shows a profile only titles at or below its maturity level', async () => {
    const kids = await allPages('', 10);
    expect(kids.every((x) => x.maturityLevel <= 10)).toBe(true);
    expect(kids.map((x) => x.id)).not.toContain(t.matureMovie);
    expect((await allPages('', 50)).map((x) => x.id)).toContain(t.matureMovie);
  });

  it('filters by genre, type and playability', async () => {
    const [genre] = await sql<
      { genre_id: string }[]
    >`SELECT genre_id FROM title_genres WHERE title_id = ${t.movie} LIMIT 1`;
    const byGenre = await allPages(`&genre=${genre!.genre_id}`);
    expect(byGenre.map((x) => x.id)).toContain(t.movie);
    expect(byGenre.every((x) => x.genres.includes(genre!.genre_id))).toBe(true);
    expect((await allPages('&type=series')).every((x) => x.type === 'series')).toBe(true);
    const playable = await allPages('&playable=true');
    expect(playable.map((x) => x.id).sort()).toEqual([t.movie, t.series].sort());
  });

  it('marks titles preparing while a media run holds a live claim, a series through its episode, not after it lapses', async () => {
    await sql`UPDATE titles SET media_preparing_until = now() + interval '1 minute' WHERE id IN (${t.matureMovie}, ${t.episodes[1]})`;
    await sql`UPDATE titles SET media_preparing_until = now() - interval '1 second' WHERE id = ${t.movie}`;
    try {
      const preparing = await allPages('&preparing=true');
      expect(preparing.map((x) => x.id).sort()).toEqual([t.matureMovie, t.series].sort());
      expect(preparing.find((x) => x.id === t.matureMovie)).toMatchObject({ playable: false, preparing: true });
      expect(preparing.find((x) => x.id === t.series)).toMatchObject({ playable: true, preparing: true });
      expect((await allPages('&preparing=true', 10)).map((x) => x.id)).not.toContain(t.matureMovie);
      const others = await allPages('&preparing=false');
      expect(others.find((x) => x.id === t.movie)).toMatchObject({ playable: true, preparing: false });
      expect(others.map((x) => x.id)).not.toContain(t.matureMovie);
      expect(((await (await get(`/v1/titles/${t.matureMovie}`)).json()) as TitleDetail).preparing).toBe(true);
    } finally {
      await sql`UPDATE titles SET media_preparing_until = NULL`;
    }
  });

  it.each([
    ['a limit out of range', '?limit=0'],
    ['an unknown type', '?type=episode'],
    ['a forged cursor', '?cursor=bm90LWEtY3Vyc29y'],
    ['an unknown parameter', '?sort=name'],
    ['a preparing flag that is not true or false', '?preparing=yes'],
  ])('answers %s with 400', async (_name, query) => {
    const res = await get(`/v1/titles${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_failed' });
  });
});

describe('GET /v1/titles/{id}', () => {
  it('returns a series with its seasons and episodes in order', async () => {
    const res = await get(`/v1/titles/${t.series}`);
    const detail = (await res.json()) as TitleDetail;
    expect(detail.seasons).toEqual([
      expect.objectContaining({
        seasonNumber: 1,
        episodes: t.episodes.map((id, i) => expect.objectContaining({ id, episodeNumber: i + 1, playable: i === 0 })),
      }),
    ]);
    expect(detail.playable).toBe(true);
  });

  it('refuses a title above the profile\u2019s maturity level (403) and an unknown or episode id (404)', async () => {
    expect((await get(`/v1/titles/${t.matureMovie}`, 10)).status).toBe(403);
    expect((await get(`/v1/titles/${randomUUID()}`)).status).toBe(404);
    expect((await get(`/v1/titles/${t.episodes[0]}`)).status).toBe(404);
  });
});

describe('POST /internal/v1/titles/summaries', () => {
  const summaries = (body: unknown) =>
    asEdge(origin, keys.serviceSecret, {
      method: 'POST',
      path: '/internal/v1/titles/summaries',
      body,
      sub: randomUUID(),
      pid: randomUUID(),
      mat: 50,
    });

  it('answers the titles the catalog has in one call, leaving unknown ids out', async () => {
    const unknown = randomUUID();
    const res = await summaries({ titleIds: [t.movie, t.series, t.episodes[0], unknown] });
    expect(res.status).toBe(200);
    const { summaries: found } = (await res.json()) as { summaries: { id: string; type: string }[] };
    expect(new Map(found.map((s) => [s.id, s.type]))).toEqual(
      new Map([
        [t.movie, 'movie'],
        [t.series, 'series'],
        [t.episodes[0], 'episode'],
      ]),
    );
    expect(found.find((s) => s.id === t.movie)).toMatchObject({ durationSeconds: 6000, maturityLevel: 20 });
  });

  it('refuses more than 100 ids, none, or one that is not a uuid with a 400 naming the field', async () => {
    for (const titleIds of [Array.from({ length: 101 }, () => randomUUID()), [], ['not-a-uuid']]) {
      const res = await summaries({ titleIds });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as { code: string; errors: { path: string }[] };
      expect(body.code).toBe('validation_failed');
      expect(body.errors.map((e) => e.path.split('.')[0])).toContain('titleIds');
    }
  });
});

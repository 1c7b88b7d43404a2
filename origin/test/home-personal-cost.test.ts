/**
 * What one profile's part of the homepage costs once the caches are warm (issue 13): one
 * PostgreSQL query (its signals) and one read of its progress partition, whatever it watches.
 * Counted from the origin's store-call metric, where a cache hit is no call.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomePage, HomePersonal, HomeQuery } from '../../core/home.ts';
import type { ProgressEntry } from '../../core/progress.ts';
import { postgresCatalogStore } from '../src/stores/postgres-catalog.ts';
import { episodeKey, type ProgressRecord } from '../src/stores/types.ts';
import { asEdge } from './support/as-edge.ts';
import type { FixtureTitles } from './support/fixtures.ts';
import type { TestKeys } from './support/keys.ts';
import { storeCalls } from './support/metrics.ts';
import { realTestOrigin, type TestOrigin } from './support/origin.ts';

let keys: TestKeys;
let origin: TestOrigin;
let t: FixtureTitles;
let databaseUrl: string;
let sql: postgres.Sql;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  // The default shared-rows interval: the lists behind a profile's rows are shared, computed once.
  const real = await realTestOrigin('home_cost');
  ({ origin, keys, titles: t, databaseUrl } = real);
  sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  cleanup.push(
    () => sql.end(),
    () => real.stop(),
  );
});

afterAll(async () => {
  for (const step of cleanup) await step();
});

const CONTROL: HomePage['variants'] = { rowOrder: 'control', artwork: 'default' };

async function personalPart(profileId: string, body: HomeQuery): Promise<HomePersonal> {
  const res = await asEdge(origin, keys.serviceSecret, {
    method: 'POST',
    path: '/internal/v1/home/personal',
    body,
    sub: randomUUID(),
    pid: profileId,
    mat: 50,
  });
  expect(res.status).toBe(200);
  return (await res.json()) as HomePersonal;
}

/** The store calls of one warm `POST /internal/v1/home/personal` (a first call warms the caches). */
async function warmCost(
  profileId: string,
  body: HomeQuery,
): Promise<{ calls: Record<string, number>; part: HomePersonal }> {
  await personalPart(profileId, body);
  const before = await storeCalls(origin, keys.operatorKey);
  const part = await personalPart(profileId, body);
  const after = await storeCalls(origin, keys.operatorKey);
  const calls = [...after].flatMap(([k, n]) => (n > (before.get(k) ?? 0) ? [[k, n - (before.get(k) ?? 0)]] : []));
  return { calls: Object.fromEntries(calls) as Record<string, number>, part };
}

const movieAt = (profileId: string, titleId: string, position: number, at: number): ProgressRecord => ({
  profileId,
  titleId,
  seriesId: null,
  contentType: 'movie',
  positionSeconds: position,
  durationSeconds: 6000,
  completed: false,
  deviceId: 'tv',
  lastWatchedAt: new Date(at),
  tie: 0,
});

const finishedEpisode = (
  profileId: string,
  { seriesId, episodeId, durationSeconds }: SeriesInProgress,
  at: number,
): ProgressRecord => ({
  profileId,
  titleId: episodeId,
  seriesId,
  contentType: 'episode',
  positionSeconds: durationSeconds,
  durationSeconds,
  completed: true,
  deviceId: 'tv',
  lastWatchedAt: new Date(at),
  tie: 0,
});

interface SeriesInProgress {
  seriesId: string;
  /** An episode to finish, and the one after it. */
  episodeId: string;
  seasonNumber: number;
  episodeNumber: number;
  durationSeconds: number;
  nextId: string;
}

/** Three series a level-50 profile may watch, each with an episode and the one after it. */
async function seriesInProgress(): Promise<SeriesInProgress[]> {
  const rows = await sql<
    {
      series_id: string;
      episode_id: string;
      season_number: number;
      episode_number: number;
      duration_seconds: number;
      next_id: string;
    }[]
  >`
    SELECT DISTINCT ON (e.series_id) e.series_id, e.id AS episode_id, e.season_number, e.episode_number,
           e.duration_seconds, n.id AS next_id
    FROM titles e
    JOIN titles n ON n.series_id = e.series_id AND n.season_number = e.season_number
      AND n.episode_number = e.episode_number + 1
    JOIN maturity_ratings r ON r.code = n.maturity_rating
    WHERE e.type = 'episode' AND r.level <= 50
    ORDER BY e.series_id, e.season_number, e.episode_number
    LIMIT 3`;
  expect(rows).toHaveLength(3);
  return rows.map((r) => ({
    seriesId: r.series_id,
    episodeId: r.episode_id,
    seasonNumber: r.season_number,
    episodeNumber: r.episode_number,
    durationSeconds: r.duration_seconds,
    nextId: r.next_id,
  }));
}

describe('the part of a profile, warm', () => {
  /** One PostgreSQL query (the profile's signals) and one read of its progress partition. */
  const oneQueryAndOneRead = (read: 'listWithHidden' | 'hiddenItems') => ({
    'postgres:home.profileSignals': 1,
    [`cassandra:progress.${read}`]: 1,
  });
  const continueWatching = (part: HomePersonal) =>
    part.rows.find((r) => r.kind === 'continue_watching')?.items.map((i) => [i.id, i.contentId]) ?? [];

  it('answers the part of a profile without progress with one PostgreSQL query and one Cassandra partition read', async () => {
    const p = randomUUID();
    const { calls, part } = await warmCost(p, { pending: [], variants: CONTROL });
    // Title summaries come from memory (stores/cached-catalog.ts); next episodes of no series ask nothing.
    expect(calls).toEqual(oneQueryAndOneRead('listWithHidden'));
    expect(part).toMatchObject({ history: false, rows: [], finished: [] });
  });

  it('answers the part of a profile with a movie in progress with one PostgreSQL query and one Cassandra partition read', async () => {
    const p = randomUUID();
    await origin.deps.stores.progress.upsert([movieAt(p, t.movie, 1200, Date.now() - 60_000)]);
    const { calls, part } = await warmCost(p, { pending: [], variants: CONTROL });
    expect(calls).toEqual(oneQueryAndOneRead('listWithHidden'));
    expect(continueWatching(part)).toEqual([[t.movie, t.movie]]);
  });

  it('answers the part of a profile with several series in progress with one PostgreSQL query and one Cassandra partition read', async () => {
    const p = randomUUID();
    const series = await seriesInProgress();
    await origin.deps.stores.progress.upsert(
      series.map((s, i) => finishedEpisode(p, s, Date.now() - 60_000 * (i + 1))),
    );
    const { calls, part } = await warmCost(p, { pending: [], variants: CONTROL });
    // The next episode of each series is answered from memory once known.
    expect(calls).toEqual(oneQueryAndOneRead('listWithHidden'));
    expect(continueWatching(part)).toEqual(series.map((s) => [s.seriesId, s.nextId]));
  });

  it('answers the part of a profile with hidden items with one PostgreSQL query and one Cassandra partition read', async () => {
    const p = randomUUID();
    const [kept, hidden] = await seriesInProgress();
    await origin.deps.stores.progress.upsert([
      movieAt(p, t.movie, 1200, Date.now() - 60_000),
      finishedEpisode(p, kept!, Date.now() - 120_000),
      finishedEpisode(p, hidden!, Date.now() - 180_000),
    ]);
    await origin.deps.stores.progress.hide(p, t.movie, new Date());
    await origin.deps.stores.progress.hide(p, hidden!.seriesId, new Date());
    const { calls, part } = await warmCost(p, { pending: [], variants: CONTROL });
    expect(calls).toEqual(oneQueryAndOneRead('listWithHidden'));
    expect(continueWatching(part)).toEqual([[kept!.seriesId, kept!.nextId]]);
  });

  it.each([true, false])(
    'answers the part of a profile whose buffer sends its states (complete: %s) with one PostgreSQL query and one Cassandra partition read',
    async (complete) => {
      const p = randomUUID();
      const [watching, hidden] = await seriesInProgress();
      const now = Date.now();
      const finished = (s: SeriesInProgress, eventTime: number): ProgressEntry => ({
        titleId: s.episodeId,
        positionSeconds: s.durationSeconds,
        durationSeconds: s.durationSeconds,
        eventTime,
        tie: 0,
        deviceId: 'tv',
      });
      const pending = [finished(watching!, now - 60_000), finished(hidden!, now - 120_000)];
      await origin.deps.stores.progress.hide(p, hidden!.seriesId, new Date());
      const { calls, part } = await warmCost(p, { pending, variants: CONTROL, complete });
      // Complete: the buffer holds every state, so only the hidden items are read.
      expect(calls).toEqual(oneQueryAndOneRead(complete ? 'hiddenItems' : 'listWithHidden'));
      expect(continueWatching(part)).toEqual([[watching!.seriesId, watching!.nextId]]);
    },
  );
});

describe('next episodes', () => {
  it('are found for several series in one query', async () => {
    let queries = 0;
    const counted = postgres(databaseUrl, { max: 1, onnotice: () => {}, debug: () => void queries++ });
    cleanup.push(() => counted.end());
    // Connecting asks for the server's types first: not the query under test.
    await counted`SELECT 1`;
    queries = 0;
    const series = await seriesInProgress();
    const refs = [
      ...series.map((s) => ({ seriesId: s.seriesId, seasonNumber: s.seasonNumber, episodeNumber: s.episodeNumber })),
      // The last episode of a series has none after it.
      { seriesId: t.series, seasonNumber: 1, episodeNumber: 3 },
    ];
    const next = await postgresCatalogStore(counted).nextEpisodes(refs);
    expect(queries).toBe(1);
    expect(new Map([...next].map(([k, v]) => [k, v.id]))).toEqual(
      new Map(series.map((s, i) => [episodeKey(refs[i]!), s.nextId])),
    );
  });
});

/**
 * Writes the generated catalog and the demo accounts into PostgreSQL (or PGlite over
 * origin/src/db/embedded-wire.ts): plain multi-row INSERTs, no COPY, no extensions.
 *
 * Idempotent: lookup tables are upserted only when a value differs, catalog rows use
 * ON CONFLICT DO NOTHING, and accounts are created only when their email is missing, so
 * existing password hashes are kept. A re-run with the same options changes no row.
 *
 * The catalog is streamed: top-level titles are generated one at a time and written in
 * batches of ~10k rows, one transaction per batch (a crash leaves whole titles, never half of
 * one). A batch whose rows are all present already is skipped after one counting query.
 */
import type postgres from 'postgres';
import { refreshArtworkUrls } from '../db/artwork-refresh.ts';
import { DEMO_ACCOUNTS, accountRow, profileRows } from './accounts.ts';
import { generateTitleBundles, type CatalogOptions } from './catalog.ts';
import { referenceData } from './reference.ts';
import {
  TABLE_ORDER,
  TITLE_TABLES,
  appendTitleTables,
  emptyTitleTables,
  type CatalogTable,
  type RowOf,
  type TitleTables,
} from './tables.ts';

export type SeedPhase = 'reference' | 'catalog' | 'accounts';

export interface SeedOptions extends CatalogOptions {
  /** Also create the demo accounts and profiles (default true). */
  accounts?: boolean;
  /** Called after each committed step; `done`/`total` count top-level titles in the catalog phase. */
  onProgress?: (done: number, total: number, phase: SeedPhase) => void;
}

export type SeedTable = CatalogTable | 'accounts' | 'profiles';

export interface SeedResult {
  /** Top-level titles (movies + series). */
  titles: number;
  movies: number;
  series: number;
  seasons: number;
  episodes: number;
  titleGenres: number;
  titleCredits: number;
  titleKeywords: number;
  titleOriginalNames: number;
  artwork: number;
  encodings: number;
  audioTracks: number;
  subtitleTracks: number;
  maturityRatings: number;
  genres: number;
  plans: number;
  accounts: number;
  profiles: number;
  /** Rows this run inserted or updated, per table: all zero when re-run with the same options. */
  changed: Record<SeedTable, number>;
  /** Top-level titles whose rows were all present already, so their batch was skipped. */
  skippedTitles: number;
}

type Exhaustive<T, K extends readonly (keyof T)[]> = Exclude<keyof T, K[number]> extends never ? K : never;
const columns =
  <T>() =>
  <const K extends readonly (keyof T & string)[]>(keys: Exhaustive<T, K>): K =>
    keys;

/** Insert column lists; the type check fails if a row field is missing from its list. */
const COLUMNS = {
  maturity_ratings: columns<RowOf<'maturity_ratings'>>()(['code', 'level', 'description']),
  genres: columns<RowOf<'genres'>>()(['id', 'name']),
  plans: columns<RowOf<'plans'>>()(['id', 'name', 'max_height', 'hdr', 'max_streams', 'price_cents']),
  titles: columns<RowOf<'titles'>>()([
    'id',
    'type',
    'name',
    'synopsis',
    'release_year',
    'maturity_rating',
    'duration_seconds',
    'series_id',
    'season_number',
    'episode_number',
    'popularity',
    'added_at',
  ]),
  seasons: columns<RowOf<'seasons'>>()(['series_id', 'season_number', 'name']),
  title_genres: columns<RowOf<'title_genres'>>()(['title_id', 'genre_id']),
  title_credits: columns<RowOf<'title_credits'>>()(['title_id', 'position', 'person_name', 'role', 'character_name']),
  title_keywords: columns<RowOf<'title_keywords'>>()(['title_id', 'keyword']),
  title_original_names: columns<RowOf<'title_original_names'>>()(['title_id', 'language', 'name']),
  artwork: columns<RowOf<'artwork'>>()(['id', 'title_id', 'kind', 'variant', 'url', 'width', 'height']),
  encodings: columns<RowOf<'encodings'>>()([
    'id',
    'title_id',
    'codec',
    'codec_family',
    'width',
    'height',
    'bandwidth',
    'frame_rate',
    'dynamic_range',
    'segment_duration_seconds',
    'segment_count',
    'storage_prefix',
  ]),
  audio_tracks: columns<RowOf<'audio_tracks'>>()([
    'id',
    'title_id',
    'language',
    'label',
    'codec',
    'channel_layout',
    'channels',
    'bandwidth',
    'sample_rate',
    'role',
    'is_default',
    'segment_duration_seconds',
    'segment_count',
    'storage_prefix',
  ]),
  subtitle_tracks: columns<RowOf<'subtitle_tracks'>>()([
    'id',
    'title_id',
    'language',
    'label',
    'kind',
    'format',
    'storage_key',
  ]),
} as const;

/** PostgreSQL's wire protocol caps bind parameters per statement at 65,535. */
const MAX_PARAMETERS = 65_535;
const MAX_ROWS_PER_INSERT = 1024;
/** Rows per catalog transaction. */
const BATCH_ROWS = 10_000;

/**
 * Splits `count` rows into chunk sizes: full chunks of `max`, then the remainder in powers of
 * two. Few distinct sizes → few distinct statements for postgres.js to prepare on the server.
 */
export function chunkSizes(count: number, max: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left >= max) {
    sizes.push(max);
    left -= max;
  }
  for (let bit = 1 << 30; bit >= 1; bit >>>= 1) {
    if (left & bit) sizes.push(bit);
  }
  return sizes;
}

function maxRowsFor(columnCount: number): number {
  const byParams = Math.floor(MAX_PARAMETERS / columnCount);
  // Largest power of two under the parameter cap, so full chunks are one of the binary sizes too.
  let rows = 1;
  while (rows * 2 <= Math.min(MAX_ROWS_PER_INSERT, byParams)) rows *= 2;
  return rows;
}

type Tx = postgres.TransactionSql;
type SqlLike = postgres.Sql | Tx;

/** Multi-row `INSERT … ON CONFLICT DO NOTHING` statements for `rows`, not yet awaited. */
function insertStatements<T extends keyof TitleTables>(
  tx: SqlLike,
  table: T,
  rows: readonly RowOf<T>[],
): postgres.PendingQuery<postgres.Row[]>[] {
  const cols: string[] = [...COLUMNS[table]];
  const name: string = table;
  const statements: postgres.PendingQuery<postgres.Row[]>[] = [];
  let offset = 0;
  for (const size of chunkSizes(rows.length, maxRowsFor(cols.length))) {
    const chunk = rows.slice(offset, offset + size) as unknown as Record<string, postgres.ParameterOrJSON<never>>[];
    offset += size;
    statements.push(tx`INSERT INTO ${tx(name)} ${tx(chunk, ...cols)} ON CONFLICT DO NOTHING`);
  }
  return statements;
}

interface BatchIds {
  titles: string[];
  seasonSeries: string[];
  seasonNumbers: number[];
  genreTitles: string[];
  genreIds: string[];
  creditTitles: string[];
  creditPositions: number[];
  keywordTitles: string[];
  keywords: string[];
  originalNames: string[];
  artwork: string[];
  encodings: string[];
  audio: string[];
  subtitles: string[];
}

function batchIds(batch: TitleTables): BatchIds {
  return {
    titles: batch.titles.map((r) => r.id),
    seasonSeries: batch.seasons.map((r) => r.series_id),
    seasonNumbers: batch.seasons.map((r) => r.season_number),
    genreTitles: batch.title_genres.map((r) => r.title_id),
    genreIds: batch.title_genres.map((r) => r.genre_id),
    creditTitles: batch.title_credits.map((r) => r.title_id),
    creditPositions: batch.title_credits.map((r) => r.position),
    keywordTitles: batch.title_keywords.map((r) => r.title_id),
    keywords: batch.title_keywords.map((r) => r.keyword),
    originalNames: batch.title_original_names.map((r) => r.title_id),
    artwork: batch.artwork.map((r) => r.id),
    encodings: batch.encodings.map((r) => r.id),
    audio: batch.audio_tracks.map((r) => r.id),
    subtitles: batch.subtitle_tracks.map((r) => r.id),
  };
}

/** How many of the batch's rows exist already, per table (keys as in TitleTables). */
async function existingCounts(tx: Tx, batch: TitleTables): Promise<Record<keyof TitleTables, number>> {
  const ids = batchIds(batch);
  const [row] = await tx<Record<keyof TitleTables, number>[]>`
    SELECT
      (SELECT count(*)::int FROM titles WHERE id = ANY(${tx.array(ids.titles)}::uuid[])) AS titles,
      (SELECT count(*)::int FROM seasons s
         JOIN unnest(${tx.array(ids.seasonSeries)}::uuid[], ${tx.array(ids.seasonNumbers)}::int2[]) AS k(series_id, n)
           ON s.series_id = k.series_id AND s.season_number = k.n) AS seasons,
      (SELECT count(*)::int FROM title_genres g
         JOIN unnest(${tx.array(ids.genreTitles)}::uuid[], ${tx.array(ids.genreIds)}::text[]) AS k(title_id, genre_id)
           ON g.title_id = k.title_id AND g.genre_id = k.genre_id) AS title_genres,
      (SELECT count(*)::int FROM title_credits c
         JOIN unnest(${tx.array(ids.creditTitles)}::uuid[], ${tx.array(ids.creditPositions)}::int2[]) AS k(title_id, n)
           ON c.title_id = k.title_id AND c.position = k.n) AS title_credits,
      (SELECT count(*)::int FROM title_keywords w
         JOIN unnest(${tx.array(ids.keywordTitles)}::uuid[], ${tx.array(ids.keywords)}::text[]) AS k(title_id, keyword)
           ON w.title_id = k.title_id AND w.keyword = k.keyword) AS title_keywords,
      (SELECT count(*)::int FROM title_original_names
         WHERE title_id = ANY(${tx.array(ids.originalNames)}::uuid[])) AS title_original_names,
      (SELECT count(*)::int FROM artwork WHERE id = ANY(${tx.array(ids.artwork)}::uuid[])) AS artwork,
      (SELECT count(*)::int FROM encodings WHERE id = ANY(${tx.array(ids.encodings)}::uuid[])) AS encodings,
      (SELECT count(*)::int FROM audio_tracks WHERE id = ANY(${tx.array(ids.audio)}::uuid[])) AS audio_tracks,
      (SELECT count(*)::int FROM subtitle_tracks WHERE id = ANY(${tx.array(ids.subtitles)}::uuid[])) AS subtitle_tracks`;
  if (!row) throw new Error('existence check returned no row');
  return row;
}

/** Writes one batch in one transaction; returns rows inserted per table, or null if skipped. */
async function writeBatch(sql: postgres.Sql, batch: TitleTables): Promise<Record<keyof TitleTables, number> | null> {
  return sql.begin(async (tx) => {
    const existing = await existingCounts(tx, batch);
    if (TITLE_TABLES.every((t) => existing[t] === batch[t].length)) return null;
    // FK order: series before their seasons, seasons before their episodes
    // (titles_episode_season), titles before everything hanging off them. The statements are
    // pipelined on the transaction's connection, which runs them in the order sent.
    const topLevel = batch.titles.filter((t) => t.type !== 'episode');
    const episodes = batch.titles.filter((t) => t.type === 'episode');
    const steps: [keyof TitleTables, readonly RowOf<keyof TitleTables>[]][] = [
      ['titles', topLevel],
      ['seasons', batch.seasons],
      ['titles', episodes],
      ...TITLE_TABLES.filter((t) => t !== 'titles' && t !== 'seasons').map(
        (t) => [t, batch[t]] as [keyof TitleTables, readonly RowOf<keyof TitleTables>[]],
      ),
    ];
    const plan = steps.flatMap(([table, rows]) => insertStatements(tx, table, rows).map((q) => ({ table, q })));
    const results = await Promise.all(plan.map((p) => p.q));
    const inserted = Object.fromEntries(TITLE_TABLES.map((t) => [t, 0])) as Record<keyof TitleTables, number>;
    results.forEach((result, i) => {
      const step = plan[i];
      if (step) inserted[step.table] += result.count;
    });
    return inserted;
  });
}

function batchRowCount(batch: TitleTables): number {
  return TITLE_TABLES.reduce((sum, t) => sum + batch[t].length, 0);
}

async function seedReference(sql: postgres.Sql, changed: Record<SeedTable, number>): Promise<void> {
  const ref = referenceData();
  await sql.begin(async (tx) => {
    const ratings = await tx`
      INSERT INTO maturity_ratings ${tx(ref.maturity_ratings, COLUMNS.maturity_ratings)}
      ON CONFLICT (code) DO UPDATE SET level = excluded.level, description = excluded.description
      WHERE (maturity_ratings.level, maturity_ratings.description)
        IS DISTINCT FROM (excluded.level, excluded.description)`;
    const genres = await tx`
      INSERT INTO genres ${tx(ref.genres, COLUMNS.genres)}
      ON CONFLICT (id) DO UPDATE SET name = excluded.name
      WHERE genres.name IS DISTINCT FROM excluded.name`;
    const plans = await tx`
      INSERT INTO plans ${tx(ref.plans, COLUMNS.plans)}
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, max_height = excluded.max_height, hdr = excluded.hdr,
        max_streams = excluded.max_streams, price_cents = excluded.price_cents
      WHERE (plans.name, plans.max_height, plans.hdr, plans.max_streams, plans.price_cents)
        IS DISTINCT FROM (excluded.name, excluded.max_height, excluded.hdr, excluded.max_streams, excluded.price_cents)`;
    changed.maturity_ratings += ratings.count;
    changed.genres += genres.count;
    changed.plans += plans.count;
  });
}

async function seedAccounts(
  sql: postgres.Sql,
  changed: Record<SeedTable, number>,
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  const emails = DEMO_ACCOUNTS.map((a) => a.email);
  const present = await sql<{ email: string }[]>`SELECT email FROM accounts WHERE email IN ${sql(emails)}`;
  const known = new Set(present.map((r) => r.email));
  // Hash only for accounts that will be created: scrypt is slow on purpose.
  const newRows = await Promise.all(DEMO_ACCOUNTS.filter((a) => !known.has(a.email)).map(accountRow));
  await sql.begin(async (tx) => {
    if (newRows.length > 0) {
      const result = await tx`
        INSERT INTO accounts ${tx(newRows, 'id', 'email', 'password_hash', 'plan_id', 'country')}
        ON CONFLICT DO NOTHING`;
      changed.accounts += result.count;
    }
    const ids = await tx<{ email: string; id: string }[]>`SELECT email, id FROM accounts WHERE email IN ${tx(emails)}`;
    const idByEmail = new Map(ids.map((r) => [r.email, r.id]));
    // Profiles are listed by (created_at, name): stagger created_at to keep the declared order.
    const base = Date.now();
    const profiles = DEMO_ACCOUNTS.flatMap((account) => {
      const accountId = idByEmail.get(account.email);
      if (!accountId) throw new Error(`account ${account.email} is missing after insert`);
      return profileRows(account, accountId).map((p, i) => ({ ...p, created_at: new Date(base + i * 1000) }));
    });
    const result = await tx`
      INSERT INTO profiles ${tx(profiles, 'id', 'account_id', 'name', 'language', 'maturity_level', 'is_kids', 'avatar', 'created_at')}
      ON CONFLICT DO NOTHING`;
    changed.profiles += result.count;
  });
  onProgress(DEMO_ACCOUNTS.length, DEMO_ACCOUNTS.length);
}

/**
 * Rebuilds the search documents (migrations/postgres/0013_search_indexes.sql,
 * 0014_search_episodes.sql) from the catalog tables: the titles first, then the people, topics and
 * episode names read from them.
 */
export async function refreshSearchDocuments(sql: postgres.Sql): Promise<void> {
  await sql`REFRESH MATERIALIZED VIEW title_search`;
  await sql`REFRESH MATERIALIZED VIEW search_people`;
  await sql`REFRESH MATERIALIZED VIEW search_topics`;
  await sql`REFRESH MATERIALIZED VIEW search_episodes`;
  // Fresh views have no statistics; without them the planner guesses how many rows match.
  await sql`ANALYZE title_search, search_people, search_topics, search_episodes`;
}

/**
 * Seeds lookup tables, the catalog for `options.titles` top-level titles, and the demo accounts.
 * Safe to re-run; safe to run again with a larger `titles` (only the new titles are added).
 */
export async function seedDatabase(sql: postgres.Sql, options: SeedOptions): Promise<SeedResult> {
  const progress = options.onProgress ?? (() => {});
  const total = options.titles;
  const changed = Object.fromEntries([...TABLE_ORDER, 'accounts', 'profiles'].map((t) => [t, 0])) as Record<
    SeedTable,
    number
  >;
  const counts = {
    movies: 0,
    series: 0,
    episodes: 0,
    seasons: 0,
    titleGenres: 0,
    titleCredits: 0,
    titleKeywords: 0,
    titleOriginalNames: 0,
    artwork: 0,
    encodings: 0,
    audioTracks: 0,
    subtitleTracks: 0,
  };
  let skippedTitles = 0;

  progress(0, 1, 'reference');
  // The rows below are written with the current renderer's URLs, and ON CONFLICT DO NOTHING keeps
  // rows already there: bring those to the current renderer first, which records its version.
  changed.artwork += (await refreshArtworkUrls(sql)).updated;
  await seedReference(sql, changed);
  progress(1, 1, 'reference');

  progress(0, total, 'catalog');
  let done = 0;
  let batch = emptyTitleTables();
  let batchTitles = 0;
  // While one batch is being written, the next one is generated.
  let pending: Promise<void> | null = null;

  const flush = (rows: TitleTables, titles: number): Promise<void> => {
    const p = writeBatch(sql, rows).then((inserted) => {
      if (inserted === null) skippedTitles += titles;
      else for (const t of TITLE_TABLES) changed[t] += inserted[t];
      done += titles;
      progress(done, total, 'catalog');
    });
    p.catch(() => {}); // handled where awaited; avoids an unhandled-rejection crash meanwhile
    return p;
  };

  try {
    for (const bundle of generateTitleBundles(options)) {
      for (const t of bundle.titles) {
        if (t.type === 'movie') counts.movies++;
        else if (t.type === 'series') counts.series++;
        else counts.episodes++;
      }
      counts.seasons += bundle.seasons.length;
      counts.titleGenres += bundle.title_genres.length;
      counts.titleCredits += bundle.title_credits.length;
      counts.titleKeywords += bundle.title_keywords.length;
      counts.titleOriginalNames += bundle.title_original_names.length;
      counts.artwork += bundle.artwork.length;
      counts.encodings += bundle.encodings.length;
      counts.audioTracks += bundle.audio_tracks.length;
      counts.subtitleTracks += bundle.subtitle_tracks.length;

      appendTitleTables(batch, bundle);
      batchTitles++;
      if (batchRowCount(batch) >= BATCH_ROWS) {
        if (pending) await pending;
        pending = flush(batch, batchTitles);
        batch = emptyTitleTables();
        batchTitles = 0;
      }
    }
    if (pending) await pending;
    pending = null;
    if (batchTitles > 0) await flush(batch, batchTitles);
  } catch (err) {
    if (pending) await pending.catch(() => {});
    throw err;
  }

  // The search documents are built from the rows just written; nothing changed, nothing to rebuild.
  if (TITLE_TABLES.some((t) => changed[t] > 0)) await refreshSearchDocuments(sql);

  if (options.accounts !== false) {
    progress(0, DEMO_ACCOUNTS.length, 'accounts');
    await seedAccounts(sql, changed, (d, n) => progress(d, n, 'accounts'));
  }

  const ref = referenceData();
  return {
    titles: counts.movies + counts.series,
    movies: counts.movies,
    series: counts.series,
    seasons: counts.seasons,
    episodes: counts.episodes,
    titleGenres: counts.titleGenres,
    titleCredits: counts.titleCredits,
    titleKeywords: counts.titleKeywords,
    titleOriginalNames: counts.titleOriginalNames,
    artwork: counts.artwork,
    encodings: counts.encodings,
    audioTracks: counts.audioTracks,
    subtitleTracks: counts.subtitleTracks,
    maturityRatings: ref.maturity_ratings.length,
    genres: ref.genres.length,
    plans: ref.plans.length,
    accounts: options.accounts === false ? 0 : DEMO_ACCOUNTS.length,
    profiles: options.accounts === false ? 0 : DEMO_ACCOUNTS.reduce((n, a) => n + a.profiles.length, 0),
    changed,
    skippedTitles,
  };
}

import type postgres from 'postgres';
import type { TitleCard, TitleDetail } from '../../../core/catalog.ts';
import { queryPlaybackSource } from './postgres-playback.ts';
import type { ArtworkKind } from '../../../core/artwork.ts';
import { episodeKey, type CatalogStore, type PreferenceStore, type TitleSummary } from './types.ts';

interface CardRow {
  id: string;
  type: 'movie' | 'series';
  name: string;
  synopsis: string;
  release_year: number | null;
  maturity_rating: string;
  maturity_level: number;
  duration_seconds: number | null;
  genres: string[] | null;
  poster_url: string | null;
  backdrop_url: string | null;
  playable: boolean;
  preparing: boolean;
  added_at: Date;
}

const toCard = (r: CardRow): TitleCard => ({
  id: r.id,
  type: r.type,
  name: r.name,
  synopsis: r.synopsis,
  releaseYear: r.release_year,
  maturityRating: r.maturity_rating,
  maturityLevel: r.maturity_level,
  durationSeconds: r.duration_seconds,
  genres: r.genres ?? [],
  posterUrl: r.poster_url,
  backdropUrl: r.backdrop_url,
  playable: r.playable,
  preparing: r.preparing,
});

/** Title list cursor: the last card's (added_at, id), base64url. */
function encodeTitleCursor(r: { added_at: Date; id: string }): string {
  return Buffer.from(`${r.added_at.toISOString()}|${r.id}`).toString('base64url');
}

function decodeTitleCursor(cursor: string): { addedAt: Date; id: string } | null {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const addedAt = new Date(at ?? '');
  if (!id || Number.isNaN(addedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) return null;
  return { addedAt, id };
}

/** A top-level title `t` (or, for a series, one of its episodes) has media in the object store. */
export const playableOf = (sql: postgres.Sql) =>
  sql`(t.media_available OR EXISTS (SELECT 1 FROM titles e WHERE e.type = 'episode' AND e.series_id = t.id AND e.media_available))`;

/** A media run holds a live claim on `t` (or, for a series, on one of its episodes): see migration 0006. */
export const preparingOf = (sql: postgres.Sql) =>
  sql`(coalesce(t.media_preparing_until > now(), false)
       OR EXISTS (SELECT 1 FROM titles e WHERE e.series_id = t.id AND e.media_preparing_until > now()))`;

function cardSelect(sql: postgres.Sql) {
  return sql`
    SELECT t.id, t.type, t.name, t.synopsis, t.release_year, t.maturity_rating, r.level AS maturity_level,
           t.duration_seconds, t.added_at,
           (SELECT array_agg(g.genre_id ORDER BY g.genre_id) FROM title_genres g WHERE g.title_id = t.id) AS genres,
           (SELECT a.url FROM artwork a WHERE a.title_id = t.id AND a.kind = 'poster' AND a.variant IS NULL LIMIT 1) AS poster_url,
           (SELECT a.url FROM artwork a WHERE a.title_id = t.id AND a.kind = 'backdrop' AND a.variant IS NULL LIMIT 1) AS backdrop_url,
           ${playableOf(sql)} AS playable, ${preparingOf(sql)} AS preparing
    FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating`;
}

interface SummaryRow {
  id: string;
  type: TitleSummary['type'];
  name: string;
  series_id: string | null;
  series_name: string | null;
  season_number: number | null;
  episode_number: number | null;
  duration_seconds: number | null;
  maturity_level: number;
  maturity_rating: string;
  poster_url: string | null;
  genres: string[] | null;
}

const toSummary = (r: SummaryRow): TitleSummary => ({
  id: r.id,
  type: r.type,
  name: r.name,
  seriesId: r.series_id,
  seriesName: r.series_name,
  seasonNumber: r.season_number,
  episodeNumber: r.episode_number,
  durationSeconds: r.duration_seconds,
  maturityLevel: r.maturity_level,
  maturityRating: r.maturity_rating,
  posterUrl: r.poster_url,
  genres: r.genres ?? [],
});

/** Summary columns of `t` (a title), with poster and genres taken from its series for an episode. */
function summarySelect(sql: postgres.Sql) {
  return sql`
    SELECT t.id, t.type, t.name, t.series_id, s.name AS series_name, t.season_number, t.episode_number,
           t.duration_seconds, r.level AS maturity_level, t.maturity_rating,
           (SELECT a.url FROM artwork a WHERE a.title_id = coalesce(t.series_id, t.id) AND a.kind = 'poster'
              AND a.variant IS NULL LIMIT 1) AS poster_url,
           (SELECT array_agg(g.genre_id ORDER BY g.genre_id) FROM title_genres g
              WHERE g.title_id = coalesce(t.series_id, t.id)) AS genres
    FROM titles t
    JOIN maturity_ratings r ON r.code = t.maturity_rating
    LEFT JOIN titles s ON s.id = t.series_id`;
}

/** Catalog reads for the progress pipeline (postgres.js; the same SQL runs on PGlite). */
export function postgresCatalogStore(sql: postgres.Sql): CatalogStore {
  return {
    async listTitles(q) {
      const after = q.cursor ? decodeTitleCursor(q.cursor) : null;
      if (q.cursor && !after) throw new RangeError('invalid title cursor');
      const flag = (value: boolean | undefined, condition: () => postgres.PendingQuery<postgres.Row[]>) =>
        value === undefined ? sql`` : value ? sql`AND ${condition()}` : sql`AND NOT ${condition()}`;
      const rows = await sql<CardRow[]>`
        ${cardSelect(sql)}
        WHERE t.type <> 'episode' AND r.level <= ${q.maxMaturityLevel}
          ${q.type ? sql`AND t.type = ${q.type}` : sql``}
          ${q.genre ? sql`AND EXISTS (SELECT 1 FROM title_genres g WHERE g.title_id = t.id AND g.genre_id = ${q.genre})` : sql``}
          ${flag(q.playable, () => playableOf(sql))}
          ${flag(q.preparing, () => preparingOf(sql))}
          ${after ? sql`AND (t.added_at, t.id) < (${after.addedAt}, ${after.id}::uuid)` : sql``}
        ORDER BY t.added_at DESC, t.id DESC
        LIMIT ${q.limit + 1}`;
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { items: page.map(toCard), nextCursor: rows.length > q.limit && last ? encodeTitleCursor(last) : null };
    },
    async titleDetail(id) {
      const [row] = await sql<CardRow[]>`${cardSelect(sql)} WHERE t.id = ${id} AND t.type <> 'episode'`;
      if (!row) return null;
      const credits = await sql<
        { name: string; role: TitleDetail['credits'][number]['role']; character: string | null }[]
      >`
        SELECT person_name AS name, role, character_name AS character
        FROM title_credits WHERE title_id = ${id} ORDER BY position`;
      const detail: TitleDetail = { ...toCard(row), credits: [...credits], seasons: [] };
      if (row.type === 'series') {
        const seasons = await sql<{ season_number: number; name: string }[]>`
          SELECT season_number, name FROM seasons WHERE series_id = ${id} ORDER BY season_number`;
        const episodes = await sql<
          {
            id: string;
            season_number: number;
            episode_number: number;
            name: string;
            synopsis: string;
            duration_seconds: number;
            media_available: boolean;
          }[]
        >`
          SELECT id, season_number, episode_number, name, synopsis, duration_seconds, media_available
          FROM titles WHERE series_id = ${id} AND type = 'episode' ORDER BY season_number, episode_number`;
        detail.seasons = seasons.map((s) => ({
          seasonNumber: s.season_number,
          name: s.name,
          episodes: episodes
            .filter((e) => e.season_number === s.season_number)
            .map((e) => ({
              id: e.id,
              episodeNumber: e.episode_number,
              name: e.name,
              synopsis: e.synopsis,
              durationSeconds: e.duration_seconds,
              playable: e.media_available,
            })),
        }));
      }
      return detail;
    },
    async titleSummaries(ids) {
      if (ids.length === 0) return new Map();
      const rows = await sql<SummaryRow[]>`${summarySelect(sql)} WHERE t.id = ANY(${[...new Set(ids)]}::uuid[])`;
      return new Map(rows.map((r) => [r.id, toSummary(r)]));
    },
    playbackSource: (id) => queryPlaybackSource(sql, id),
    async artworkSource(titleId) {
      const [title] = await sql<{ name: string; genres: string[] }[]>`
        SELECT t.name,
               coalesce(array_agg(g.genre_id) FILTER (WHERE g.genre_id IS NOT NULL), '{}') AS genres
        FROM titles t LEFT JOIN title_genres g ON g.title_id = coalesce(t.series_id, t.id)
        WHERE t.id = ${titleId}
        GROUP BY t.id, t.name`;
      if (!title) return null;
      const artwork = await sql<{ kind: ArtworkKind; variant: string | null; url: string }[]>`
        SELECT kind, variant, url FROM artwork WHERE title_id = ${titleId}`;
      return { titleId, name: title.name, genres: [...title.genres], artwork: [...artwork] };
    },
    async nextEpisodes(refs) {
      const distinct = [...new Map(refs.map((r) => [episodeKey(r), r])).values()];
      if (distinct.length === 0) return new Map();
      // One query for every series in progress: each ref finds its next episode by the
      // (series_id, season_number, episode_number) order, LIMIT 1 per ref.
      const rows = await sql<(SummaryRow & { after_series: string; after_season: number; after_episode: number })[]>`
        SELECT ref.series_id AS after_series, ref.season_number AS after_season,
               ref.episode_number AS after_episode, n.*
        FROM unnest(${distinct.map((r) => r.seriesId)}::uuid[], ${distinct.map((r) => r.seasonNumber)}::int[],
                    ${distinct.map((r) => r.episodeNumber)}::int[]) AS ref(series_id, season_number, episode_number)
        CROSS JOIN LATERAL (
          ${summarySelect(sql)}
          WHERE t.type = 'episode' AND t.series_id = ref.series_id
            AND (t.season_number, t.episode_number) > (ref.season_number, ref.episode_number)
          ORDER BY t.season_number, t.episode_number
          LIMIT 1
        ) n`;
      return new Map(
        rows.map((r) => [
          episodeKey({ seriesId: r.after_series, seasonNumber: r.after_season, episodeNumber: r.after_episode }),
          toSummary(r),
        ]),
      );
    },
  };
}

/** Completion state and genre preferences (postgres.js; the same SQL runs on PGlite). */
export function postgresPreferenceStore(sql: postgres.Sql): PreferenceStore {
  return {
    async isNewCompletion(event) {
      if (!event.completed) return false;
      const [row] = await sql<{ completed: boolean; last_event_time: string }[]>`
        SELECT completed, last_event_time FROM completion_state
        WHERE profile_id = ${event.profileId} AND title_id = ${event.titleId}`;
      return !row || (!row.completed && Number(row.last_event_time) <= event.eventTime);
    },
    async applyCompletion(event) {
      return sql.begin(async (tx) => {
        const [row] = await tx<{ completed: boolean; last_event_time: string }[]>`
          SELECT completed, last_event_time FROM completion_state
          WHERE profile_id = ${event.profileId} AND title_id = ${event.titleId} FOR UPDATE`;
        const newer = !row || Number(row.last_event_time) <= event.eventTime;
        if (!newer) return false;
        const isNew = event.completed && !row?.completed;
        // A newer uncompleted event (a rewatch) resets the state, so the next completion counts again.
        const completed = event.completed;
        await tx`
          INSERT INTO completion_state (profile_id, title_id, completed, last_event_time, completions)
          VALUES (${event.profileId}, ${event.titleId}, ${completed}, ${event.eventTime}, ${isNew ? 1 : 0})
          ON CONFLICT (profile_id, title_id) DO UPDATE SET
            completed = excluded.completed,
            last_event_time = excluded.last_event_time,
            completions = completion_state.completions + excluded.completions`;
        if (isNew && event.genres.length > 0) {
          const rows = event.genres.map((genre_id) => ({ profile_id: event.profileId, genre_id, score: 1 }));
          await tx`
            INSERT INTO profile_genre_preferences ${tx(rows)}
            ON CONFLICT (profile_id, genre_id) DO UPDATE SET
              score = profile_genre_preferences.score + excluded.score, updated_at = now()`;
        }
        return isNew;
      });
    },
    async genreScores(profileId) {
      const rows = await sql<{ genre_id: string; score: number }[]>`
        SELECT genre_id, score FROM profile_genre_preferences WHERE profile_id = ${profileId}`;
      return new Map(rows.map((r) => [r.genre_id, r.score]));
    },
  };
}

import type postgres from 'postgres';
import type { CatalogStore, PreferenceStore, TitleSummary } from './types.ts';

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
  posterUrl: r.poster_url,
  genres: r.genres ?? [],
});

/** Summary columns of `t` (a title), with poster and genres taken from its series for an episode. */
function summarySelect(sql: postgres.Sql) {
  return sql`
    SELECT t.id, t.type, t.name, t.series_id, s.name AS series_name, t.season_number, t.episode_number,
           t.duration_seconds, r.level AS maturity_level,
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
    async titleSummaries(ids) {
      if (ids.length === 0) return new Map();
      const rows = await sql<SummaryRow[]>`${summarySelect(sql)} WHERE t.id = ANY(${[...new Set(ids)]}::uuid[])`;
      return new Map(rows.map((r) => [r.id, toSummary(r)]));
    },
    async nextEpisodes(refs) {
      const out = new Map<string, TitleSummary>();
      // One query per distinct series; a profile has few series in progress at once.
      for (const ref of refs) {
        const rows = await sql<SummaryRow[]>`
          ${summarySelect(sql)}
          WHERE t.type = 'episode' AND t.series_id = ${ref.seriesId}
            AND (t.season_number, t.episode_number) > (${ref.seasonNumber}, ${ref.episodeNumber})
          ORDER BY t.season_number, t.episode_number
          LIMIT 1`;
        if (rows[0]) out.set(`${ref.seriesId}:${ref.seasonNumber}:${ref.episodeNumber}`, toSummary(rows[0]));
      }
      return out;
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

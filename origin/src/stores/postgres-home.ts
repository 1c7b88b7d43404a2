import type postgres from 'postgres';
import type { HomeCandidate, HomeStore } from './types.ts';

interface Row {
  id: string;
  type: 'movie' | 'series';
  name: string;
  poster_url: string | null;
  genres: string[] | null;
  maturity_rating: string;
  maturity_level: number;
  popularity: number;
}

const toCandidate = (r: Row): HomeCandidate => ({
  id: r.id,
  type: r.type,
  name: r.name,
  posterUrl: r.poster_url,
  genres: r.genres ?? [],
  maturityRating: r.maturity_rating,
  maturityLevel: r.maturity_level,
  popularity: r.popularity,
});

/** Homepage candidate queries (postgres.js; the same SQL runs on PGlite). */
export function postgresHomeStore(sql: postgres.Sql): HomeStore {
  /** Top-level titles at or below a maturity level, with their default poster and genres. */
  const candidates = (
    where: postgres.PendingQuery<postgres.Row[]>,
    order: postgres.PendingQuery<postgres.Row[]>,
    limit: number,
    maxLevel: number,
  ) =>
    sql<Row[]>`
      SELECT t.id, t.type, t.name, t.maturity_rating, r.level AS maturity_level, t.popularity,
             (SELECT a.url FROM artwork a WHERE a.title_id = t.id AND a.kind = 'poster' AND a.variant IS NULL LIMIT 1) AS poster_url,
             (SELECT array_agg(g.genre_id ORDER BY g.genre_id) FROM title_genres g WHERE g.title_id = t.id) AS genres
      FROM titles t JOIN maturity_ratings r ON r.code = t.maturity_rating
      WHERE t.type <> 'episode' AND r.level <= ${maxLevel} ${where}
      ${order}
      LIMIT ${limit}`.then((rows) => rows.map(toCandidate));

  /** A movie is finished once completed; a series once its last episode is. */
  const finishedQuery = (profileId: string) => sql`
    SELECT c.title_id AS id FROM completion_state c JOIN titles t ON t.id = c.title_id
    WHERE c.profile_id = ${profileId} AND c.completed AND t.type = 'movie'
    UNION
    SELECT t.series_id FROM completion_state c JOIN titles t ON t.id = c.title_id
    WHERE c.profile_id = ${profileId} AND c.completed AND t.type = 'episode'
      AND NOT EXISTS (SELECT 1 FROM titles n WHERE n.series_id = t.series_id
                      AND (n.season_number, n.episode_number) > (t.season_number, t.episode_number))`;

  return {
    async trending({ days, limit, maxMaturityLevel }) {
      const since = new Date(Date.now() - days * 86_400_000);
      return candidates(
        sql``,
        sql`ORDER BY (SELECT count(*) FROM title_viewers v WHERE v.item_id = t.id AND v.day >= ${since}::date) DESC,
                     t.popularity DESC, t.id`,
        limit,
        maxMaturityLevel,
      );
    },
    async byGenres({ genres, limit, maxMaturityLevel }) {
      if (genres.length === 0) return [];
      return candidates(
        sql`AND EXISTS (SELECT 1 FROM title_genres g WHERE g.title_id = t.id AND g.genre_id = ANY(${genres}))`,
        sql`ORDER BY t.popularity DESC, t.id`,
        limit,
        maxMaturityLevel,
      );
    },
    async similarTo({ titleId, limit, maxMaturityLevel }) {
      return candidates(
        sql`AND t.id <> ${titleId}
            AND EXISTS (SELECT 1 FROM title_genres g JOIN title_genres x ON x.genre_id = g.genre_id
                        WHERE g.title_id = t.id AND x.title_id = ${titleId})`,
        sql`ORDER BY (SELECT count(*) FROM title_genres g JOIN title_genres x ON x.genre_id = g.genre_id
                      WHERE g.title_id = t.id AND x.title_id = ${titleId}) DESC, t.popularity DESC, t.id`,
        limit,
        maxMaturityLevel,
      );
    },
    async newReleases({ limit, maxMaturityLevel }) {
      return candidates(sql``, sql`ORDER BY t.added_at DESC, t.id`, limit, maxMaturityLevel);
    },
    async popularInLanguage({ language, limit, maxMaturityLevel }) {
      const made = sql`coalesce((SELECT split_part(o.language, '-', 1) FROM title_original_names o WHERE o.title_id = t.id), 'en') = ${language}`;
      // A series is dubbed when its episodes are; a movie carries its own tracks.
      const dubbed = sql`EXISTS (SELECT 1 FROM audio_tracks a JOIN titles p ON p.id = a.title_id
                                 WHERE (p.id = t.id OR p.series_id = t.id) AND split_part(a.language, '-', 1) = ${language})`;
      return candidates(
        sql`AND (${made} OR ${dubbed})`,
        sql`ORDER BY (${made}) DESC, t.popularity DESC, t.id`,
        limit,
        maxMaturityLevel,
      );
    },
    async topGenres({ limit, maxMaturityLevel }) {
      const rows = await sql<{ genre_id: string }[]>`
        SELECT g.genre_id FROM title_genres g
        JOIN titles t ON t.id = g.title_id JOIN maturity_ratings r ON r.code = t.maturity_rating
        WHERE t.type <> 'episode' AND r.level <= ${maxMaturityLevel}
        GROUP BY g.genre_id ORDER BY sum(t.popularity) DESC, count(*) DESC, g.genre_id LIMIT ${limit}`;
      return rows.map((r) => r.genre_id);
    },
    async allGenres() {
      const rows = await sql<{ id: string; name: string }[]>`SELECT id, name FROM genres`;
      return new Map(rows.map((r) => [r.id, r.name]));
    },
    async profileSignals(profileId) {
      const [row] = await sql<
        {
          language: string | null;
          favourite_genres: string[] | null;
          scores: [string, number][];
          finished: string[];
          last_completed: string | null;
        }[]
      >`
        SELECT p.language, p.favourite_genres,
          (SELECT coalesce(json_agg(json_build_array(s.genre_id, s.score)), '[]'::json)
             FROM profile_genre_preferences s WHERE s.profile_id = ${profileId}) AS scores,
          (SELECT coalesce(array_agg(f.id::text), '{}') FROM (${finishedQuery(profileId)}) f) AS finished,
          (SELECT coalesce(t.series_id, t.id)::text FROM completion_state c JOIN titles t ON t.id = c.title_id
             WHERE c.profile_id = ${profileId} AND c.completions > 0
             ORDER BY c.last_event_time DESC LIMIT 1) AS last_completed
        FROM (SELECT 1) one LEFT JOIN profiles p ON p.id = ${profileId}`;
      return {
        language: row?.language ?? null,
        favouriteGenres: row?.favourite_genres ?? [],
        genreScores: new Map((row?.scores ?? []).map(([g, score]) => [g, Number(score)])),
        finished: new Set(row?.finished ?? []),
        lastCompleted: row?.last_completed ?? null,
      };
    },
    async setMaturityRating(titleId, rating) {
      const rows = await sql`
        UPDATE titles SET maturity_rating = ${rating}
        WHERE id = ${titleId} AND EXISTS (SELECT 1 FROM maturity_ratings WHERE code = ${rating})
        RETURNING id`;
      return rows.length > 0;
    },
    async finishedItems(profileId) {
      const rows = await sql<{ id: string }[]>`${finishedQuery(profileId)}`;
      return new Set(rows.map((r) => r.id));
    },
    async lastCompleted(profileId) {
      const [row] = await sql<{ id: string }[]>`
        SELECT coalesce(t.series_id, t.id) AS id FROM completion_state c JOIN titles t ON t.id = c.title_id
        WHERE c.profile_id = ${profileId} AND c.completions > 0
        ORDER BY c.last_event_time DESC LIMIT 1`;
      return row?.id ?? null;
    },
    async posterVariants(titleIds) {
      if (titleIds.length === 0) return new Map();
      const rows = await sql<{ title_id: string; variant: string; url: string }[]>`
        SELECT title_id, variant, url FROM artwork
        WHERE title_id = ANY(${[...new Set(titleIds)]}::uuid[]) AND kind = 'poster' AND variant IS NOT NULL`;
      const out = new Map<string, Map<string, string>>();
      for (const r of rows) {
        const m = out.get(r.title_id) ?? new Map<string, string>();
        m.set(r.variant, r.url);
        out.set(r.title_id, m);
      }
      return out;
    },
    async genreNames(ids) {
      if (ids.length === 0) return new Map();
      const rows = await sql<{ id: string; name: string }[]>`SELECT id, name FROM genres WHERE id = ANY(${[...ids]})`;
      return new Map(rows.map((r) => [r.id, r.name]));
    },
    async recordViewer(itemId, at, profileId) {
      await sql`
        INSERT INTO title_viewers (item_id, day, profile_id) VALUES (${itemId}, ${at}::date, ${profileId})
        ON CONFLICT DO NOTHING`;
    },
  };
}

/**
 * Title search in PostgreSQL (postgres.js; the same SQL runs on PGlite): the `title_search`
 * documents of migrations/postgres/0008_search.sql, matched by trigrams (typos, prefixes, any
 * script PostgreSQL's character classes know), by whole-word prefixes (full-text), and by plain
 * substring for what neither indexes. Ranked by how well the best field matches, then popularity.
 */
import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import { MAX_SEARCH_RESULTS, normaliseSearchQuery, searchWords, type SearchHit } from '../../../core/search.ts';
import { playableOf, preparingOf } from './postgres-catalog.ts';
import type { SearchStore } from './types.ts';

/**
 * Thresholds of the trigram operators, set for each search's transaction: `%>` (word similarity:
 * typos in a word, a word still being typed) on the title, `%` (similarity of the whole string)
 * on the title, a person or a topic, `%>>` (strict word similarity: whole words) on the episode
 * names. High enough that an index hands over few rows on the full catalog.
 */
const TRGM_SETTINGS = {
  'pg_trgm.word_similarity_threshold': '0.5',
  'pg_trgm.similarity_threshold': '0.45',
  'pg_trgm.strict_word_similarity_threshold': '0.6',
} as const;
/**
 * Most candidates each kind of match hands to ranking, the most popular first (title_search is
 * stored in order of popularity): ranking reads a few hundred rows whatever the query matches.
 */
const CANDIDATES = {
  titles: 80,
  prefix: 20,
  words: 60,
  episodeNames: 5,
  perEpisodeName: 10,
  people: 3,
  perPerson: 40,
  topics: 2,
  perTopic: 60,
};
/** Shortest query (in characters) matched against episode names. */
const MIN_EPISODE_QUERY_CHARS = 3;
/** Words of a query that take part in the match; a longer query is rarely more than noise. */
const MAX_QUERY_WORDS = 8;
/**
 * The server stops a search that runs longer than this (SQLSTATE 57014): no query string may hold
 * a connection for the pool-wide statement timeout, whatever a client or a fuzzer sends.
 */
export const SEARCH_STATEMENT_TIMEOUT_MS = 2_000;

interface HitRow {
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
  episode_id: string | null;
  episode_season: number | null;
  episode_number: number | null;
  episode_name: string | null;
}

const toHit = (r: HitRow): SearchHit => ({
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
  matchedEpisode:
    r.episode_id && r.episode_season !== null && r.episode_number !== null && r.episode_name !== null
      ? { id: r.episode_id, seasonNumber: r.episode_season, episodeNumber: r.episode_number, name: r.episode_name }
      : null,
});

/** Binds a cursor to its query and maturity level, so a cursor is never read against another list. */
function fingerprint(q: string, maxMaturityLevel: number): string {
  return createHash('sha256').update(`${maxMaturityLevel}\u0000${q}`).digest('base64url').slice(0, 12);
}

/** Search cursor: how many hits came before, and whose list it is. */
function encodeSearchCursor(offset: number, print: string): string {
  return Buffer.from(`${offset}|${print}`).toString('base64url');
}

function decodeSearchCursor(cursor: string, print: string): number | null {
  const [offset, owner] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const n = Number(offset);
  if (owner !== print || !Number.isSafeInteger(n) || n <= 0 || n >= MAX_SEARCH_RESULTS) return null;
  return n;
}

const BACKSLASH = '\\';
/**
 * The lexeme `l` quoted for to_tsquery (backslashes escaped, quotes doubled): folding can turn a
 * letter into a quote or a colon (unaccent: "ʼ" → "'", "ː" → ":"), so no word is trusted raw.
 */
const quotedLexeme = (sql: postgres.Sql) =>
  sql`('''' || replace(replace(l, ${BACKSLASH}, ${BACKSLASH + BACKSLASH}), '''', '''''') || '''')`;
export function postgresSearchStore(sql: postgres.Sql): SearchStore {
  return {
    async search({ q, limit, cursor, maxMaturityLevel }) {
      const folded = normaliseSearchQuery(q);
      const print = fingerprint(folded, maxMaturityLevel);
      const offset = cursor === undefined ? 0 : decodeSearchCursor(cursor, print);
      if (offset === null) throw new RangeError('invalid search cursor');
      const words = searchWords(folded).slice(0, MAX_QUERY_WORDS);
      const take = Math.min(limit, MAX_SEARCH_RESULTS - offset);
      const rows = await sql.begin(async (tx) => {
        // LOCAL settings: this transaction's thresholds and time limit, and the prepared statement's
        // one generic plan: planning this statement costs as much as running it, and with every
        // match read through its index the plan does not depend on the query. A query without
        // trigrams (punctuation; non-Latin text where LC_CTYPE is C) skips the trigram matches,
        // which would otherwise read a whole index (a one-time test before each scan).
        const settings = {
          ...TRGM_SETTINGS,
          statement_timeout: String(SEARCH_STATEMENT_TIMEOUT_MS),
          plan_cache_mode: 'force_generic_plan',
          // Under a LIMIT the planner would rather read title_search in order until enough rows
          // pass, which for a rare query is the whole catalog: every match here has its index.
          enable_seqscan: 'off',
        };
        const [, found] = await Promise.all([
          tx`SELECT set_config(k, v, true) FROM unnest(${Object.keys(settings)}::text[], ${Object.values(settings)}::text[]) AS s(k, v)`,
          tx<HitRow[]>`
            WITH folded AS MATERIALIZED (
              SELECT search_fold(${folded}) AS q,
                     -- The query's words as the documents' full-text index split them.
                     (tsvector_to_array(to_tsvector('simple', search_fold(${folded}))))[1:${MAX_QUERY_WORDS}] AS lexemes
            ),
            query AS MATERIALIZED (
              SELECT f.q,
                     ARRAY(SELECT search_fold(w) FROM unnest(${words}::text[]) AS w) AS words,
                     to_tsquery('simple', coalesce((SELECT string_agg(${quotedLexeme(sql)} || ':*', ' & ') FROM unnest(f.lexemes) AS l), '')) AS tsq,
                     to_tsquery('simple', coalesce((SELECT string_agg(${quotedLexeme(sql)} || ':*ABC', ' & ') FROM unnest(f.lexemes) AS l), '')) AS own_tsq,
                     to_tsquery('simple', coalesce((SELECT string_agg(${quotedLexeme(sql)} || ':*A', ' & ') FROM unnest(f.lexemes) AS l), '')) AS title_tsq
              FROM folded f
            ),
            -- Each kind of match through its own index, a bounded number of rows each.
            by_title AS (
              SELECT s.title_id FROM title_search s
              WHERE cardinality(show_trgm(search_fold(${folded}))) > 0
                AND (s.name %> search_fold(${folded}) OR s.name % search_fold(${folded})
                     OR s.original_name %> search_fold(${folded}))
                AND s.maturity_level <= ${maxMaturityLevel}
              LIMIT ${CANDIDATES.titles}
            ),
            -- The title as typed so far, letter for letter: byte order ("C") keeps every name that
            -- starts with the query in one range of the index.
            by_prefix AS (
              SELECT s.title_id FROM title_search s
              WHERE (s.name COLLATE "C") >= (search_fold(${folded}) COLLATE "C")
                AND (s.name COLLATE "C") < ((search_fold(${folded}) || chr(1114111)) COLLATE "C")
                AND s.maturity_level <= ${maxMaturityLevel}
              LIMIT ${CANDIDATES.prefix}
            ),
            by_words AS (
              SELECT s.title_id FROM title_search s
              WHERE s.terms @@ (SELECT tsq FROM query)
                AND s.maturity_level <= ${maxMaturityLevel}
              LIMIT ${CANDIDATES.words}
            ),
            -- The best-matching distinct episode names (search_episodes), each with its series.
            episodes AS (
              SELECT e.title_ids, e.maturity_levels, strict_word_similarity(query.q, e.name) AS score
              FROM search_episodes e, query
              -- Nearest first through the GiST index ("the" is a whole word of nearly every name). Not
              -- for one or two letters: nothing is that near, and the scan would read every name.
              WHERE cardinality(show_trgm(search_fold(${folded}))) > 0 AND length(search_fold(${folded})) >= ${MIN_EPISODE_QUERY_CHARS}
                AND e.name %>> search_fold(${folded})
              ORDER BY e.name <->>> search_fold(${folded})
              LIMIT ${CANDIDATES.episodeNames}
            ),
            people AS (
              SELECT p.title_ids, p.maturity_levels,
                     greatest(similarity(query.q, p.person), word_similarity(query.q, p.person)) AS score
              FROM search_people p, query
              WHERE cardinality(show_trgm(search_fold(${folded}))) > 0 AND (p.person % search_fold(${folded}) OR p.person %> search_fold(${folded}))
              ORDER BY score DESC, p.person
              LIMIT ${CANDIDATES.people}
            ),
            topics AS (
              SELECT t.title_ids, t.maturity_levels,
                     greatest(similarity(query.q, t.topic), word_similarity(query.q, t.topic)) AS score
              FROM search_topics t, query
              WHERE cardinality(show_trgm(search_fold(${folded}))) > 0 AND (t.topic % search_fold(${folded}) OR t.topic %> search_fold(${folded}))
              ORDER BY score DESC, t.topic
              LIMIT ${CANDIDATES.topics}
            ),
            candidates AS (
              SELECT x.title_id, max(x.person) AS person, max(x.topic) AS topic, max(x.episode) AS episode
              FROM (
                SELECT title_id, 0::real AS person, 0::real AS topic, 0::real AS episode FROM by_title
                UNION ALL SELECT title_id, 0, 0, 0 FROM by_prefix
                UNION ALL SELECT title_id, 0, 0, 0 FROM by_words
                UNION ALL
                SELECT u.id, p.score, 0, 0 FROM people p
                CROSS JOIN LATERAL (
                  SELECT id FROM unnest(p.title_ids, p.maturity_levels) WITH ORDINALITY AS u(id, level, n)
                  WHERE level <= ${maxMaturityLevel} ORDER BY n LIMIT ${CANDIDATES.perPerson}
                ) u
                UNION ALL
                SELECT u.id, 0, 0, e.score FROM episodes e
                CROSS JOIN LATERAL (
                  SELECT id FROM unnest(e.title_ids, e.maturity_levels) WITH ORDINALITY AS u(id, level, n)
                  WHERE level <= ${maxMaturityLevel} ORDER BY n LIMIT ${CANDIDATES.perEpisodeName}
                ) u
                UNION ALL
                SELECT u.id, 0, t.score, 0 FROM topics t
                CROSS JOIN LATERAL (
                  SELECT id FROM unnest(t.title_ids, t.maturity_levels) WITH ORDINALITY AS u(id, level, n)
                  WHERE level <= ${maxMaturityLevel} ORDER BY n LIMIT ${CANDIDATES.perTopic}
                ) u
              ) x
              GROUP BY x.title_id
            ),
            matched AS MATERIALIZED (
              SELECT c.title_id, query.q,
                     greatest(word_similarity(query.q, s.name), wordwise.name) + 0.3 * similarity(query.q, s.name) AS name,
                     CASE WHEN s.original_name = '' THEN 0
                          ELSE word_similarity(query.q, s.original_name) + 0.3 * similarity(query.q, s.original_name) END AS original_name,
                     -- Every word, as typed so far, in the title or original title: what a script
                     -- without trigrams (non-Latin text on a server whose LC_CTYPE is C) matches by.
                     CASE WHEN s.terms @@ query.title_tsq THEN 0.9 ELSE 0 END AS title_words,
                     CASE WHEN s.terms @@ query.own_tsq THEN 0.75 ELSE 0 END AS all_words,
                     0.85 * c.person AS person,
                     0.7 * c.topic AS topic,
                     0.85 * c.episode AS episode
              FROM candidates c
              JOIN title_search s ON s.title_id = c.title_id
              CROSS JOIN query
              CROSS JOIN LATERAL (
                SELECT coalesce(avg(word_similarity(w, s.name)), 0) AS name FROM unnest(query.words) AS w
              ) wordwise
            ),
            scored AS (
              SELECT m.title_id, m.q,
                     greatest(m.name, m.original_name, m.title_words, m.all_words, m.person, m.topic, m.episode) AS score,
                     m.episode > greatest(m.name, m.original_name, m.title_words, m.all_words, m.person, m.topic) AS by_episode
              FROM matched m
            ),
            page AS (
              SELECT s.title_id, s.q, s.by_episode, s.score, t.popularity
              FROM scored s
              JOIN titles t ON t.id = s.title_id
              JOIN maturity_ratings r ON r.code = t.maturity_rating
              WHERE r.level <= ${maxMaturityLevel}
              ORDER BY round(s.score::numeric, 2) DESC, t.popularity DESC, t.id
              LIMIT ${take + 1} OFFSET ${offset}
            )
            SELECT t.id, t.type, t.name, t.synopsis, t.release_year, t.maturity_rating, r.level AS maturity_level,
                   t.duration_seconds,
                   (SELECT array_agg(g.genre_id ORDER BY g.genre_id) FROM title_genres g WHERE g.title_id = t.id) AS genres,
                   (SELECT a.url FROM artwork a WHERE a.title_id = t.id AND a.kind = 'poster' AND a.variant IS NULL LIMIT 1) AS poster_url,
                   (SELECT a.url FROM artwork a WHERE a.title_id = t.id AND a.kind = 'backdrop' AND a.variant IS NULL LIMIT 1) AS backdrop_url,
                   ${playableOf(sql)} AS playable, ${preparingOf(sql)} AS preparing,
                   ep.id AS episode_id, ep.season_number AS episode_season, ep.episode_number, ep.name AS episode_name
            FROM page p
            JOIN titles t ON t.id = p.title_id
            JOIN maturity_ratings r ON r.code = t.maturity_rating
            LEFT JOIN LATERAL (
              SELECT e.id, e.season_number, e.episode_number, e.name FROM titles e
              WHERE p.by_episode AND e.type = 'episode' AND e.series_id = t.id
              ORDER BY word_similarity(p.q, search_fold(e.name)) DESC, e.season_number, e.episode_number
              LIMIT 1
            ) ep ON true
            ORDER BY round(p.score::numeric, 2) DESC, p.popularity DESC, t.id`,
        ]);
        return found;
      });
      const page = rows.slice(0, take);
      const next = offset + page.length;
      return {
        items: page.map(toHit),
        nextCursor: rows.length > take && next < MAX_SEARCH_RESULTS ? encodeSearchCursor(next, print) : null,
      };
    },
  };
}

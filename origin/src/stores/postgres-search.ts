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
 * Lowest word similarity (pg_trgm) for the trigram index to offer a candidate: low enough for
 * two typos in a word, high enough that the candidates stay few on the full catalog.
 */
const WORD_SIMILARITY_THRESHOLD = 0.3;
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

/** `LIKE` pattern for a substring, with the pattern characters taken literally. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

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
        // The trigram operators read their threshold from a setting; LOCAL keeps it to this query.
        const [, , found] = await Promise.all([
          tx`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY_THRESHOLD)}, true)`,
          tx`SELECT set_config('statement_timeout', ${String(SEARCH_STATEMENT_TIMEOUT_MS)}, true)`,
          tx<HitRow[]>`
            WITH query AS (
              SELECT search_fold(${folded}) AS q,
                     ARRAY(SELECT search_fold(w) FROM unnest(${words}::text[]) AS w) AS words,
                     (SELECT to_tsquery('simple', string_agg(quote_literal(search_fold(w)) || ':*', ' & '))
                        FROM unnest(${words}::text[]) AS w) AS tsq
            ),
            candidates AS (
              SELECT s.*, query.q, query.words, query.tsq
              FROM title_search s, query
              WHERE query.q <% s.document
                 OR query.q <% s.episodes
                 OR s.terms @@ query.tsq
                 OR s.document LIKE ${containsPattern(folded)}
            ),
            scored AS (
              SELECT c.title_id, c.q,
                     greatest(
                       greatest(word_similarity(c.q, c.name), wordwise.name) + 0.3 * similarity(c.q, c.name),
                       word_similarity(c.q, c.original_name) + 0.3 * similarity(c.q, c.original_name),
                       0.85 * person.score,
                       0.7 * greatest(word_similarity(c.q, c.topics), wordwise.topics),
                       0.75 * wordwise.document,
                       0.6 * word_similarity(c.q, c.episodes),
                       CASE WHEN strpos(c.document, c.q) > 0 THEN 0.6 ELSE 0 END
                     ) + 0.05 * coalesce(ts_rank(c.terms, c.tsq), 0) AS score,
                     0.6 * word_similarity(c.q, c.episodes) > greatest(
                       greatest(word_similarity(c.q, c.name), wordwise.name),
                       word_similarity(c.q, c.original_name),
                       0.85 * person.score,
                       0.7 * greatest(word_similarity(c.q, c.topics), wordwise.topics),
                       0.75 * wordwise.document
                     ) AS by_episode
              FROM candidates c
              CROSS JOIN LATERAL (
                SELECT coalesce(avg(word_similarity(w, c.name)), 0) AS name,
                       coalesce(avg(word_similarity(w, c.topics)), 0) AS topics,
                       coalesce(avg(word_similarity(w, c.document)), 0) AS document
                FROM unnest(c.words) AS w
              ) wordwise
              -- One person's whole name: "jose dvorak" is José Dvořák, not José Núñez beside Ana Dvořák.
              CROSS JOIN LATERAL (
                SELECT coalesce(max(greatest(similarity(c.q, p), word_similarity(c.q, p))), 0) AS score
                FROM unnest(c.people_list) AS p
              ) person
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
              WHERE p.by_episode AND e.series_id = t.id
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

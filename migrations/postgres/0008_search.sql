-- Up Migration
-- Search: cast and crew, keywords and original titles beside each top-level title, and one search
-- document per movie or series that a trigram index (typos, prefixes) and a full-text index
-- (whole words) both read. pg_trgm and unaccent ship with the server's contrib package and with
-- PGlite (loaded in origin/src/db/embedded.ts), so the same SQL runs on both.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TABLE title_credits (
  title_id       uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  position       smallint NOT NULL CHECK (position > 0),
  person_name    text NOT NULL,
  role           text NOT NULL CHECK (role IN ('actor', 'director', 'creator', 'writer')),
  character_name text,
  PRIMARY KEY (title_id, position)
);

CREATE TABLE title_keywords (
  title_id uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  keyword  text NOT NULL,
  PRIMARY KEY (title_id, keyword)
);

CREATE TABLE title_original_names (
  title_id uuid PRIMARY KEY REFERENCES titles (id) ON DELETE CASCADE,
  language text NOT NULL,
  name     text NOT NULL
);

-- Lower case without accents: what queries and documents are compared in. unaccent() is only
-- STABLE (its dictionary could change); naming the dictionary makes this safe to call IMMUTABLE.
CREATE FUNCTION search_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

-- One row per movie or series. A materialized view: the seed refreshes it after writing titles,
-- and a title's maturity is read from `titles` at query time, so a rating change needs no refresh.
CREATE MATERIALIZED VIEW title_search AS
SELECT t.id AS title_id,
       search_fold(t.name) AS name,
       search_fold(coalesce(o.name, '')) AS original_name,
       search_fold(coalesce(c.people, '')) AS people,
       coalesce(c.people_list, '{}') AS people_list,
       search_fold(concat_ws(' ', g.genres, k.keywords)) AS topics,
       search_fold(coalesce(e.episodes, '')) AS episodes,
       search_fold(concat_ws(' ', t.name, o.name, c.people, g.genres, k.keywords)) AS document,
       setweight(to_tsvector('simple', search_fold(concat_ws(' ', t.name, o.name))), 'A')
         || setweight(to_tsvector('simple', search_fold(coalesce(c.people, ''))), 'B')
         || setweight(to_tsvector('simple', search_fold(concat_ws(' ', g.genres, k.keywords))), 'C')
         || setweight(to_tsvector('simple', search_fold(coalesce(e.episodes, ''))), 'D') AS terms
FROM titles t
LEFT JOIN title_original_names o ON o.title_id = t.id
LEFT JOIN LATERAL (
  SELECT string_agg(p.person_name, ' ' ORDER BY p.position) AS people,
         array_agg(search_fold(p.person_name) ORDER BY p.position) AS people_list
  FROM title_credits p WHERE p.title_id = t.id
) c ON true
LEFT JOIN LATERAL (
  SELECT string_agg(gn.name || ' ' || tg.genre_id, ' ' ORDER BY tg.genre_id) AS genres
  FROM title_genres tg JOIN genres gn ON gn.id = tg.genre_id WHERE tg.title_id = t.id
) g ON true
LEFT JOIN LATERAL (
  SELECT string_agg(kw.keyword, ' ' ORDER BY kw.keyword) AS keywords FROM title_keywords kw WHERE kw.title_id = t.id
) k ON true
LEFT JOIN LATERAL (
  SELECT string_agg(ep.name, ' ' ORDER BY ep.season_number, ep.episode_number) AS episodes
  FROM titles ep WHERE ep.series_id = t.id
) e ON true
WHERE t.type <> 'episode';

CREATE UNIQUE INDEX title_search_title ON title_search (title_id);
CREATE INDEX title_search_document_trgm ON title_search USING gin (document gin_trgm_ops);
CREATE INDEX title_search_episodes_trgm ON title_search USING gin (episodes gin_trgm_ops);
CREATE INDEX title_search_terms ON title_search USING gin (terms);

-- Down Migration
DROP MATERIALIZED VIEW title_search;
DROP FUNCTION search_fold(text);
DROP TABLE title_original_names;
DROP TABLE title_keywords;
DROP TABLE title_credits;

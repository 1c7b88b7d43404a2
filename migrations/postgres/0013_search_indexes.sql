-- Up Migration
-- Search that answers every query from indexes over a bounded number of rows (docs/api.md#search).
-- On the full catalog pg_trgm's word_similarity over a whole search document costs about 0.2 ms a
-- row, so a query matching thousands of documents ("the", a genre word) could not be ranked within
-- the latency goal. Instead each kind of match reads a short field or a small table of its own
-- through an index, and takes at most a fixed number of rows, the most popular first:
-- - title_search is stored in order of popularity, so that a bitmap scan under a LIMIT stops at the
--   most popular matches (the order of the last refresh); its title and original title get trigram
--   indexes of their own;
-- - search_people: one row per person, with their titles (most popular first) and those titles'
--   maturity levels, so that a profile's first titles are picked without reading each;
-- - search_topics: one row per genre name, genre id or keyword, with its titles likewise;
-- - the maturity level kept here only narrows the candidates: the search filters on the title's
--   rating at query time, so a title rated up is hidden at once, one rated down shows from the
--   next refresh;
-- - episodes are read through titles_episode_position (0008 looked them up without the index's
--   predicate: one scan of `titles` per series, minutes on the full catalog);
-- - search_fold lowers every script, not only ASCII: on a server whose LC_CTYPE is C, lower() leaves
--   Greek and Cyrillic capitals as they are. The "C.utf8" collation (libc: Debian's server, PGlite)
--   knows them; where it is missing the fold stays as it was.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'C.utf8') THEN
    EXECUTE $f$
      CREATE OR REPLACE FUNCTION search_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $b$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1) COLLATE "C.utf8") $b$
    $f$;
  END IF;
END
$$;

DROP MATERIALIZED VIEW title_search;

CREATE MATERIALIZED VIEW title_search AS
SELECT t.id AS title_id,
       t.popularity,
       r.level AS maturity_level,
       search_fold(t.name) AS name,
       search_fold(coalesce(o.name, '')) AS original_name,
       search_fold(concat_ws(' ', g.genres, k.keywords)) AS topics,
       search_fold(coalesce(e.episodes, '')) AS episodes,
       setweight(to_tsvector('simple', search_fold(concat_ws(' ', t.name, o.name))), 'A')
         || setweight(to_tsvector('simple', search_fold(coalesce(c.people, ''))), 'B')
         || setweight(to_tsvector('simple', search_fold(concat_ws(' ', g.genres, k.keywords))), 'C')
         || setweight(to_tsvector('simple', search_fold(coalesce(e.episodes, ''))), 'D') AS terms
FROM titles t
JOIN maturity_ratings r ON r.code = t.maturity_rating
LEFT JOIN title_original_names o ON o.title_id = t.id
LEFT JOIN LATERAL (
  SELECT string_agg(p.person_name, ' ' ORDER BY p.position) AS people FROM title_credits p WHERE p.title_id = t.id
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
  FROM titles ep WHERE ep.type = 'episode' AND ep.series_id = t.id
) e ON true
WHERE t.type <> 'episode'
ORDER BY t.popularity DESC, t.id;

CREATE UNIQUE INDEX title_search_title ON title_search (title_id);
CREATE INDEX title_search_name_trgm ON title_search USING gin (name gin_trgm_ops);
CREATE INDEX title_search_original_name_trgm ON title_search USING gin (original_name gin_trgm_ops);
CREATE INDEX title_search_episodes_trgm ON title_search USING gin (episodes gin_trgm_ops);
CREATE INDEX title_search_terms ON title_search USING gin (terms);

CREATE MATERIALIZED VIEW search_people AS
SELECT person,
       array_agg(title_id ORDER BY popularity DESC, title_id) AS title_ids,
       array_agg(maturity_level ORDER BY popularity DESC, title_id) AS maturity_levels
FROM (
  SELECT DISTINCT search_fold(p.person_name) AS person, s.title_id, s.popularity, s.maturity_level
  FROM title_credits p JOIN title_search s ON s.title_id = p.title_id
) x
GROUP BY person;
CREATE UNIQUE INDEX search_people_person ON search_people (person);
CREATE INDEX search_people_person_trgm ON search_people USING gin (person gin_trgm_ops);

CREATE MATERIALIZED VIEW search_topics AS
SELECT topic,
       array_agg(x.title_id ORDER BY s.popularity DESC, x.title_id) AS title_ids,
       array_agg(s.maturity_level ORDER BY s.popularity DESC, x.title_id) AS maturity_levels
FROM (
  SELECT search_fold(gn.name) AS topic, tg.title_id FROM title_genres tg JOIN genres gn ON gn.id = tg.genre_id
  UNION
  SELECT search_fold(tg.genre_id), tg.title_id FROM title_genres tg
  UNION
  SELECT search_fold(kw.keyword), kw.title_id FROM title_keywords kw
) x
JOIN title_search s ON s.title_id = x.title_id
GROUP BY topic;
CREATE UNIQUE INDEX search_topics_topic ON search_topics (topic);
CREATE INDEX search_topics_topic_trgm ON search_topics USING gin (topic gin_trgm_ops);

-- Down Migration
DROP MATERIALIZED VIEW search_topics;
DROP MATERIALIZED VIEW search_people;
DROP MATERIALIZED VIEW title_search;
CREATE OR REPLACE FUNCTION search_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
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

-- Up Migration
-- Episode names matched one name at a time, and titles by prefix (docs/api.md#search). 0013 compared a query with the
-- whole of a series' episode names joined into one string (about 240 characters): every row its
-- trigram index handed over cost pg_trgm's strict word similarity over that string, about 0.1 ms,
-- and a common word ("the", "love") made the index hand over thousands, 50–400 ms of a search on the
-- full catalog. search_episodes keeps one row per distinct folded episode name (about 4,000 on the
-- full catalog, whose 64,000 episodes reuse names) with its series, the most popular first, like
-- search_people. Its GiST trigram index returns the nearest names first (`<->>>`: one minus the
-- strict word similarity), so a search reads the few best names whatever the query.
DROP INDEX title_search_episodes_trgm;

CREATE MATERIALIZED VIEW search_episodes AS
SELECT name,
       array_agg(title_id ORDER BY popularity DESC, title_id) AS title_ids,
       array_agg(maturity_level ORDER BY popularity DESC, title_id) AS maturity_levels
FROM (
  SELECT DISTINCT search_fold(e.name) AS name, s.title_id, s.popularity, s.maturity_level
  FROM titles e JOIN title_search s ON s.title_id = e.series_id
  WHERE e.type = 'episode'
) x
GROUP BY name;
CREATE UNIQUE INDEX search_episodes_name ON search_episodes (name);
CREATE INDEX search_episodes_name_trgm ON search_episodes USING gist (name gist_trgm_ops);

-- The title as typed so far, letter for letter (a name that starts with the query): one range of
-- this index in byte order, whatever the database's collation. The trigram match hands ranking the
-- most popular of its matches only, and an exact but little-watched title could be left out.
CREATE INDEX title_search_name_prefix ON title_search ((name COLLATE "C"));

-- Down Migration
DROP INDEX title_search_name_prefix;
DROP MATERIALIZED VIEW search_episodes;
CREATE INDEX title_search_episodes_trgm ON title_search USING gin (episodes gin_trgm_ops);

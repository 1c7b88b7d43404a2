-- Up Migration
-- Genres a profile chose for itself (when it was made or later): the homepage gives each a row
-- from the first visit on, before any viewing history exists. Ids are checked against `genres`
-- by the API (an array cannot carry a foreign key).
ALTER TABLE profiles ADD COLUMN favourite_genres text[] NOT NULL DEFAULT '{}'
  CHECK (cardinality(favourite_genres) <= 10);

-- Down Migration
ALTER TABLE profiles DROP COLUMN favourite_genres;

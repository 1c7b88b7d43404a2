-- Up Migration
-- The artwork renderer version (core/artwork.ts ARTWORK_RENDERER_VERSION) the URLs stored in
-- `artwork` were derived with: one row. When the code's version is newer, the migration step
-- re-derives every URL and moves this on (origin/src/db/artwork-refresh.ts). A database from
-- before this table may hold any version's URLs, so it starts at 0: the first run re-derives them.
CREATE TABLE artwork_renderer (
  one     boolean PRIMARY KEY DEFAULT true CHECK (one),
  version integer NOT NULL CHECK (version >= 0)
);
INSERT INTO artwork_renderer (version) VALUES (0);

-- Down Migration
DROP TABLE artwork_renderer;

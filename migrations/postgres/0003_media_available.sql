-- Up Migration
-- Set by scripts/media.ts once a title's renditions are in the object store: the catalog's
-- `playable=true` filter and the player only offer titles that can really be streamed.
ALTER TABLE titles ADD COLUMN media_available boolean NOT NULL DEFAULT false;
CREATE INDEX titles_media_available ON titles (added_at DESC) WHERE media_available AND type <> 'episode';

-- Down Migration
DROP INDEX titles_media_available;
ALTER TABLE titles DROP COLUMN media_available;

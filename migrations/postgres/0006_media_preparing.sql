-- Up Migration
-- Until when a media run (scripts/media) claims to be preparing a title's media. The run sets it
-- for the titles it will work on, renews it while it works and clears it when a title's media is
-- in the object store; a run that dies stops claiming its titles once the lease runs out. The
-- catalog answers `preparing` while it is in the future; `media_available` still says playable.
ALTER TABLE titles ADD COLUMN media_preparing_until timestamptz;
CREATE INDEX titles_media_preparing ON titles (media_preparing_until) WHERE media_preparing_until IS NOT NULL;

-- Down Migration
DROP INDEX titles_media_preparing;
ALTER TABLE titles DROP COLUMN media_preparing_until;

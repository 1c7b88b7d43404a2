-- Up Migration
ALTER TABLE embedded.viewing_progress ADD COLUMN tie integer NOT NULL DEFAULT 0;

CREATE TABLE embedded.continue_watching_hidden (
  profile_id uuid NOT NULL,
  item_id    uuid NOT NULL,
  hidden_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (profile_id, item_id)
);

-- Down Migration
DROP TABLE embedded.continue_watching_hidden;
ALTER TABLE embedded.viewing_progress DROP COLUMN tie;

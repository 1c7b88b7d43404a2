-- Up Migration

-- What the completion consumer learned from viewing events: per-genre affinity of a profile.
CREATE TABLE profile_genre_preferences (
  -- No foreign key to profiles: events may outlive a deleted profile, and a consumer must not stall on them.
  profile_id uuid NOT NULL,
  genre_id   text NOT NULL REFERENCES genres (id),
  score      real NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (profile_id, genre_id)
);

-- Per (profile, title): is the title currently completed, as of which event. Makes the consumer
-- idempotent: a redelivered completion finds `completed` already true and changes nothing; a
-- rewatch (a newer, uncompleted event) resets it so the next completion counts again.
CREATE TABLE completion_state (
  profile_id      uuid NOT NULL,
  title_id        uuid NOT NULL,
  completed       boolean NOT NULL,
  last_event_time bigint NOT NULL,
  completions     integer NOT NULL DEFAULT 0,
  PRIMARY KEY (profile_id, title_id)
);

-- Down Migration
DROP TABLE completion_state;
DROP TABLE profile_genre_preferences;

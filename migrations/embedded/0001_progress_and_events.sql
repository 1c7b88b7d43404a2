-- Up Migration
-- Stand-ins for Cassandra and Kafka in the embedded default (one PGlite database for every store).
-- Same shapes and rules as migrations/cassandra: one row per (profile, title), last write wins by
-- write time, rows expire (expires_at is checked on read and purged lazily).
CREATE SCHEMA IF NOT EXISTS embedded;

CREATE TABLE embedded.viewing_progress (
  profile_id       uuid NOT NULL,
  title_id         uuid NOT NULL,
  series_id        uuid,
  content_type     text NOT NULL,
  position_seconds double precision NOT NULL,
  duration_seconds double precision NOT NULL,
  completed        boolean NOT NULL,
  device_id        text NOT NULL,
  last_watched_at  timestamptz NOT NULL,
  write_time_us    bigint NOT NULL,
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (profile_id, title_id)
);

CREATE TABLE embedded.watch_history (
  profile_id   uuid NOT NULL,
  watched_at   timestamptz NOT NULL,
  title_id     uuid NOT NULL,
  series_id    uuid,
  content_type text NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (profile_id, watched_at, title_id)
);

-- An append-only log per topic with consumer-group offsets: what Kafka gives the origin.
CREATE TABLE embedded.events (
  "offset"     bigserial PRIMARY KEY,
  topic        text NOT NULL,
  key          text NOT NULL,
  event_id     text NOT NULL,
  payload      jsonb NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (topic, event_id)
);
CREATE INDEX events_by_topic ON embedded.events (topic, "offset");

CREATE TABLE embedded.consumer_offsets (
  group_id      text NOT NULL,
  topic         text NOT NULL,
  next_offset   bigint NOT NULL,
  PRIMARY KEY (group_id, topic)
);

-- Down Migration
DROP SCHEMA embedded CASCADE;

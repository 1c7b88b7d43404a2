-- Up Migration

-- Ratings map to a numeric level so "may this profile watch this title" is one comparison.
CREATE TABLE maturity_ratings (
  code        text PRIMARY KEY,
  level       smallint NOT NULL CHECK (level BETWEEN 0 AND 100),
  description text NOT NULL
);

CREATE TABLE genres (
  id   text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]+$'),
  name text NOT NULL UNIQUE
);

-- Movies, series and episodes share one id space: a "title id" names anything playable
-- (a movie or an episode) or browsable (a series).
CREATE TABLE titles (
  id               uuid PRIMARY KEY,
  type             text NOT NULL CHECK (type IN ('movie', 'series', 'episode')),
  name             text NOT NULL,
  synopsis         text NOT NULL DEFAULT '',
  release_year     smallint CHECK (release_year BETWEEN 1880 AND 2100),
  maturity_rating  text NOT NULL REFERENCES maturity_ratings (code),
  duration_seconds integer CHECK (duration_seconds > 0),
  series_id        uuid REFERENCES titles (id) ON DELETE CASCADE,
  season_number    smallint CHECK (season_number > 0),
  episode_number   smallint CHECK (episode_number > 0),
  popularity       real NOT NULL DEFAULT 0,
  added_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT titles_episode_shape CHECK (
    (type = 'episode') = (series_id IS NOT NULL AND season_number IS NOT NULL AND episode_number IS NOT NULL)
  ),
  CONSTRAINT titles_playable_has_duration CHECK ((type = 'series') = (duration_seconds IS NULL))
);
CREATE UNIQUE INDEX titles_episode_position ON titles (series_id, season_number, episode_number)
  WHERE type = 'episode';
CREATE INDEX titles_top_level ON titles (added_at DESC) WHERE type <> 'episode';

CREATE TABLE seasons (
  series_id     uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  season_number smallint NOT NULL CHECK (season_number > 0),
  name          text NOT NULL,
  PRIMARY KEY (series_id, season_number)
);
ALTER TABLE titles ADD CONSTRAINT titles_episode_season
  FOREIGN KEY (series_id, season_number) REFERENCES seasons (series_id, season_number) ON DELETE CASCADE
  DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE title_genres (
  title_id uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  genre_id text NOT NULL REFERENCES genres (id),
  PRIMARY KEY (title_id, genre_id)
);
CREATE INDEX title_genres_by_genre ON title_genres (genre_id, title_id);

CREATE TABLE artwork (
  id       uuid PRIMARY KEY,
  title_id uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  kind     text NOT NULL CHECK (kind IN ('poster', 'backdrop', 'logo', 'thumbnail')),
  -- Which audience a variant is cut for (a genre id), for artwork personalization; NULL = default.
  variant  text,
  url      text NOT NULL,
  width    integer NOT NULL CHECK (width > 0),
  height   integer NOT NULL CHECK (height > 0)
);
CREATE UNIQUE INDEX artwork_one_per_kind_variant ON artwork (title_id, kind, coalesce(variant, ''));

-- One row per video representation of a playable title (its encoding ladder).
CREATE TABLE encodings (
  id                       uuid PRIMARY KEY,
  title_id                 uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  codec                    text NOT NULL,  -- RFC 6381 codecs string, e.g. avc1.640028
  codec_family             text NOT NULL CHECK (codec_family IN ('avc1', 'hev1', 'hvc1', 'vp09', 'av01')),
  width                    integer NOT NULL CHECK (width > 0),
  height                   integer NOT NULL CHECK (height > 0),
  bandwidth                integer NOT NULL CHECK (bandwidth > 0),  -- bits per second
  frame_rate               text NOT NULL CHECK (frame_rate ~ '^[0-9]+(/[0-9]+)?$'),  -- DASH form, e.g. 30000/1001
  dynamic_range            text NOT NULL CHECK (dynamic_range IN ('SDR', 'HDR10', 'HLG', 'DV')),
  segment_duration_seconds numeric(6, 3) NOT NULL CHECK (segment_duration_seconds > 0),
  segment_count            integer NOT NULL CHECK (segment_count > 0),
  -- Object-store key prefix holding init.mp4 and seg-<n>.m4s for this representation.
  storage_prefix           text NOT NULL UNIQUE,
  UNIQUE (title_id, codec_family, height, dynamic_range)
);
CREATE INDEX encodings_by_title ON encodings (title_id, bandwidth DESC);

CREATE TABLE audio_tracks (
  id                       uuid PRIMARY KEY,
  title_id                 uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  language                 text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),  -- BCP 47
  label                    text NOT NULL,
  codec                    text NOT NULL,  -- e.g. mp4a.40.2, ec-3
  channel_layout           text NOT NULL CHECK (channel_layout IN ('1.0', '2.0', '5.1', '7.1')),
  channels                 smallint NOT NULL CHECK (channels > 0),
  bandwidth                integer NOT NULL CHECK (bandwidth > 0),
  sample_rate              integer NOT NULL DEFAULT 48000,
  role                     text NOT NULL DEFAULT 'main' CHECK (role IN ('main', 'dub', 'commentary', 'description')),
  is_default               boolean NOT NULL DEFAULT false,
  segment_duration_seconds numeric(6, 3) NOT NULL CHECK (segment_duration_seconds > 0),
  segment_count            integer NOT NULL CHECK (segment_count > 0),
  storage_prefix           text NOT NULL UNIQUE,
  UNIQUE (title_id, language, codec, channel_layout, role)
);
-- A player needs exactly one track to start with; "at most one" is what an index can hold.
CREATE UNIQUE INDEX audio_tracks_one_default ON audio_tracks (title_id) WHERE is_default;

CREATE TABLE subtitle_tracks (
  id          uuid PRIMARY KEY,
  title_id    uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  language    text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  label       text NOT NULL,
  kind        text NOT NULL DEFAULT 'subtitles' CHECK (kind IN ('subtitles', 'captions', 'forced')),
  format      text NOT NULL DEFAULT 'webvtt' CHECK (format IN ('webvtt')),
  storage_key text NOT NULL UNIQUE,
  UNIQUE (title_id, language, kind)
);

CREATE TABLE plans (
  id                text PRIMARY KEY,
  name              text NOT NULL,
  max_height        integer NOT NULL CHECK (max_height > 0),
  hdr               boolean NOT NULL,
  max_streams       smallint NOT NULL CHECK (max_streams > 0),
  price_cents       integer NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE accounts (
  id            uuid PRIMARY KEY,
  email         text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
  password_hash text NOT NULL,
  plan_id       text NOT NULL REFERENCES plans (id),
  country       text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email ON accounts (email);

CREATE TABLE profiles (
  id             uuid PRIMARY KEY,
  account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  language       text NOT NULL CHECK (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
  -- Highest maturity level this profile may watch (see maturity_ratings.level).
  maturity_level smallint NOT NULL,
  is_kids        boolean NOT NULL DEFAULT false,
  avatar         text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (account_id, name),
  -- Lets every profile lookup be scoped by its account: (account_id, id) is the only way in.
  UNIQUE (account_id, id)
);

-- Down Migration
DROP TABLE profiles;
DROP TABLE accounts;
DROP TABLE plans;
DROP TABLE subtitle_tracks;
DROP TABLE audio_tracks;
DROP TABLE encodings;
DROP TABLE artwork;
DROP TABLE title_genres;
ALTER TABLE titles DROP CONSTRAINT titles_episode_season;
DROP TABLE seasons;
DROP TABLE titles;
DROP TABLE genres;
DROP TABLE maturity_ratings;

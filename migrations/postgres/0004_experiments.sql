-- Up Migration
-- A/B experiments (see core/experiments): definitions and their state, the layers that make
-- experiments mutually exclusive, the global holdout, and who was exposed to which variant.

-- Experiments in one layer share one hash per profile and own disjoint ranges of its 10,000
-- buckets. Layers are created the first time an experiment names one.
CREATE TABLE experiment_layers (
  id         text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{1,63}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE experiments (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{1,63}$'),
  name          text NOT NULL,
  description   text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'completed')),
  layer         text REFERENCES experiment_layers (id),
  -- First bucket of the layer's range; the range is [layer_start, layer_start + allocation x 100).
  layer_start   integer NOT NULL DEFAULT 0 CHECK (layer_start BETWEEN 0 AND 9999),
  -- Percent of traffic, in whole basis points (0.01 %).
  allocation    numeric(5, 2) NOT NULL CHECK (allocation BETWEEN 0 AND 100),
  variants      jsonb NOT NULL,
  target_groups jsonb NOT NULL DEFAULT '[]',
  metrics       text[] NOT NULL DEFAULT '{}',
  start_date    timestamptz,
  end_date      timestamptz,
  -- Bumped whenever the allocation changes; exposures are recorded per version.
  version       integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (start_date IS NULL OR end_date IS NULL OR end_date > start_date),
  CHECK (layer IS NOT NULL OR layer_start = 0),
  CHECK (layer_start + allocation * 100 <= 10000)
);
CREATE INDEX experiments_live ON experiments (layer) WHERE status IN ('running', 'paused');

-- One row: settings that apply to every experiment.
CREATE TABLE experiment_settings (
  singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- Profiles whose holdout bucket falls below this share get no experiment at all.
  holdout_percentage numeric(5, 2) NOT NULL DEFAULT 0 CHECK (holdout_percentage BETWEEN 0 AND 100),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO experiment_settings DEFAULT VALUES;

-- Written by the exposures consumer with ON CONFLICT DO NOTHING: a redelivered or repeated
-- exposure inserts nothing, so each profile counts once per experiment version. No foreign key:
-- a consumer must not stall on an event it cannot place.
CREATE TABLE experiment_exposures (
  experiment_id text NOT NULL,
  version       integer NOT NULL,
  profile_id    uuid NOT NULL,
  variant_id    text NOT NULL,
  exposed_at    timestamptz NOT NULL,
  PRIMARY KEY (experiment_id, version, profile_id)
);

-- The homepage experiments (issue 5), running for everyone with even splits.
INSERT INTO experiments (id, name, description, status, allocation, variants, metrics) VALUES
  ('homepage_row_order', 'Homepage row order',
   'Which rows the homepage shows first: the default order, Continue Watching first, Trending Now first, or ordered by the profile''s tastes.',
   'running', 100,
   '[{"id":"control","name":"Default order","weight":25,"config":{}},
     {"id":"continue_first","name":"Continue Watching first","weight":25,"config":{}},
     {"id":"trending_first","name":"Trending Now first","weight":25,"config":{}},
     {"id":"personalized","name":"Personalized order","weight":25,"config":{}}]',
   '{completion_rate}'),
  ('artwork_personalization', 'Artwork personalization',
   'Which poster the homepage shows per title: the default one, one cut for the title''s genre, or one cut for the profile''s favourite genres.',
   'running', 100,
   '[{"id":"default","name":"Default artwork","weight":33.33,"config":{}},
     {"id":"genre_based","name":"Genre-based artwork","weight":33.33,"config":{}},
     {"id":"personalized","name":"Personalized artwork","weight":33.34,"config":{}}]',
   '{completion_rate}');

-- Down Migration
DROP TABLE experiment_exposures;
DROP TABLE experiment_settings;
DROP TABLE experiments;
DROP TABLE experiment_layers;

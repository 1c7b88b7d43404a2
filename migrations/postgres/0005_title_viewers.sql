-- Up Migration
-- Who watched what, per day, from viewing events: "Trending Now" counts distinct viewers of an
-- item (a movie, or a series for its episodes) over recent days. Keyed so that a redelivered
-- event inserts nothing (the consumer stays idempotent).
CREATE TABLE title_viewers (
  item_id    uuid NOT NULL,
  day        date NOT NULL,
  profile_id uuid NOT NULL,
  PRIMARY KEY (item_id, day, profile_id)
);
CREATE INDEX title_viewers_by_day ON title_viewers (day, item_id);

-- Down Migration
DROP TABLE title_viewers;

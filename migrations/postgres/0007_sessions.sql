-- Up Migration
-- One row per signed-in device (core/sessions.ts). Refresh tokens are stored only as SHA-256
-- hashes (hex): the current one, the one it replaced (answered again within the reuse grace), and
-- every older one in retired_refresh_tokens, so presenting any of those revokes the session.
CREATE TABLE sessions (
  id                    uuid PRIMARY KEY,
  account_id            uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  device_name           text,
  device_type           text,
  user_agent            text,
  country               text,
  created_at            timestamptz NOT NULL,
  last_used_at          timestamptz NOT NULL,
  idle_expires_at       timestamptz NOT NULL,
  absolute_expires_at   timestamptz NOT NULL,
  revoked_at            timestamptz,
  revoked_reason        text,
  refresh_hash          text NOT NULL UNIQUE,
  previous_refresh_hash text,
  rotated_at            timestamptz
);
CREATE INDEX sessions_by_account ON sessions (account_id, last_used_at DESC);
CREATE INDEX sessions_by_previous_hash ON sessions (previous_refresh_hash);

CREATE TABLE retired_refresh_tokens (
  refresh_hash text PRIMARY KEY,
  session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  retired_at   timestamptz NOT NULL
);

-- Down Migration
DROP TABLE retired_refresh_tokens;
DROP TABLE sessions;

-- Up Migration
-- Content keys of protected (CENC-encrypted) titles: one per title and key tier (audio, sd, hd,
-- uhd; core/protection/tiers.ts). `wrapped_key` is the 16-byte AES key wrapped with AES-KW under
-- the key-encryption key of configuration (CONTENT_KEY_KEK); the clear key is never stored. A
-- title with rows here is protected: its media in the object store is encrypted with these keys.
CREATE TABLE content_keys (
  kid uuid PRIMARY KEY,
  title_id uuid NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
  tier text NOT NULL CHECK (tier IN ('audio', 'sd', 'hd', 'uhd')),
  wrapped_key bytea NOT NULL CHECK (octet_length(wrapped_key) = 24),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (title_id, tier)
);

-- Down Migration
DROP TABLE content_keys;

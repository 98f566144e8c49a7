-- 0007 api keys: named, long-lived credentials for machine clients (n8n), one user's each.
--   key_hash: hex SHA-256 of the whole key. The key is shown once at creation and never stored;
--     it carries 256 random bits, so an unkeyed hash is enough (see gateway/src/auth/api_keys.hpp).
--   prefix: the key's first 12 characters ("wag_" + 8), kept so that the owner can tell keys apart.
--   sessions_limited: true when the key reaches only the sessions in api_key_sessions. Deleting a
--     session removes its rows there (cascade); the key stays limited, to fewer or to none.
CREATE TABLE api_keys (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL,
    key_hash CHAR(64) NOT NULL,
    prefix VARCHAR(12) NOT NULL,
    sessions_limited BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    CONSTRAINT api_keys_key_hash_unique UNIQUE (key_hash),
    CONSTRAINT api_key_hash_format CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT api_key_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT api_key_prefix_format CHECK (prefix ~ '^wag_.{8}$')
);
CREATE INDEX idx_api_keys_user ON api_keys(user_id, created_at DESC);

CREATE TABLE api_key_sessions (
    key_id UUID NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, session_id)
);
-- Deleting a session finds its rows here without a scan.
CREATE INDEX idx_api_key_sessions_session ON api_key_sessions(session_id);

-- 0007 api keys: named, long-lived credentials for machine clients (n8n), one user's each.
--   key_hash: hex SHA-256 of the whole key. The key is shown once at creation and never stored;
--     it carries 256 random bits, so an unkeyed hash is enough (see gateway/src/auth/api_keys.hpp).
--   prefix: the key's first 12 characters ("wag_" + 8), kept so that the owner can tell keys apart.
--   sessions_limited: 1 when the key reaches only the sessions in api_key_sessions. Deleting a
--     session removes its rows there (cascade); the key stays limited, to fewer or to none.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY CHECK (length(id) = 36),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    key_hash TEXT NOT NULL UNIQUE
        CHECK (length(key_hash) = 64 AND key_hash NOT GLOB '*[^0-9a-f]*'),
    prefix TEXT NOT NULL CHECK (length(prefix) = 12 AND prefix GLOB 'wag_*'),
    sessions_limited INTEGER NOT NULL DEFAULT 0 CHECK (sessions_limited IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_used_at TEXT
);
CREATE INDEX idx_api_keys_user ON api_keys(user_id, created_at DESC);

CREATE TABLE api_key_sessions (
    key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, session_id)
);
-- Deleting a session finds its rows here without a scan.
CREATE INDEX idx_api_key_sessions_session ON api_key_sessions(session_id);

-- 0002 auth: token ids revoked by logout. A revoked token gets 401 everywhere until it would have
-- expired anyway; rows past expires_at are pruned.
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY CHECK (length(jti) = 32 AND jti NOT GLOB '*[^0-9a-f]*'),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_revoked_tokens_expires_at ON revoked_tokens(expires_at);

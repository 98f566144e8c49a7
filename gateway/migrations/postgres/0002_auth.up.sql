-- 0002 auth: token ids revoked by logout. A revoked token gets 401 everywhere until it would have
-- expired anyway; rows past expires_at are pruned.
CREATE TABLE revoked_tokens (
    jti CHAR(32) PRIMARY KEY CHECK (jti ~ '^[0-9a-f]{32}$'),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_revoked_tokens_expires_at ON revoked_tokens(expires_at);

-- 0001 init: the tables of the gateway:
--   users.pin is never stored: pin_hash holds HMAC-SHA256(server key, PIN) in hex, unique;
--   timestamps are TIMESTAMPTZ (UTC);
--   analytics.message_type also allows sticker, location, contact, reaction, poll, unknown.
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    pin_hash CHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login TIMESTAMPTZ,
    CONSTRAINT users_pin_hash_unique UNIQUE (pin_hash),
    CONSTRAINT pin_hash_format CHECK (pin_hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX idx_users_created_at ON users(created_at DESC);

CREATE TABLE sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_name VARCHAR(100) NOT NULL,
    webhook_url TEXT NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'disconnected',
    qr_code TEXT,
    phone_number VARCHAR(20),
    device_info JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_connected TIMESTAMPTZ,
    uptime_seconds BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT unique_session_name UNIQUE (user_id, session_name),
    CONSTRAINT valid_status CHECK (status IN ('qr', 'connected', 'disconnected')),
    CONSTRAINT session_name_length CHECK (char_length(session_name) BETWEEN 1 AND 100),
    CONSTRAINT webhook_url_length CHECK (char_length(webhook_url) <= 2048)
);
CREATE INDEX idx_sessions_user_id ON sessions(user_id);
CREATE INDEX idx_sessions_status ON sessions(status);
CREATE INDEX idx_sessions_created_at ON sessions(created_at DESC);

CREATE TABLE analytics (
    id BIGSERIAL PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message_id VARCHAR(100),
    from_number VARCHAR(50),
    message_type VARCHAR(20),
    is_group BOOLEAN NOT NULL DEFAULT false,
    is_mention BOOLEAN NOT NULL DEFAULT false,
    webhook_sent BOOLEAN NOT NULL DEFAULT false,
    webhook_success BOOLEAN NOT NULL DEFAULT false,
    webhook_response_time_ms INTEGER,
    webhook_status_code INTEGER,
    error_message TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT valid_message_type CHECK (message_type IN ('text', 'image', 'document', 'audio',
        'video', 'sticker', 'location', 'contact', 'reaction', 'poll', 'unknown'))
);
CREATE INDEX idx_analytics_session_id ON analytics(session_id);
CREATE INDEX idx_analytics_created_at ON analytics(created_at DESC);
CREATE INDEX idx_analytics_session_created ON analytics(session_id, created_at DESC);
CREATE INDEX idx_analytics_webhook_sent ON analytics(webhook_sent, created_at);
CREATE INDEX idx_analytics_is_group ON analytics(is_group, created_at);

CREATE TABLE messages_log (
    id BIGSERIAL PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    direction VARCHAR(10) NOT NULL,
    from_number VARCHAR(50),
    to_number VARCHAR(50),
    message_type VARCHAR(20),
    content TEXT,
    media_url TEXT,
    group_id VARCHAR(100),
    group_name VARCHAR(200),
    is_group BOOLEAN NOT NULL DEFAULT false,
    quoted_message_id VARCHAR(100),
    timestamp TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT valid_direction CHECK (direction IN ('incoming', 'outgoing'))
);
CREATE INDEX idx_messages_session_timestamp ON messages_log(session_id, timestamp DESC);
CREATE INDEX idx_messages_from_number ON messages_log(from_number);
CREATE INDEX idx_messages_group_id ON messages_log(group_id) WHERE is_group = true;

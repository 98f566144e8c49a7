-- 0005 webhooks: the durable outbox of incoming messages to n8n.
--   sessions.webhook_secret: HMAC key of X-Webhook-Signature (generated per session, rotatable);
--   sessions.webhook_events: events sent to webhook_url, comma-separated (message.received, ...);
--   sessions.ignore_jids: JSON array of numbers, groups, "status" or "newsletter" never forwarded.
-- webhook_deliveries: one row per event to deliver, written in the same transaction as the
--   message (messages_log + analytics). Per (session, chat_key) rows are delivered in id order;
--   reply_context (JSON: chat, sender, message id, text) lets a reply quote the message.
-- webhook_attempts: every HTTP attempt of a delivery (status, duration, error).
ALTER TABLE sessions
    ADD COLUMN webhook_secret TEXT,
    ADD COLUMN webhook_events TEXT NOT NULL DEFAULT 'message.received',
    ADD COLUMN ignore_jids TEXT NOT NULL DEFAULT '[]' CHECK (ignore_jids::jsonb IS NOT NULL);

CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    delivery_id UUID NOT NULL UNIQUE,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    chat_key TEXT NOT NULL,
    message_id TEXT,
    analytics_id BIGINT REFERENCES analytics(id) ON DELETE SET NULL,
    payload TEXT NOT NULL,
    reply_context TEXT,
    status VARCHAR(10) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    last_status_code INTEGER,
    last_error TEXT
);
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries(status, next_attempt_ms);
CREATE INDEX idx_webhook_deliveries_chat ON webhook_deliveries(session_id, chat_key, id);

CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    started_ms BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error TEXT
);
CREATE INDEX idx_webhook_attempts_delivery ON webhook_attempts(delivery_id, attempt);

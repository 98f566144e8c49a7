-- 0005 webhooks: the durable outbox of incoming messages to n8n.
--   sessions.webhook_secret: HMAC key of X-Webhook-Signature (generated per session, rotatable);
--   sessions.webhook_events: events sent to webhook_url, comma-separated (message.received, ...);
--   sessions.ignore_jids: JSON array of numbers, groups, "status" or "newsletter" never forwarded.
-- webhook_deliveries: one row per event to deliver, written in the same transaction as the
--   message (messages_log + analytics). Per (session, chat_key) rows are delivered in id order;
--   reply_context (JSON: chat, sender, message id, text) lets a reply quote the message.
-- webhook_attempts: every HTTP attempt of a delivery (status, duration, error).
ALTER TABLE sessions ADD COLUMN webhook_secret TEXT;
ALTER TABLE sessions ADD COLUMN webhook_events TEXT NOT NULL DEFAULT 'message.received';
ALTER TABLE sessions ADD COLUMN ignore_jids TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(ignore_jids));

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE CHECK (length(delivery_id) = 36),
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    chat_key TEXT NOT NULL,
    message_id TEXT,
    analytics_id INTEGER REFERENCES analytics(id) ON DELETE SET NULL,
    payload TEXT NOT NULL,
    reply_context TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    finished_ms INTEGER,
    last_status_code INTEGER,
    last_error TEXT
);
CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries(status, next_attempt_ms);
CREATE INDEX idx_webhook_deliveries_chat ON webhook_deliveries(session_id, chat_key, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    started_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT
);
CREATE INDEX idx_webhook_attempts_delivery ON webhook_attempts(delivery_id, attempt);

-- 0013 webhook subscriptions: extra receivers of a session's events besides its webhook_url
-- (e.g. an n8n trigger node registers its own URL). Each has its own secret and events
-- (comma-separated subset of message.received, message.status, message.waiting, session.status).
-- Their deliveries go through the same outbox: webhook_deliveries.subscription_id names the
-- subscription (NULL: the session's own webhook_url); deleting a subscription deletes its rows
-- (done by the gateway: no foreign key, so that SQLite can drop the column going down).
CREATE TABLE webhook_subscriptions (
    id UUID PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    url TEXT NOT NULL CHECK (char_length(url) <= 2048),
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX idx_webhook_subscriptions_session ON webhook_subscriptions(session_id);

ALTER TABLE webhook_deliveries
    ADD COLUMN subscription_id UUID;

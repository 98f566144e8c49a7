DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
ALTER TABLE sessions
    DROP COLUMN ignore_jids,
    DROP COLUMN webhook_events,
    DROP COLUMN webhook_secret;

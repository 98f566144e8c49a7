DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
ALTER TABLE sessions DROP COLUMN ignore_jids;
ALTER TABLE sessions DROP COLUMN webhook_events;
ALTER TABLE sessions DROP COLUMN webhook_secret;

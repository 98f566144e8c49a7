ALTER TABLE webhook_deliveries DROP COLUMN subscription_id;
DROP TABLE webhook_subscriptions;

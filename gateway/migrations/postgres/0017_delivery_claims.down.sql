DROP INDEX idx_webhook_deliveries_claimed;
ALTER TABLE webhook_deliveries DROP COLUMN claim_until;
ALTER TABLE webhook_deliveries DROP COLUMN claimed_by;

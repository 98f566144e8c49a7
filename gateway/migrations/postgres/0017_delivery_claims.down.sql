ALTER TABLE webhook_deliveries DROP COLUMN claim_until;
ALTER TABLE webhook_deliveries DROP COLUMN claimed_by;

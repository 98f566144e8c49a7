-- 0017 cluster: a webhook delivery is claimed by the node that sends it (docs/CLUSTER.md,
-- "Webhook deliveries across nodes"). claimed_by is that node's NODE_ID, claim_until (the
-- database's clock) when others may take it if that node has not written the attempt's outcome;
-- both are NULL while nobody sends it. One process (no NODE_ID) never sets them.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claim_until TIMESTAMPTZ;
-- A node's claims, found at its start (a restart with the same NODE_ID gives them back); rows
-- hold a claim only while they are being sent.
CREATE INDEX idx_webhook_deliveries_claimed ON webhook_deliveries(claimed_by) WHERE claimed_by IS NOT NULL;

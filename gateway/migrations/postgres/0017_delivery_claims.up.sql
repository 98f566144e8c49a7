-- 0017 cluster: a webhook delivery is claimed by the node that sends it (docs/CLUSTER.md,
-- "Webhook deliveries across nodes"). claimed_by is that node's NODE_ID, claim_until (the
-- database's clock) when others may take it if that node has not written the attempt's outcome;
-- both are NULL while nobody sends it. One process (no NODE_ID) never sets them. No index on them:
-- a claim then changes no indexed column, so PostgreSQL updates the row in place (HOT).
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claim_until TIMESTAMPTZ;

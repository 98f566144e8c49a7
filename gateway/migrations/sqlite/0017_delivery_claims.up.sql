-- 0017 cluster: the claim columns of webhook deliveries (docs/CLUSTER.md, "Webhook deliveries
-- across nodes"). Cluster mode runs on PostgreSQL only; here they stay NULL and keep the two
-- schemas alike.
ALTER TABLE webhook_deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN claim_until TEXT;

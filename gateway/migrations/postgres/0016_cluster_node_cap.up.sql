-- 0016 cluster: each node's MAX_SESSIONS_PER_NODE (0: no cap), so that a node that hands sessions
-- over when rebalancing (docs/CLUSTER.md) gives away no more than the other live nodes can take.
ALTER TABLE cluster_nodes ADD COLUMN max_sessions INTEGER NOT NULL DEFAULT 0;

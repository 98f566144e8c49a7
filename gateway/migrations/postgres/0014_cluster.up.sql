-- 0014 cluster: many gateway processes on one PostgreSQL (docs/CLUSTER.md).
-- cluster_nodes: one row per gateway process (NODE_ID), heartbeat written with every lease renewal.
-- session_leases: the node that runs a session. A lease is live while expires_at > now() (the
-- database's clock, never a node's). epoch grows with every change of owner and fences writes:
-- a node's writes for a session check (session_id, node_id, epoch) under FOR KEY SHARE, and a
-- claim takes the row FOR UPDATE, so a claim waits for (or skips) a write in flight and later
-- writes of the old owner are refused. Rows are kept when released (expires_at in the past) so
-- that epochs never repeat.
-- cluster_requests: an API request relayed to the node that runs its session, and its response.
-- cluster_events: WebSocket events too large for a NOTIFY payload, read by the other nodes.
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE session_leases (
    session_id UUID PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_session_leases_node ON session_leases(node_id);
CREATE TABLE cluster_requests (
    id BIGSERIAL PRIMARY KEY,
    from_node TEXT NOT NULL,
    to_node TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE cluster_events (
    id BIGSERIAL PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE session_connections ADD COLUMN node_id TEXT;

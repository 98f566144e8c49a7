ALTER TABLE session_connections DROP COLUMN node_id;
DROP TABLE cluster_events;
DROP TABLE cluster_requests;
DROP TABLE session_leases;
DROP TABLE cluster_nodes;

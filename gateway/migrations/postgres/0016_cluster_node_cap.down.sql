ALTER TABLE cluster_nodes DROP COLUMN max_sessions;

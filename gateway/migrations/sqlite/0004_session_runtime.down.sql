DROP TABLE session_connections;
DROP INDEX idx_sessions_desired_state;
ALTER TABLE sessions DROP COLUMN created_ms;
ALTER TABLE sessions DROP COLUMN desired_state;
ALTER TABLE sessions DROP COLUMN status_detail;
ALTER TABLE sessions DROP COLUMN status_reason;

DROP TABLE session_connections;
DROP INDEX idx_sessions_desired_state;
ALTER TABLE sessions
    DROP COLUMN created_ms,
    DROP COLUMN desired_state,
    DROP COLUMN status_detail,
    DROP COLUMN status_reason;

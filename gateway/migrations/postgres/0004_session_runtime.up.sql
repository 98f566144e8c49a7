-- 0004 session runtime: what the session manager needs besides the columns of 0001.
--   status_reason / status_detail: the finer state behind status (connecting, logged_out,
--     qr_timeout, client_outdated, failed, stopped, ...) and a human-readable why;
--   desired_state: 'running' sessions are resumed at start-up, 'stopped' ones stay off;
--   created_ms: creation time in Unix milliseconds, for uptime arithmetic without date functions.
-- session_connections: one row per connected interval (uptime_percentage is computed from them).
--   last_seen_ms is refreshed while the interval is open, so an interval left open by a crash is
--   closed at the last moment the process was known alive.
ALTER TABLE sessions
    ADD COLUMN status_reason VARCHAR(64),
    ADD COLUMN status_detail TEXT,
    ADD COLUMN desired_state VARCHAR(10) NOT NULL DEFAULT 'stopped'
        CHECK (desired_state IN ('running', 'stopped')),
    ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX idx_sessions_desired_state ON sessions(desired_state);

CREATE TABLE session_connections (
    id BIGSERIAL PRIMARY KEY,
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    connected_ms BIGINT NOT NULL,
    disconnected_ms BIGINT,
    last_seen_ms BIGINT NOT NULL,
    end_reason TEXT,
    CHECK (disconnected_ms IS NULL OR disconnected_ms >= connected_ms)
);
CREATE INDEX idx_session_connections_session ON session_connections(session_id, connected_ms);
CREATE INDEX idx_session_connections_open ON session_connections(session_id)
    WHERE disconnected_ms IS NULL;

-- 0018 analytics: the hour rollups also by time first, with the counters the overview reads, so
-- that the overview reads every session's hour rows around a window's start side by side instead
-- of one page per session (gateway/src/analytics/report.cpp, docs/BENCHMARKS.md "Analytics").
-- SQLite only: PostgreSQL reads the overview's ranges of all sessions in one index scan each
-- already (migration 0015's covering indexes).
CREATE INDEX idx_analytics_rollup_hour_time
    ON analytics_rollup_hour (bucket_start, session_id, messages, forwarded, ai_handled,
                              response_ms_sum, responses);

-- 0015 analytics time of day.
-- analytics_rollup_time_of_day: messages per session, UTC quarter hour of the day (0-95) and
--   16-day block (block_start: Unix seconds, a multiple of 1,382,400). Peak hours are per local
--   hour of day over the whole range; in a zone whose offset is not a whole number of hours
--   (Asia/Kolkata +05:30) they could only be read from every quarter of the range (35,000 per
--   session-year). Over the whole 16-day blocks of a range they are read from these rows (96 per
--   block) and from quarter or hour rows only at the two ends (analytics/report.cpp,
--   docs/BENCHMARKS.md "Analytics").
-- Kept by triggers in the transaction that writes the analytics row: an INSERT adds 1; an UPDATE
--   that changes session_id or created_at moves the 1 (other updates do not touch this table).
--   Filled here from analytics_rollup_quarter (raw rows may have been pruned; the quarters are
--   exact).
CREATE TABLE analytics_rollup_time_of_day (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    block_start INTEGER NOT NULL, -- Unix seconds, a multiple of 1382400 (16 days)
    quarter_of_day INTEGER NOT NULL, -- UTC: (seconds since UTC midnight) / 900, 0-95
    messages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, block_start, quarter_of_day)
) WITHOUT ROWID;

INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
SELECT session_id, bucket_start - bucket_start % 1382400, bucket_start % 86400 / 900, SUM(messages)
FROM analytics_rollup_quarter
GROUP BY 1, 2, 3;

CREATE TRIGGER analytics_rollup_time_of_day_insert AFTER INSERT ON analytics
BEGIN
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', NEW.created_at) AS INTEGER) % 86400 / 900, 1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
END;

CREATE TRIGGER analytics_rollup_time_of_day_update AFTER UPDATE OF session_id, created_at ON analytics
WHEN OLD.session_id IS NOT NEW.session_id OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (OLD.session_id, CAST(strftime('%s', OLD.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', OLD.created_at) AS INTEGER) % 86400 / 900, -1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', NEW.created_at) AS INTEGER) % 86400 / 900, 1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
END;

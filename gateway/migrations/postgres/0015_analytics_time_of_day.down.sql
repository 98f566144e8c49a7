CREATE OR REPLACE FUNCTION analytics_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM analytics_rollup_add(OLD, -1);
    END IF;
    PERFORM analytics_rollup_add(NEW, 1);
    RETURN NULL;
END;
$$;
DROP FUNCTION analytics_rollup_change(analytics, analytics);
DROP INDEX idx_analytics_rollup_day_counters;
DROP INDEX idx_analytics_rollup_hour_counters;
DROP INDEX idx_analytics_rollup_quarter_counters;
CREATE INDEX idx_analytics_rollup_quarter_report ON analytics_rollup_quarter (session_id, bucket_start)
    INCLUDE (messages, ai_handled, errors, response_ms_sum, responses);
CREATE INDEX idx_analytics_rollup_hour_report ON analytics_rollup_hour (session_id, bucket_start)
    INCLUDE (messages, ai_handled, errors, response_ms_sum, responses);
DROP TRIGGER analytics_rollup_time_of_day_moved ON analytics;
DROP TRIGGER analytics_rollup_time_of_day ON analytics;
DROP FUNCTION analytics_rollup_time_of_day_trigger();
DROP TABLE analytics_rollup_time_of_day;

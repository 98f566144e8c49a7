-- 0015 analytics time of day, and rollup indexes that hold every counter the reports read.
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
-- idx_analytics_rollup_*_counters: the overview reads messages, forwarded, ai_handled,
--   response_ms_sum and responses of 100 sessions' day, hour and quarter rows; the session report
--   messages, ai_handled, errors, response_ms_sum and responses. PostgreSQL keeps rollup rows in
--   the order they were written (all sessions interleaved), a heap page per row; with these
--   covering indexes both read the index only. They replace the report indexes of 0010, which
--   lacked forwarded (and the day level).
CREATE TABLE analytics_rollup_time_of_day (
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    block_start BIGINT NOT NULL, -- Unix seconds, a multiple of 1382400 (16 days)
    quarter_of_day INTEGER NOT NULL, -- UTC: (seconds since UTC midnight) / 900, 0-95
    messages INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, block_start, quarter_of_day) INCLUDE (messages)
);

INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
SELECT session_id, bucket_start - bucket_start % 1382400, (bucket_start % 86400 / 900)::integer,
       SUM(messages)
FROM analytics_rollup_quarter
GROUP BY 1, 2, 3;

CREATE FUNCTION analytics_rollup_time_of_day_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t bigint;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        t := floor(extract(epoch FROM OLD.created_at))::bigint;
        INSERT INTO analytics_rollup_time_of_day AS x (session_id, block_start, quarter_of_day, messages)
        VALUES (OLD.session_id, t - t % 1382400, (t % 86400 / 900)::integer, -1)
        ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = x.messages + excluded.messages;
    END IF;
    t := floor(extract(epoch FROM NEW.created_at))::bigint;
    INSERT INTO analytics_rollup_time_of_day AS x (session_id, block_start, quarter_of_day, messages)
    VALUES (NEW.session_id, t - t % 1382400, (t % 86400 / 900)::integer, 1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = x.messages + excluded.messages;
    RETURN NULL;
END;
$$;

CREATE TRIGGER analytics_rollup_time_of_day AFTER INSERT ON analytics
    FOR EACH ROW EXECUTE FUNCTION analytics_rollup_time_of_day_trigger();
CREATE TRIGGER analytics_rollup_time_of_day_moved AFTER UPDATE OF session_id, created_at ON analytics
    FOR EACH ROW
    WHEN (OLD.session_id IS DISTINCT FROM NEW.session_id OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION analytics_rollup_time_of_day_trigger();

DROP INDEX idx_analytics_rollup_quarter_report;
DROP INDEX idx_analytics_rollup_hour_report;
CREATE INDEX idx_analytics_rollup_quarter_counters ON analytics_rollup_quarter (session_id, bucket_start)
    INCLUDE (messages, forwarded, ai_handled, errors, response_ms_sum, responses);
CREATE INDEX idx_analytics_rollup_hour_counters ON analytics_rollup_hour (session_id, bucket_start)
    INCLUDE (messages, forwarded, ai_handled, errors, response_ms_sum, responses);
CREATE INDEX idx_analytics_rollup_day_counters ON analytics_rollup_day (session_id, bucket_start)
    INCLUDE (messages, forwarded, ai_handled, errors, response_ms_sum, responses);

-- The 0010 trigger subtracted the old row's counters from its three buckets and added the new
--   row's: six upserts for every webhook outcome. When neither session_id nor created_at changes
--   (every writer today), the buckets are the same: analytics_rollup_change adds the difference in
--   one upsert per level; a row that moves is handled the 0010 way.
CREATE FUNCTION analytics_rollup_change(o analytics, n analytics) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t bigint := floor(extract(epoch FROM n.created_at))::bigint;
BEGIN
    INSERT INTO analytics_rollup_quarter AS x (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (n.session_id, t - t % 900,
            0,
            (CASE WHEN n.is_group THEN 1 ELSE 0 END) - (CASE WHEN o.is_group THEN 1 ELSE 0 END),
            (CASE WHEN n.is_group AND n.is_mention THEN 1 ELSE 0 END) - (CASE WHEN o.is_group AND o.is_mention THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_sent THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_sent THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success THEN 1 ELSE 0 END),
            (CASE WHEN n.error_message IS NOT NULL OR (n.webhook_sent AND NOT n.webhook_success) THEN 1 ELSE 0 END) - (CASE WHEN o.error_message IS NOT NULL OR (o.webhook_sent AND NOT o.webhook_success) THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN COALESCE(n.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN o.webhook_success THEN COALESCE(o.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN n.webhook_success AND n.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success AND o.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type IS NULL OR n.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN o.message_type IS NULL OR o.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = x.messages + excluded.messages,
        group_messages = x.group_messages + excluded.group_messages,
        group_mentions = x.group_mentions + excluded.group_mentions,
        forwarded = x.forwarded + excluded.forwarded,
        ai_handled = x.ai_handled + excluded.ai_handled,
        errors = x.errors + excluded.errors,
        response_ms_sum = x.response_ms_sum + excluded.response_ms_sum,
        responses = x.responses + excluded.responses,
        type_text = x.type_text + excluded.type_text,
        type_image = x.type_image + excluded.type_image,
        type_document = x.type_document + excluded.type_document,
        type_audio = x.type_audio + excluded.type_audio,
        type_video = x.type_video + excluded.type_video,
        type_sticker = x.type_sticker + excluded.type_sticker,
        type_location = x.type_location + excluded.type_location,
        type_contact = x.type_contact + excluded.type_contact,
        type_reaction = x.type_reaction + excluded.type_reaction,
        type_poll = x.type_poll + excluded.type_poll,
        type_unknown = x.type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_hour AS x (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (n.session_id, t - t % 3600,
            0,
            (CASE WHEN n.is_group THEN 1 ELSE 0 END) - (CASE WHEN o.is_group THEN 1 ELSE 0 END),
            (CASE WHEN n.is_group AND n.is_mention THEN 1 ELSE 0 END) - (CASE WHEN o.is_group AND o.is_mention THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_sent THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_sent THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success THEN 1 ELSE 0 END),
            (CASE WHEN n.error_message IS NOT NULL OR (n.webhook_sent AND NOT n.webhook_success) THEN 1 ELSE 0 END) - (CASE WHEN o.error_message IS NOT NULL OR (o.webhook_sent AND NOT o.webhook_success) THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN COALESCE(n.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN o.webhook_success THEN COALESCE(o.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN n.webhook_success AND n.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success AND o.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type IS NULL OR n.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN o.message_type IS NULL OR o.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = x.messages + excluded.messages,
        group_messages = x.group_messages + excluded.group_messages,
        group_mentions = x.group_mentions + excluded.group_mentions,
        forwarded = x.forwarded + excluded.forwarded,
        ai_handled = x.ai_handled + excluded.ai_handled,
        errors = x.errors + excluded.errors,
        response_ms_sum = x.response_ms_sum + excluded.response_ms_sum,
        responses = x.responses + excluded.responses,
        type_text = x.type_text + excluded.type_text,
        type_image = x.type_image + excluded.type_image,
        type_document = x.type_document + excluded.type_document,
        type_audio = x.type_audio + excluded.type_audio,
        type_video = x.type_video + excluded.type_video,
        type_sticker = x.type_sticker + excluded.type_sticker,
        type_location = x.type_location + excluded.type_location,
        type_contact = x.type_contact + excluded.type_contact,
        type_reaction = x.type_reaction + excluded.type_reaction,
        type_poll = x.type_poll + excluded.type_poll,
        type_unknown = x.type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_day AS x (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (n.session_id, t - t % 86400,
            0,
            (CASE WHEN n.is_group THEN 1 ELSE 0 END) - (CASE WHEN o.is_group THEN 1 ELSE 0 END),
            (CASE WHEN n.is_group AND n.is_mention THEN 1 ELSE 0 END) - (CASE WHEN o.is_group AND o.is_mention THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_sent THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_sent THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success THEN 1 ELSE 0 END),
            (CASE WHEN n.error_message IS NOT NULL OR (n.webhook_sent AND NOT n.webhook_success) THEN 1 ELSE 0 END) - (CASE WHEN o.error_message IS NOT NULL OR (o.webhook_sent AND NOT o.webhook_success) THEN 1 ELSE 0 END),
            (CASE WHEN n.webhook_success THEN COALESCE(n.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN o.webhook_success THEN COALESCE(o.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN n.webhook_success AND n.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN o.webhook_success AND o.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN o.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN n.message_type IS NULL OR n.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN o.message_type IS NULL OR o.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = x.messages + excluded.messages,
        group_messages = x.group_messages + excluded.group_messages,
        group_mentions = x.group_mentions + excluded.group_mentions,
        forwarded = x.forwarded + excluded.forwarded,
        ai_handled = x.ai_handled + excluded.ai_handled,
        errors = x.errors + excluded.errors,
        response_ms_sum = x.response_ms_sum + excluded.response_ms_sum,
        responses = x.responses + excluded.responses,
        type_text = x.type_text + excluded.type_text,
        type_image = x.type_image + excluded.type_image,
        type_document = x.type_document + excluded.type_document,
        type_audio = x.type_audio + excluded.type_audio,
        type_video = x.type_video + excluded.type_video,
        type_sticker = x.type_sticker + excluded.type_sticker,
        type_location = x.type_location + excluded.type_location,
        type_contact = x.type_contact + excluded.type_contact,
        type_reaction = x.type_reaction + excluded.type_reaction,
        type_poll = x.type_poll + excluded.type_poll,
        type_unknown = x.type_unknown + excluded.type_unknown;
END;
$$;

CREATE OR REPLACE FUNCTION analytics_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.session_id = NEW.session_id AND OLD.created_at = NEW.created_at THEN
            PERFORM analytics_rollup_change(OLD, NEW);
            RETURN NULL;
        END IF;
        PERFORM analytics_rollup_add(OLD, -1);
    END IF;
    PERFORM analytics_rollup_add(NEW, 1);
    RETURN NULL;
END;
$$;

-- 0010 analytics rollups: the analytics endpoints answer from these, not from the raw
--   rows, so that they stay fast however many messages there are (and after ANALYTICS_RETENTION_DAYS
--   has pruned the raw rows: rollups are kept).
-- Three levels with the same columns, per session and UTC bucket (bucket_start: Unix seconds):
--   analytics_rollup_quarter (15 minutes), analytics_rollup_hour, analytics_rollup_day.
--   Every UTC offset in use (and every DST change) is a whole number of quarter hours, so local
--   hours and days in any zone (Asia/Kolkata +05:30, Asia/Kathmandu +05:45 too) are exact unions of
--   quarters; the coarser levels only make long ranges cheap (analytics/report.cpp picks them).
-- The counters of one analytics row: messages 1; group_messages is_group; group_mentions is_group
--   and is_mention; forwarded webhook_sent; ai_handled webhook_success; errors error_message set or
--   a final webhook failure; response_ms_sum/responses the response times of successful deliveries;
--   type_* the message type (NULL or unknown types count as type_unknown).
-- Kept by triggers on analytics, in the transaction that writes the row: an INSERT adds the row's
--   counters; an UPDATE (the undecryptable row completed by its re-send, the webhook outcome)
--   subtracts the old row's and adds the new row's. There is no DELETE trigger: pruning raw rows
--   keeps the rollups (deleting a session deletes its rollups by the foreign key).
-- idx_webhook_deliveries_analytics: pruning analytics rows sets webhook_deliveries.analytics_id to
--   NULL; without an index each deleted row would scan the outbox.
CREATE TABLE analytics_rollup_quarter (
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL, -- Unix seconds, a multiple of 900
    messages INTEGER NOT NULL DEFAULT 0,
    group_messages INTEGER NOT NULL DEFAULT 0,
    group_mentions INTEGER NOT NULL DEFAULT 0,
    forwarded INTEGER NOT NULL DEFAULT 0,
    ai_handled INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    response_ms_sum BIGINT NOT NULL DEFAULT 0,
    responses INTEGER NOT NULL DEFAULT 0,
    type_text INTEGER NOT NULL DEFAULT 0,
    type_image INTEGER NOT NULL DEFAULT 0,
    type_document INTEGER NOT NULL DEFAULT 0,
    type_audio INTEGER NOT NULL DEFAULT 0,
    type_video INTEGER NOT NULL DEFAULT 0,
    type_sticker INTEGER NOT NULL DEFAULT 0,
    type_location INTEGER NOT NULL DEFAULT 0,
    type_contact INTEGER NOT NULL DEFAULT 0,
    type_reaction INTEGER NOT NULL DEFAULT 0,
    type_poll INTEGER NOT NULL DEFAULT 0,
    type_unknown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, bucket_start)
);

CREATE TABLE analytics_rollup_hour (
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL, -- Unix seconds, a multiple of 3600
    messages INTEGER NOT NULL DEFAULT 0,
    group_messages INTEGER NOT NULL DEFAULT 0,
    group_mentions INTEGER NOT NULL DEFAULT 0,
    forwarded INTEGER NOT NULL DEFAULT 0,
    ai_handled INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    response_ms_sum BIGINT NOT NULL DEFAULT 0,
    responses INTEGER NOT NULL DEFAULT 0,
    type_text INTEGER NOT NULL DEFAULT 0,
    type_image INTEGER NOT NULL DEFAULT 0,
    type_document INTEGER NOT NULL DEFAULT 0,
    type_audio INTEGER NOT NULL DEFAULT 0,
    type_video INTEGER NOT NULL DEFAULT 0,
    type_sticker INTEGER NOT NULL DEFAULT 0,
    type_location INTEGER NOT NULL DEFAULT 0,
    type_contact INTEGER NOT NULL DEFAULT 0,
    type_reaction INTEGER NOT NULL DEFAULT 0,
    type_poll INTEGER NOT NULL DEFAULT 0,
    type_unknown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, bucket_start)
);

CREATE TABLE analytics_rollup_day (
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    bucket_start BIGINT NOT NULL, -- Unix seconds, a multiple of 86400
    messages INTEGER NOT NULL DEFAULT 0,
    group_messages INTEGER NOT NULL DEFAULT 0,
    group_mentions INTEGER NOT NULL DEFAULT 0,
    forwarded INTEGER NOT NULL DEFAULT 0,
    ai_handled INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    response_ms_sum BIGINT NOT NULL DEFAULT 0,
    responses INTEGER NOT NULL DEFAULT 0,
    type_text INTEGER NOT NULL DEFAULT 0,
    type_image INTEGER NOT NULL DEFAULT 0,
    type_document INTEGER NOT NULL DEFAULT 0,
    type_audio INTEGER NOT NULL DEFAULT 0,
    type_video INTEGER NOT NULL DEFAULT 0,
    type_sticker INTEGER NOT NULL DEFAULT 0,
    type_location INTEGER NOT NULL DEFAULT 0,
    type_contact INTEGER NOT NULL DEFAULT 0,
    type_reaction INTEGER NOT NULL DEFAULT 0,
    type_poll INTEGER NOT NULL DEFAULT 0,
    type_unknown INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, bucket_start)
);

CREATE INDEX idx_webhook_deliveries_analytics ON webhook_deliveries(analytics_id);

-- The session report reads five counters of every quarter (or hour) of its range. PostgreSQL
-- keeps rows in the order they were written (all sessions interleaved in time), so reading one
-- session's year from the table touches a page per bucket; these covering indexes hold the
-- session's buckets together and let the report scan the index only.
CREATE INDEX idx_analytics_rollup_quarter_report ON analytics_rollup_quarter (session_id, bucket_start)
    INCLUDE (messages, ai_handled, errors, response_ms_sum, responses);
CREATE INDEX idx_analytics_rollup_hour_report ON analytics_rollup_hour (session_id, bucket_start)
    INCLUDE (messages, ai_handled, errors, response_ms_sum, responses);

-- Adds sign (+1 or -1) times the counters of analytics row r to its three buckets.
CREATE FUNCTION analytics_rollup_add(r analytics, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t bigint := floor(extract(epoch FROM r.created_at))::bigint;
    g integer := CASE WHEN r.is_group THEN 1 ELSE 0 END;
    ok integer := CASE WHEN r.webhook_success THEN 1 ELSE 0 END;
    kind text := CASE WHEN r.message_type IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll')
        THEN r.message_type ELSE 'unknown' END;
BEGIN
    INSERT INTO analytics_rollup_quarter AS x (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (r.session_id, t - t % 900,
            sign,
            sign * g,
            sign * (CASE WHEN r.is_group AND r.is_mention THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_sent THEN 1 ELSE 0 END),
            sign * ok,
            sign * (CASE WHEN r.error_message IS NOT NULL OR (r.webhook_sent AND NOT r.webhook_success) THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_success THEN COALESCE(r.webhook_response_time_ms, 0) ELSE 0 END),
            sign * (CASE WHEN r.webhook_success AND r.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'text' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'image' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'document' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'audio' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'video' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'sticker' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'location' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'contact' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'poll' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'unknown' THEN 1 ELSE 0 END))
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
    VALUES (r.session_id, t - t % 3600,
            sign,
            sign * g,
            sign * (CASE WHEN r.is_group AND r.is_mention THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_sent THEN 1 ELSE 0 END),
            sign * ok,
            sign * (CASE WHEN r.error_message IS NOT NULL OR (r.webhook_sent AND NOT r.webhook_success) THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_success THEN COALESCE(r.webhook_response_time_ms, 0) ELSE 0 END),
            sign * (CASE WHEN r.webhook_success AND r.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'text' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'image' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'document' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'audio' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'video' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'sticker' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'location' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'contact' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'poll' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'unknown' THEN 1 ELSE 0 END))
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
    VALUES (r.session_id, t - t % 86400,
            sign,
            sign * g,
            sign * (CASE WHEN r.is_group AND r.is_mention THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_sent THEN 1 ELSE 0 END),
            sign * ok,
            sign * (CASE WHEN r.error_message IS NOT NULL OR (r.webhook_sent AND NOT r.webhook_success) THEN 1 ELSE 0 END),
            sign * (CASE WHEN r.webhook_success THEN COALESCE(r.webhook_response_time_ms, 0) ELSE 0 END),
            sign * (CASE WHEN r.webhook_success AND r.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'text' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'image' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'document' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'audio' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'video' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'sticker' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'location' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'contact' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'reaction' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'poll' THEN 1 ELSE 0 END),
            sign * (CASE WHEN kind = 'unknown' THEN 1 ELSE 0 END))
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

CREATE FUNCTION analytics_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        PERFORM analytics_rollup_add(OLD, -1);
    END IF;
    PERFORM analytics_rollup_add(NEW, 1);
    RETURN NULL;
END;
$$;

CREATE TRIGGER analytics_rollup AFTER INSERT OR UPDATE ON analytics
    FOR EACH ROW EXECUTE FUNCTION analytics_rollup_trigger();

-- 0019 down: the quarters past the fold mark are added to the coarse levels first (the 0010 and
-- 0015 triggers write every level with every row and have no mark). First no analytics row may be
-- written (a writer still open would have written its quarter only, after the sums below) and no
-- fold may run (another gateway node's would add its quarters a second time). Writers take the
-- table lock before the advisory one, and the fold does not touch the analytics table: this order
-- cannot deadlock.
LOCK TABLE analytics IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_advisory_xact_lock(33602369848568932);

INSERT INTO analytics_rollup_hour AS x (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
SELECT session_id, bucket_start - bucket_start % 3600, SUM(messages), SUM(group_messages), SUM(group_mentions), SUM(forwarded), SUM(ai_handled), SUM(errors), SUM(response_ms_sum), SUM(responses), SUM(type_text), SUM(type_image), SUM(type_document), SUM(type_audio), SUM(type_video), SUM(type_sticker), SUM(type_location), SUM(type_contact), SUM(type_reaction), SUM(type_poll), SUM(type_unknown)
FROM analytics_rollup_quarter
WHERE bucket_start >= (SELECT folded_before FROM analytics_fold)
GROUP BY 1, 2
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
SELECT session_id, bucket_start - bucket_start % 86400, SUM(messages), SUM(group_messages), SUM(group_mentions), SUM(forwarded), SUM(ai_handled), SUM(errors), SUM(response_ms_sum), SUM(responses), SUM(type_text), SUM(type_image), SUM(type_document), SUM(type_audio), SUM(type_video), SUM(type_sticker), SUM(type_location), SUM(type_contact), SUM(type_reaction), SUM(type_poll), SUM(type_unknown)
FROM analytics_rollup_quarter
WHERE bucket_start >= (SELECT folded_before FROM analytics_fold)
GROUP BY 1, 2
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

INSERT INTO analytics_rollup_time_of_day AS x (session_id, block_start, quarter_of_day, messages)
SELECT session_id, bucket_start - bucket_start % 1382400, (bucket_start % 86400 / 900)::integer, SUM(messages)
FROM analytics_rollup_quarter
WHERE bucket_start >= (SELECT folded_before FROM analytics_fold)
GROUP BY 1, 2, 3
ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = x.messages + excluded.messages;

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

DROP FUNCTION analytics_rollup_time_of_day_add(analytics, integer);
DROP FUNCTION analytics_rollup_quarter_change(analytics, analytics);
DROP FUNCTION analytics_rollup_quarter_add(analytics, integer);

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

DROP TABLE analytics_fold;

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

-- The 0010 update trigger subtracted the old row's counters from its three buckets and added the
--   new row's: six upserts for every webhook outcome. When neither session_id nor created_at
--   changes (every writer today), the buckets are the same: analytics_rollup_update_in_place adds
--   the difference in one upsert per level; analytics_rollup_update keeps the 0010 way for a row
--   that moves.
DROP TRIGGER analytics_rollup_update;

CREATE TRIGGER analytics_rollup_update AFTER UPDATE ON analytics
WHEN OLD.session_id IS NOT NEW.session_id OR OLD.created_at IS NOT NEW.created_at
BEGIN
    INSERT INTO analytics_rollup_quarter (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (OLD.session_id, CAST(strftime('%s', OLD.created_at) AS INTEGER) / 900 * 900,
            -1,
            -OLD.is_group,
            -(OLD.is_group * OLD.is_mention),
            -OLD.webhook_sent,
            -OLD.webhook_success,
            -(CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_hour (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (OLD.session_id, CAST(strftime('%s', OLD.created_at) AS INTEGER) / 3600 * 3600,
            -1,
            -OLD.is_group,
            -(OLD.is_group * OLD.is_mention),
            -OLD.webhook_sent,
            -OLD.webhook_success,
            -(CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_day (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (OLD.session_id, CAST(strftime('%s', OLD.created_at) AS INTEGER) / 86400 * 86400,
            -1,
            -OLD.is_group,
            -(OLD.is_group * OLD.is_mention),
            -OLD.webhook_sent,
            -OLD.webhook_success,
            -(CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            -(CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            -(CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_quarter (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900,
            1,
            NEW.is_group,
            (NEW.is_group * NEW.is_mention),
            NEW.webhook_sent,
            NEW.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_hour (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 3600 * 3600,
            1,
            NEW.is_group,
            (NEW.is_group * NEW.is_mention),
            NEW.webhook_sent,
            NEW.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_day (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 86400 * 86400,
            1,
            NEW.is_group,
            (NEW.is_group * NEW.is_mention),
            NEW.webhook_sent,
            NEW.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
END;

CREATE TRIGGER analytics_rollup_update_in_place AFTER UPDATE ON analytics
WHEN OLD.session_id IS NEW.session_id AND OLD.created_at IS NEW.created_at
BEGIN
    INSERT INTO analytics_rollup_quarter (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900,
            0,
            NEW.is_group - OLD.is_group,
            (NEW.is_group * NEW.is_mention) - (OLD.is_group * OLD.is_mention),
            NEW.webhook_sent - OLD.webhook_sent,
            NEW.webhook_success - OLD.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END) - (CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_hour (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 3600 * 3600,
            0,
            NEW.is_group - OLD.is_group,
            (NEW.is_group * NEW.is_mention) - (OLD.is_group * OLD.is_mention),
            NEW.webhook_sent - OLD.webhook_sent,
            NEW.webhook_success - OLD.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END) - (CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
    INSERT INTO analytics_rollup_day (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 86400 * 86400,
            0,
            NEW.is_group - OLD.is_group,
            (NEW.is_group * NEW.is_mention) - (OLD.is_group * OLD.is_mention),
            NEW.webhook_sent - OLD.webhook_sent,
            NEW.webhook_success - OLD.webhook_success,
            (CASE WHEN NEW.error_message IS NOT NULL OR (NEW.webhook_sent = 1 AND NEW.webhook_success = 0) THEN 1 ELSE 0 END) - (CASE WHEN OLD.error_message IS NOT NULL OR (OLD.webhook_sent = 1 AND OLD.webhook_success = 0) THEN 1 ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 THEN COALESCE(NEW.webhook_response_time_ms, 0) ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 THEN COALESCE(OLD.webhook_response_time_ms, 0) ELSE 0 END),
            (CASE WHEN NEW.webhook_success = 1 AND NEW.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END) - (CASE WHEN OLD.webhook_success = 1 AND OLD.webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'text' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'text' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'image' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'image' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'document' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'document' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'audio' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'audio' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'video' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'video' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'sticker' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'sticker' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'location' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'location' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'contact' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'contact' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'reaction' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'reaction' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type = 'poll' THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type = 'poll' THEN 1 ELSE 0 END),
            (CASE WHEN NEW.message_type IS NULL OR NEW.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END) - (CASE WHEN OLD.message_type IS NULL OR OLD.message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END))
    ON CONFLICT (session_id, bucket_start) DO UPDATE SET
        messages = messages + excluded.messages,
        group_messages = group_messages + excluded.group_messages,
        group_mentions = group_mentions + excluded.group_mentions,
        forwarded = forwarded + excluded.forwarded,
        ai_handled = ai_handled + excluded.ai_handled,
        errors = errors + excluded.errors,
        response_ms_sum = response_ms_sum + excluded.response_ms_sum,
        responses = responses + excluded.responses,
        type_text = type_text + excluded.type_text,
        type_image = type_image + excluded.type_image,
        type_document = type_document + excluded.type_document,
        type_audio = type_audio + excluded.type_audio,
        type_video = type_video + excluded.type_video,
        type_sticker = type_sticker + excluded.type_sticker,
        type_location = type_location + excluded.type_location,
        type_contact = type_contact + excluded.type_contact,
        type_reaction = type_reaction + excluded.type_reaction,
        type_poll = type_poll + excluded.type_poll,
        type_unknown = type_unknown + excluded.type_unknown;
END;

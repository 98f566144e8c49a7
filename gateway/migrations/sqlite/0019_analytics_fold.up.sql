-- 0019 analytics fold (SQLite): each message writes one rollup row in its own transaction, its
--   quarter; the hour, day and time-of-day levels are folded from the quarters in the background.
-- Why: every rollup upsert ran inside the message's write transaction, and SQLite's writes run
--   one at a time. Seven upserts per message (four when it is stored, three for its webhook
--   outcome) took 14-29 % of the pipeline's throughput (docs/BENCHMARKS.md, "Analytics").
-- analytics_fold.folded_before (M, Unix seconds, a multiple of 900): every coarse row (hour, day,
--   time of day) holds exactly the quarters of its span that start before M; quarters from M on
--   are in analytics_rollup_quarter only. The quarters themselves are always complete.
-- Kept so by the triggers below, in the transaction that writes the analytics row:
--   - always: the row's quarter (insert: its counters; update: the difference, or for a row that
--     moves to another session or time, minus the old row and plus the new);
--   - and when the row's quarter starts before M (a late webhook outcome, a completed
--     undecryptable message, a row written with a past time): the coarse levels too, the same way.
-- And by the fold (analytics::fold_rollups, gateway/src/analytics/report.cpp): under the write
--   lock, it adds the quarters of [M, M') to the coarse levels and sets M to M' in the same
--   transaction (one per day of quarters). So a crash loses nothing and folds nothing twice.
-- Reports read the coarse levels only below M and the quarters from M on, in one read
--   transaction (docs/API.md, "Analytics").

CREATE TABLE analytics_fold (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    folded_before INTEGER NOT NULL -- Unix seconds, a multiple of 900
);

-- Everything written so far is in every level: the first mark lies after the last quarter that
-- has rows (the current quarter when there are none).
INSERT INTO analytics_fold (id, folded_before)
VALUES (1, MAX(CAST(strftime('%s', 'now') AS INTEGER) / 900 * 900,
               COALESCE((SELECT MAX(bucket_start) FROM analytics_rollup_quarter), 0) + 900));

DROP TRIGGER analytics_rollup_insert;
DROP TRIGGER analytics_rollup_update;
DROP TRIGGER analytics_rollup_update_in_place;
DROP TRIGGER analytics_rollup_time_of_day_insert;
DROP TRIGGER analytics_rollup_time_of_day_update;

CREATE TRIGGER analytics_rollup_insert AFTER INSERT ON analytics
BEGIN
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
END;

CREATE TRIGGER analytics_rollup_insert_folded AFTER INSERT ON analytics
WHEN CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900 < (SELECT folded_before FROM analytics_fold)
BEGIN
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
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', NEW.created_at) AS INTEGER) % 86400 / 900, 1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
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
END;

CREATE TRIGGER analytics_rollup_update_in_place_folded AFTER UPDATE ON analytics
WHEN (OLD.session_id IS NEW.session_id AND OLD.created_at IS NEW.created_at)
    AND CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900 < (SELECT folded_before FROM analytics_fold)
BEGIN
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
END;

CREATE TRIGGER analytics_rollup_moved_from_folded AFTER UPDATE ON analytics
WHEN (OLD.session_id IS NOT NEW.session_id OR OLD.created_at IS NOT NEW.created_at)
    AND CAST(strftime('%s', OLD.created_at) AS INTEGER) / 900 * 900 < (SELECT folded_before FROM analytics_fold)
BEGIN
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
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (OLD.session_id, CAST(strftime('%s', OLD.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', OLD.created_at) AS INTEGER) % 86400 / 900, -1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
END;

CREATE TRIGGER analytics_rollup_moved_into_folded AFTER UPDATE ON analytics
WHEN (OLD.session_id IS NOT NEW.session_id OR OLD.created_at IS NOT NEW.created_at)
    AND CAST(strftime('%s', NEW.created_at) AS INTEGER) / 900 * 900 < (SELECT folded_before FROM analytics_fold)
BEGIN
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
    INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
    VALUES (NEW.session_id, CAST(strftime('%s', NEW.created_at) AS INTEGER) / 1382400 * 1382400,
            CAST(strftime('%s', NEW.created_at) AS INTEGER) % 86400 / 900, 1)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = messages + excluded.messages;
END;

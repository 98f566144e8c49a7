-- 0019 analytics fold (PostgreSQL): each message writes one rollup row in its own transaction, its
--   quarter; the hour, day and time-of-day levels are folded from the quarters in the background.
--   The same fold as SQLite's 0019, with the locking PostgreSQL's concurrent writers need.
-- Why: the triggers of 0010 and 0015 wrote seven rollup upserts per message (four when it is
--   stored, three for its webhook outcome). The counters are in 0015's covering indexes, so each
--   upsert writes a new row version and an entry in every index of its table. They took 4-28 % of
--   the pipeline's throughput on PostgreSQL (docs/BENCHMARKS.md, "Analytics").
-- analytics_fold.folded_before (M, Unix seconds, a multiple of 900): every coarse row (hour, day,
--   time of day) holds exactly the quarters of its span that start before M; quarters from M on
--   are in analytics_rollup_quarter only. The quarters themselves are always complete.
-- Kept so by analytics_rollup_trigger, in the transaction that writes the analytics row:
--   - always: the row's quarter (insert: its counters; update: the difference, or for a row that
--     moves to another session or time, minus the old row and plus the new);
--   - and when the row's quarter starts before M (a late webhook outcome, a completed
--     undecryptable message, a row written with a past time): the coarse levels too, the same way.
-- And by the fold (analytics::fold_rollups, gateway/src/analytics/report.cpp), which adds the
--   quarters of [M, M') to the coarse levels and sets M to M' in one transaction (one per day of
--   quarters). So a crash loses nothing and folds nothing twice.
-- The lock: a writer that read the old M and wrote a quarter past it may not have committed yet
--   when the fold sums that quarter, and its write would be missing from the coarse levels for
--   ever. So the trigger takes a shared transaction-level advisory lock (key 33602369848568932,
--   "wa-fold") before it reads M and holds it until its transaction ends; the fold takes the same
--   lock exclusively before it reads M. The fold therefore waits for every writer that read the
--   old mark, and every writer after it reads the new one. Shared locks do not wait for each
--   other: writers are held back only while a fold runs.
-- The trigger and the fold rely on READ COMMITTED (the default): each statement sees what
--   committed before it, so the mark read after the lock is the latest one. The fold sets it for
--   its own transactions.
-- Reports read the coarse levels only below M and the quarters from M on, in one REPEATABLE READ
--   transaction: one snapshot for the mark and the rows (docs/API.md, "Analytics").
-- The time-of-day rows were kept by triggers of their own (0015); analytics_rollup_trigger keeps
--   them now, with the other coarse levels.

-- No analytics row is written while this runs (another gateway node of a cluster may still run
-- the old triggers): the first mark below must see every row they wrote.
LOCK TABLE analytics IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE analytics_fold (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    folded_before BIGINT NOT NULL -- Unix seconds, a multiple of 900
);

-- Everything written so far is in every level: the first mark lies after the last quarter that
-- has rows (the current quarter when there are none).
INSERT INTO analytics_fold (id, folded_before)
VALUES (1, GREATEST(floor(extract(epoch FROM now()))::bigint / 900 * 900,
                    COALESCE((SELECT MAX(bucket_start) FROM analytics_rollup_quarter), 0) + 900));

DROP TRIGGER analytics_rollup_time_of_day_moved ON analytics;
DROP TRIGGER analytics_rollup_time_of_day ON analytics;
DROP FUNCTION analytics_rollup_time_of_day_trigger();

-- Adds sign (+1 or -1) times the counters of analytics row r to its quarter only.
CREATE FUNCTION analytics_rollup_quarter_add(r analytics, sign integer) RETURNS void
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
END;
$$;

-- Adds the difference between analytics rows o and n (same session and time) to their quarter only.
CREATE FUNCTION analytics_rollup_quarter_change(o analytics, n analytics) RETURNS void
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
END;
$$;

-- Adds sign (+1 or -1) for analytics row r to its time-of-day row.
CREATE FUNCTION analytics_rollup_time_of_day_add(r analytics, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t bigint := floor(extract(epoch FROM r.created_at))::bigint;
BEGIN
    INSERT INTO analytics_rollup_time_of_day AS x (session_id, block_start, quarter_of_day, messages)
    VALUES (r.session_id, t - t % 1382400, (t % 86400 / 900)::integer, sign)
    ON CONFLICT (session_id, block_start, quarter_of_day) DO UPDATE SET messages = x.messages + excluded.messages;
END;
$$;

-- The quarter of every row; the coarse levels (analytics_rollup_add, analytics_rollup_change and
-- the time of day) of a row whose quarter starts before the fold mark.
CREATE OR REPLACE FUNCTION analytics_rollup_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    mark bigint;
    t bigint;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(33602369848568932);
    SELECT folded_before INTO mark FROM analytics_fold WHERE id = 1;
    -- Without a mark, as without the fold (analytics::fold_mark): every level with every row.
    mark := COALESCE(mark, 9223372036854775807);
    IF TG_OP = 'UPDATE' THEN
        t := floor(extract(epoch FROM OLD.created_at))::bigint;
        IF OLD.session_id = NEW.session_id AND OLD.created_at = NEW.created_at THEN
            IF t - t % 900 < mark THEN
                PERFORM analytics_rollup_change(OLD, NEW);
            ELSE
                PERFORM analytics_rollup_quarter_change(OLD, NEW);
            END IF;
            RETURN NULL;
        END IF;
        IF t - t % 900 < mark THEN
            PERFORM analytics_rollup_add(OLD, -1);
            PERFORM analytics_rollup_time_of_day_add(OLD, -1);
        ELSE
            PERFORM analytics_rollup_quarter_add(OLD, -1);
        END IF;
    END IF;
    t := floor(extract(epoch FROM NEW.created_at))::bigint;
    IF t - t % 900 < mark THEN
        PERFORM analytics_rollup_add(NEW, 1);
        PERFORM analytics_rollup_time_of_day_add(NEW, 1);
    ELSE
        PERFORM analytics_rollup_quarter_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;

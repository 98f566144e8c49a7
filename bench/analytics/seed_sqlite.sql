-- 5 million
-- analytics rows over the last 365 days for the 100 sessions of the benchmark user, in time order,
-- then the rollups built in one pass (run.mjs drops the rollup triggers
-- of migrations 0010 and 0015 before and recreates them from their stored text after); the rollup
-- expressions are the triggers' own.
-- Deterministic pseudo-random fields (multiplicative hashes of the row number). Parameters set by
-- run.mjs: :rows, :now (Unix seconds).
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
PRAGMA temp_store = MEMORY;
CREATE TEMP TABLE bench_sessions AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM sessions;
BEGIN;
WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < :rows - 1),
r AS (SELECT i, (i * 7919 + i / 1000) % 100 AS s, (i * 104729) % 1000 AS g,
             (i * 1299709 / 7) % 1000 AS o, (i * 15485863 / 3) % 100 AS t FROM seq)
INSERT INTO analytics (session_id, message_id, from_number, message_type, is_group, is_mention,
    webhook_sent, webhook_success, webhook_response_time_ms, webhook_status_code, error_message, created_at)
SELECT (SELECT id FROM bench_sessions WHERE n = r.s), 'B' || r.i, '628' || (r.i % 100000),
  CASE WHEN t < 80 THEN 'text' WHEN t < 88 THEN 'image' WHEN t < 92 THEN 'document' WHEN t < 95 THEN 'audio'
       WHEN t < 97 THEN 'video' WHEN t < 99 THEN 'sticker' ELSE 'location' END,
  g < 300, g < 150,
  (g >= 300 OR g < 150), (g >= 300 OR g < 150) AND o < 950,
  CASE WHEN g >= 300 OR g < 150 THEN 80 + o * 2 END,
  CASE WHEN g >= 300 OR g < 150 THEN CASE WHEN o < 950 THEN 200 ELSE 500 END END,
  CASE WHEN (g >= 300 OR g < 150) AND o >= 950 THEN 'HTTP 500' END,
  strftime('%Y-%m-%dT%H:%M:%fZ', :now - 365 * 86400 + r.i * 365 * 86400 / :rows, 'unixepoch')
FROM r;
COMMIT;
BEGIN;
DELETE FROM analytics_rollup_quarter;
INSERT INTO analytics_rollup_quarter (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
SELECT session_id, CAST(strftime('%s', created_at) AS INTEGER) / 900 * 900 AS b,
  COUNT(*),
  SUM(is_group),
  SUM(is_group * is_mention),
  SUM(webhook_sent),
  SUM(webhook_success),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent = 1 AND webhook_success = 0) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'text' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'image' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'document' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'audio' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'video' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'sticker' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'location' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'contact' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'reaction' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'poll' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type IS NULL OR message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END)
FROM analytics GROUP BY session_id, b;
DELETE FROM analytics_rollup_hour;
INSERT INTO analytics_rollup_hour (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
SELECT session_id, CAST(strftime('%s', created_at) AS INTEGER) / 3600 * 3600 AS b,
  COUNT(*),
  SUM(is_group),
  SUM(is_group * is_mention),
  SUM(webhook_sent),
  SUM(webhook_success),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent = 1 AND webhook_success = 0) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'text' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'image' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'document' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'audio' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'video' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'sticker' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'location' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'contact' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'reaction' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'poll' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type IS NULL OR message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END)
FROM analytics GROUP BY session_id, b;
DELETE FROM analytics_rollup_day;
INSERT INTO analytics_rollup_day (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
SELECT session_id, CAST(strftime('%s', created_at) AS INTEGER) / 86400 * 86400 AS b,
  COUNT(*),
  SUM(is_group),
  SUM(is_group * is_mention),
  SUM(webhook_sent),
  SUM(webhook_success),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent = 1 AND webhook_success = 0) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success = 1 AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'text' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'image' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'document' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'audio' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'video' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'sticker' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'location' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'contact' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'reaction' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type = 'poll' THEN 1 ELSE 0 END),
  SUM(CASE WHEN message_type IS NULL OR message_type NOT IN ('text', 'image', 'document', 'audio', 'video', 'sticker', 'location', 'contact', 'reaction', 'poll') THEN 1 ELSE 0 END)
FROM analytics GROUP BY session_id, b;
-- The time-of-day level of migration 0015, from the quarters (as the migration fills it).
DELETE FROM analytics_rollup_time_of_day;
INSERT INTO analytics_rollup_time_of_day (session_id, block_start, quarter_of_day, messages)
SELECT session_id, bucket_start - bucket_start % 1382400, bucket_start % 86400 / 900, SUM(messages)
FROM analytics_rollup_quarter GROUP BY 1, 2, 3;
COMMIT;

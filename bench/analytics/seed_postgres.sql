-- 5 million analytics rows over the last 365 days for the 100 sessions of the benchmark user, in
-- time order, then the rollups built in one pass (the rollup triggers are disabled during the
-- load; the rollup expressions are the triggers' own). Every level is built: run.mjs then puts the
-- fold mark (migration 0019) after the last quarter.
-- Deterministic pseudo-random fields (multiplicative hashes of the row number). Parameters set by
-- run.mjs: :rows, :now (Unix seconds).
SET synchronous_commit = off;
ALTER TABLE analytics DISABLE TRIGGER USER;
CREATE TEMP TABLE bench_sessions AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS n, id FROM sessions;
INSERT INTO analytics (session_id, message_id, from_number, message_type, is_group, is_mention,
    webhook_sent, webhook_success, webhook_response_time_ms, webhook_status_code, error_message, created_at)
SELECT bs.id, 'B' || r.i, '628' || (r.i % 100000),
  CASE WHEN t < 80 THEN 'text' WHEN t < 88 THEN 'image' WHEN t < 92 THEN 'document' WHEN t < 95 THEN 'audio'
       WHEN t < 97 THEN 'video' WHEN t < 99 THEN 'sticker' ELSE 'location' END,
  g < 300, g < 150,
  (g >= 300 OR g < 150), (g >= 300 OR g < 150) AND o < 950,
  CASE WHEN g >= 300 OR g < 150 THEN 80 + o * 2 END,
  CASE WHEN g >= 300 OR g < 150 THEN CASE WHEN o < 950 THEN 200 ELSE 500 END END,
  CASE WHEN (g >= 300 OR g < 150) AND o >= 950 THEN 'HTTP 500' END,
  to_timestamp(:now - 365 * 86400 + r.i * 365.0 * 86400 / :rows)
FROM (SELECT i, (i * 7919 + i / 1000) % 100 AS s, (i * 104729) % 1000 AS g,
             (i * 1299709 / 7) % 1000 AS o, (i * 15485863 / 3) % 100 AS t
      FROM generate_series(0::bigint, :rows - 1) AS i) r
JOIN bench_sessions bs ON bs.n = r.s;
DELETE FROM analytics_rollup_quarter;
INSERT INTO analytics_rollup_quarter (session_id, bucket_start, messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, type_location, type_contact, type_reaction, type_poll, type_unknown)
SELECT session_id, floor(extract(epoch FROM created_at))::bigint / 900 * 900 AS b,
  COUNT(*),
  SUM(CASE WHEN is_group THEN 1 ELSE 0 END),
  SUM(CASE WHEN is_group AND is_mention THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_sent THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN 1 ELSE 0 END),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent AND NOT webhook_success) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
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
SELECT session_id, floor(extract(epoch FROM created_at))::bigint / 3600 * 3600 AS b,
  COUNT(*),
  SUM(CASE WHEN is_group THEN 1 ELSE 0 END),
  SUM(CASE WHEN is_group AND is_mention THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_sent THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN 1 ELSE 0 END),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent AND NOT webhook_success) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
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
SELECT session_id, floor(extract(epoch FROM created_at))::bigint / 86400 * 86400 AS b,
  COUNT(*),
  SUM(CASE WHEN is_group THEN 1 ELSE 0 END),
  SUM(CASE WHEN is_group AND is_mention THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_sent THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN 1 ELSE 0 END),
  SUM(CASE WHEN error_message IS NOT NULL OR (webhook_sent AND NOT webhook_success) THEN 1 ELSE 0 END),
  SUM(CASE WHEN webhook_success THEN COALESCE(webhook_response_time_ms, 0) ELSE 0 END),
  SUM(CASE WHEN webhook_success AND webhook_response_time_ms IS NOT NULL THEN 1 ELSE 0 END),
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
SELECT session_id, bucket_start - bucket_start % 1382400, (bucket_start % 86400 / 900)::integer, SUM(messages)
FROM analytics_rollup_quarter GROUP BY 1, 2, 3;
ALTER TABLE analytics ENABLE TRIGGER USER;
-- A settled database: the visibility map set (autovacuum does it in production), statistics.
VACUUM ANALYZE;

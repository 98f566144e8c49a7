-- 0012 incoming media: the download of each received attachment, as a durable job written in the
-- message's own transaction (gateway/src/inbound/media_jobs.hpp, docs/API.md "Incoming media").
--   incoming_media: one row per received message with an attachment. descriptor is what the
--     download needs (JSON: url, direct_path, media_key, file_sha256, file_enc_sha256 — base64 —,
--     mimetype, file_length, file_name); media_type picks the keys (image, video, audio, document,
--     sticker). state: pending -> stored (media_id set) or failed (error set). A restart resumes
--     the pending rows of each session once it is connected.
--   messages_log.media_id / media_error: the stored file of an incoming message (its media_url is
--     signed when the log is read) or why there is none.
-- A webhook of a message with an attachment is queued with next_attempt_ms at the end of the
-- download wait (MEDIA_DOWNLOAD_WAIT_SECONDS); the download moves it forward when it ends.
CREATE TABLE incoming_media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    media_type TEXT NOT NULL
        CHECK (media_type IN ('image', 'video', 'audio', 'document', 'sticker')),
    descriptor TEXT NOT NULL CHECK (json_valid(descriptor)),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'failed')),
    media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    finished_ms INTEGER
);
CREATE UNIQUE INDEX idx_incoming_media_message ON incoming_media(session_id, message_id);
CREATE INDEX idx_incoming_media_pending ON incoming_media(session_id, id) WHERE state = 'pending';
ALTER TABLE messages_log ADD COLUMN media_id TEXT;
ALTER TABLE messages_log ADD COLUMN media_error TEXT;

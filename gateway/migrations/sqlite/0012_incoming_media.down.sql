ALTER TABLE messages_log DROP COLUMN media_error;
ALTER TABLE messages_log DROP COLUMN media_id;
DROP INDEX idx_incoming_media_pending;
DROP INDEX idx_incoming_media_message;
DROP TABLE incoming_media;

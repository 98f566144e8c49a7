DROP INDEX idx_media_session;
DROP INDEX idx_media_created;
DROP TABLE media;

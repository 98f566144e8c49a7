-- 0009 media: what the media store (gateway/src/media/store.hpp) keeps about each stored file.
-- The bytes are a file named by `id` under MEDIA_DIR, never by
-- user input; a row is written after its file, so a row always has a file (a file without a row
-- is an orphan that the retention sweep removes). Deleting a session deletes its rows here; the
-- sweep then removes their files.
--   id: 32 lower-case hex characters (128 random bits), the file name and the URL segment;
--   mimetype: as served in Content-Type; file_name: as served in Content-Disposition;
--   size_bytes, sha256 (hex of the stored bytes); created_ms: Unix ms, for retention.
CREATE TABLE media (
    id CHAR(32) PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    session_id UUID NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    mimetype VARCHAR(255) NOT NULL CHECK (char_length(mimetype) >= 3),
    file_name VARCHAR(255) NOT NULL CHECK (char_length(file_name) >= 1),
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 CHAR(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_ms BIGINT NOT NULL
);
CREATE INDEX idx_media_created ON media(created_ms);
CREATE INDEX idx_media_session ON media(session_id);

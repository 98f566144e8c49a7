-- 0009 media: what the media store (gateway/src/media/store.hpp) keeps about each stored file.
-- The bytes are a file named by `id` under MEDIA_DIR, never by
-- user input; a row is written after its file, so a row always has a file (a file without a row
-- is an orphan that the retention sweep removes). Deleting a session deletes its rows here; the
-- sweep then removes their files.
--   id: 32 lower-case hex characters (128 random bits), the file name and the URL segment;
--   mimetype: as served in Content-Type; file_name: as served in Content-Disposition;
--   size_bytes, sha256 (hex of the stored bytes); created_ms: Unix ms, for retention.
CREATE TABLE media (
    id TEXT PRIMARY KEY CHECK (length(id) = 32 AND id NOT GLOB '*[^0-9a-f]*'),
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    mimetype TEXT NOT NULL CHECK (length(mimetype) BETWEEN 3 AND 255),
    file_name TEXT NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    created_ms INTEGER NOT NULL
);
CREATE INDEX idx_media_created ON media(created_ms);
CREATE INDEX idx_media_session ON media(session_id);

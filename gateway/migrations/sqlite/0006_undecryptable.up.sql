-- 0006 undecryptable messages: an incoming message that could not be decrypted yet gets its
-- analytics row at once (error_message 'undecryptable: …'); when the sender's re-send decrypts,
-- that row is completed instead of a second one being written. Both look the row up by
-- (session_id, message_id), which this index makes cheap.
CREATE INDEX idx_analytics_session_message ON analytics(session_id, message_id);

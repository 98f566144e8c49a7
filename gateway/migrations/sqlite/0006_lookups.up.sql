-- 0006 lookups that must stay cheap as history grows.
-- An incoming message that could not be decrypted yet gets its analytics row at once
-- (error_message 'undecryptable: …'); when the sender's re-send decrypts, that row is completed
-- instead of a second one being written. Both look the row up by (session_id, message_id).
CREATE INDEX idx_analytics_session_message ON analytics(session_id, message_id);
-- The delivery worker asks, for every due delivery, whether an older one of the same chat is
-- still pending (per-chat order). Delivered rows are kept, so an index over pending rows only
-- keeps that question a probe instead of a walk through the chat's history.
CREATE INDEX idx_webhook_deliveries_pending_chat ON webhook_deliveries(session_id, chat_key, id)
    WHERE status = 'pending';

-- 0008 message status: what the send API and the message log need.
--   message_id: WhatsApp's id of the message (both directions); with session_id it finds a
--     message for GET /sessions/:id/messages/:message_id, for quoting and for receipts;
--   chat_id: the chat as the API shows it (group JID, or the other person's user JID, phone
--     number form when known) — the `chat` filter of the message list;
--   chat_jid / sender_jid: the chat and the sender as WhatsApp addressed them (a LID in LID
--     chats), so that a reply can quote the message exactly;
--   status (outgoing only): sent -> delivered -> read -> played, or failed; one time per step.
ALTER TABLE messages_log ADD COLUMN message_id TEXT;
ALTER TABLE messages_log ADD COLUMN chat_id TEXT;
ALTER TABLE messages_log ADD COLUMN chat_jid TEXT;
ALTER TABLE messages_log ADD COLUMN sender_jid TEXT;
ALTER TABLE messages_log ADD COLUMN status VARCHAR(10)
    CHECK (status IS NULL OR status IN ('sent', 'delivered', 'read', 'played', 'failed'));
ALTER TABLE messages_log ADD COLUMN sent_at TIMESTAMPTZ;
ALTER TABLE messages_log ADD COLUMN delivered_at TIMESTAMPTZ;
ALTER TABLE messages_log ADD COLUMN read_at TIMESTAMPTZ;
ALTER TABLE messages_log ADD COLUMN played_at TIMESTAMPTZ;
ALTER TABLE messages_log ADD COLUMN failed_at TIMESTAMPTZ;
ALTER TABLE messages_log ADD COLUMN error TEXT;
CREATE INDEX idx_messages_session_message ON messages_log(session_id, message_id);
CREATE INDEX idx_messages_session_chat ON messages_log(session_id, chat_id, id);

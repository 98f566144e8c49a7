#include "inbound/media_jobs.hpp"

#include <boost/json.hpp>

#include "auth/crypto.hpp"

namespace gw::inbound {

namespace json = boost::json;

namespace {

std::string b64(const std::vector<std::uint8_t>& v) {
  return auth::base64url_encode(v);
}

bool unb64(const json::object& o, const char* key, std::vector<std::uint8_t>& out) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return false;
  auto bytes = auth::base64url_decode(v->as_string());
  if (!bytes) return false;
  out.assign(bytes->begin(), bytes->end());
  return true;
}

bool text(const json::object& o, const char* key, std::string& out) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}

// Holds back the first attempt of the message's webhook no longer: it goes out now, with what
// the download found. Only the first attempt waits; retries were never held.
void release_webhook(db::Connection& c, const MediaJob& job, int64_t now_ms) {
  c.query(
      "UPDATE webhook_deliveries SET next_attempt_ms = ? WHERE session_id = ? AND message_id = ? "
      "AND event = 'message.received' AND status = 'pending' AND attempts = 0 "
      "AND next_attempt_ms > ?",
      {now_ms, job.session_id, job.message_id, now_ms});
}

}  // namespace

std::string descriptor_json(const wa::message::MediaDescriptor& d) {
  return json::serialize(json::object{{"url", d.url},
                                      {"direct_path", d.direct_path},
                                      {"media_key", b64(d.media_key)},
                                      {"file_sha256", b64(d.file_sha256)},
                                      {"file_enc_sha256", b64(d.file_enc_sha256)},
                                      {"mimetype", d.mimetype},
                                      {"file_length", d.file_length},
                                      {"file_name", d.file_name}});
}

std::optional<wa::message::MediaDescriptor> parse_descriptor(std::string_view s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  wa::message::MediaDescriptor d;
  if (!text(o, "url", d.url) || !text(o, "direct_path", d.direct_path) ||
      !text(o, "mimetype", d.mimetype) || !text(o, "file_name", d.file_name) ||
      !unb64(o, "media_key", d.media_key) || !unb64(o, "file_sha256", d.file_sha256) ||
      !unb64(o, "file_enc_sha256", d.file_enc_sha256))
    return std::nullopt;
  const auto* len = o.if_contains("file_length");
  if (!len) return std::nullopt;
  if (len->is_uint64()) {
    d.file_length = len->as_uint64();
  } else if (len->is_int64() && len->as_int64() >= 0) {
    d.file_length = static_cast<std::uint64_t>(len->as_int64());
  } else {
    return std::nullopt;
  }
  return d;
}

bool queue_media(db::Connection& c, const std::string& session_id,
                 const wa::client::MessageReceived& m, int64_t now_ms) {
  if (!m.media) return false;
  auto type = wa::media::media_type_of(m.type);
  if (!type) return false;
  auto r = c.query(
      "INSERT INTO incoming_media (session_id, message_id, media_type, descriptor, state, "
      "attempts, created_ms) VALUES (?, ?, ?, ?, 'pending', 0, ?) "
      "ON CONFLICT (session_id, message_id) DO NOTHING RETURNING id",
      {session_id, m.id, std::string(wa::media::to_string(*type)), descriptor_json(*m.media),
       now_ms});
  return !r.rows.empty();
}

std::vector<MediaJob> pending_media(db::Connection& c, const std::string& session_id, int limit) {
  auto r = c.query(
      "SELECT id, message_id, media_type, descriptor, attempts, created_ms FROM incoming_media "
      "WHERE session_id = ? AND state = 'pending' ORDER BY id LIMIT ?",
      {session_id, int64_t{limit}});
  std::vector<MediaJob> out;
  for (const auto& row : r.rows) {
    MediaJob j;
    j.id = row.integer(0);
    j.session_id = session_id;
    j.message_id = row.text(1);
    auto type = wa::media::media_type_from_string(row.text(2));
    auto d = parse_descriptor(row.text(3));
    j.attempts = static_cast<int>(row.integer(4));
    j.created_ms = row.integer(5);
    if (!type || !d) {
      finish_failed(c, j, "media_invalid: the stored descriptor cannot be read", j.created_ms);
      continue;
    }
    j.type = *type;
    j.descriptor = std::move(*d);
    out.push_back(std::move(j));
  }
  return out;
}

std::optional<wa::media::RetryTarget> retry_target(db::Connection& c, const MediaJob& job) {
  auto r = c.query(
      "SELECT chat_jid, sender_jid FROM messages_log WHERE session_id = ? AND message_id = ? "
      "AND direction = 'incoming' ORDER BY id LIMIT 1",
      {job.session_id, job.message_id});
  if (r.rows.empty() || r.rows.front().is_null(0)) return std::nullopt;
  auto chat = wa::Jid::parse(r.rows.front().text(0));
  if (!chat) return std::nullopt;
  wa::media::RetryTarget t;
  t.message_id = job.message_id;
  t.chat = *chat;
  if (chat->server == "g.us" && !r.rows.front().is_null(1)) {
    if (auto sender = wa::Jid::parse(r.rows.front().text(1))) t.participant = *sender;
  }
  return t;
}

void save_descriptor(db::Connection& c, const MediaJob& job) {
  c.query("UPDATE incoming_media SET descriptor = ? WHERE id = ?",
          {descriptor_json(job.descriptor), job.id});
}

void count_media_attempt(db::Connection& c, int64_t job_id) {
  c.query("UPDATE incoming_media SET attempts = attempts + 1 WHERE id = ?", {job_id});
}

void finish_stored(db::Connection& c, const MediaJob& job, const std::string& media_id,
                   int64_t now_ms) {
  db::Transaction tx(c);
  c.query(
      "UPDATE incoming_media SET state = 'stored', media_id = ?, error = NULL, finished_ms = ? "
      "WHERE id = ?",
      {media_id, now_ms, job.id});
  c.query(
      "UPDATE messages_log SET media_id = ?, media_error = NULL WHERE session_id = ? "
      "AND message_id = ? AND direction = 'incoming'",
      {media_id, job.session_id, job.message_id});
  release_webhook(c, job, now_ms);
  tx.commit();
}

void finish_failed(db::Connection& c, const MediaJob& job, const std::string& error,
                   int64_t now_ms) {
  db::Transaction tx(c);
  c.query("UPDATE incoming_media SET state = 'failed', error = ?, finished_ms = ? WHERE id = ?",
          {error, now_ms, job.id});
  c.query(
      "UPDATE messages_log SET media_error = ? WHERE session_id = ? AND message_id = ? "
      "AND direction = 'incoming'",
      {error, job.session_id, job.message_id});
  release_webhook(c, job, now_ms);
  tx.commit();
}

std::optional<MediaOutcome> media_outcome(db::Connection& c, const std::string& session_id,
                                          const std::string& message_id) {
  auto r = c.query(
      "SELECT state, media_id, error FROM incoming_media WHERE session_id = ? AND message_id = ?",
      {session_id, message_id});
  if (r.rows.empty()) return std::nullopt;
  const auto& row = r.rows.front();
  return MediaOutcome{row.text(0), row.opt_text(1), row.opt_text(2)};
}

}  // namespace gw::inbound

#include "auth/api_keys.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <span>

#include "auth/crypto.hpp"
#include "util/time.hpp"

namespace gw::auth {

namespace {

bool is_base64url_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

ApiKeyRecord record_of(const db::Row& r) {
  ApiKeyRecord k;
  k.id = r.text(0);
  k.user_id = r.text(1);
  k.name = r.text(2);
  k.prefix = r.text(3);
  if (r.integer(4) != 0) k.session_ids.emplace();
  k.created_at = r.text(5);
  k.last_used_at = r.opt_text(6);
  return k;
}

constexpr const char* kColumns =
    "id, user_id, name, prefix, sessions_limited, created_at, last_used_at FROM api_keys ";

}  // namespace

std::string generate_api_key() {
  return generate_api_key([](std::span<std::uint8_t> out) { random_fill(out); });
}

std::string generate_api_key(const RandomFill& fill) {
  std::array<std::uint8_t, kApiKeyRandomBytes> bytes{};
  fill(bytes);
  return std::string(kApiKeyMarker) + base64url_encode(std::span<const std::uint8_t>(bytes));
}

bool looks_like_api_key(std::string_view text) noexcept {
  if (text.size() != kApiKeyLength || !text.starts_with(kApiKeyMarker)) return false;
  auto body = text.substr(kApiKeyMarker.size());
  if (!std::all_of(body.begin(), body.end(), is_base64url_char)) return false;
  // 43 characters carry 258 bits for 256: the last one must leave its two low bits zero, so that
  // every key has exactly one spelling (as base64url_decode insists too).
  return base64url_decode(body).has_value();
}

std::string api_key_hash(std::string_view key) {
  auto digest = sha256(key);
  return hex_encode(std::span<const std::uint8_t>(digest.data(), digest.size()));
}

NewApiKey create_api_key(db::Connection& c, const std::string& user_id, const std::string& name,
                         const std::optional<std::vector<std::string>>& session_ids,
                         int64_t now_ms) {
  std::vector<std::string> sessions;
  if (session_ids) {
    sessions = *session_ids;
    std::sort(sessions.begin(), sessions.end());
    sessions.erase(std::unique(sessions.begin(), sessions.end()), sessions.end());
  }
  NewApiKey out;
  out.key = generate_api_key();
  auto& k = out.record;
  k.id = uuid_v4();
  k.user_id = user_id;
  k.name = name;
  k.prefix = out.key.substr(0, kApiKeyPrefixLength);
  if (session_ids) k.session_ids = sessions;
  k.created_at = util::iso8601_from_ms(now_ms);

  db::Transaction tx(c);
  // The count and the insert must not interleave with another creation for the same user:
  // SQLite's write transaction (BEGIN IMMEDIATE) already serialises them; PostgreSQL locks the
  // user's row.
  if (c.dialect() == db::Dialect::postgres) {
    c.query("SELECT id FROM users WHERE id = ? FOR UPDATE", {user_id});
  }
  auto held = c.query("SELECT COUNT(*) FROM api_keys WHERE user_id = ?", {user_id});
  if (!held.rows.empty() && held.rows[0].integer(0) >= static_cast<int64_t>(kMaxApiKeysPerUser)) {
    throw ApiKeyError(ApiKeyError::Kind::too_many,
                      "you already have " + std::to_string(kMaxApiKeysPerUser) +
                          " API keys, the most allowed; delete one first");
  }
  // In the order given, so that the error names the first bad id the caller sent.
  if (session_ids) {
    for (const auto& id : *session_ids) {
      if (c.query("SELECT 1 FROM sessions WHERE id = ? AND user_id = ?", {id, user_id})
              .rows.empty()) {
        throw ApiKeyError(ApiKeyError::Kind::unknown_session, "not one of your sessions: " + id,
                          id);
      }
    }
  }
  c.query(
      "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, sessions_limited, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {k.id, user_id, name, api_key_hash(out.key), k.prefix, int64_t{session_ids ? 1 : 0},
       k.created_at});
  for (const auto& id : sessions) {
    c.query("INSERT INTO api_key_sessions (key_id, session_id) VALUES (?, ?)", {k.id, id});
  }
  tx.commit();
  return out;
}

std::vector<ApiKeyRecord> list_api_keys(db::Connection& c, const std::string& user_id) {
  auto rows =
      c.query(std::string("SELECT ") + kColumns + "WHERE user_id = ? ORDER BY created_at DESC, id",
              {user_id});
  std::vector<ApiKeyRecord> out;
  std::map<std::string, std::size_t> index;
  for (const auto& r : rows.rows) {
    index[r.text(0)] = out.size();
    out.push_back(record_of(r));
  }
  auto limits = c.query(
      "SELECT s.key_id, s.session_id FROM api_key_sessions s JOIN api_keys k ON k.id = s.key_id "
      "WHERE k.user_id = ? ORDER BY s.session_id",
      {user_id});
  for (const auto& r : limits.rows) {
    auto it = index.find(r.text(0));
    if (it == index.end()) continue;  // created between the two queries
    auto& k = out[it->second];
    if (k.session_ids) k.session_ids->push_back(r.text(1));
  }
  return out;
}

bool delete_api_key(db::Connection& c, const std::string& user_id, const std::string& key_id) {
  return c.query("DELETE FROM api_keys WHERE id = ? AND user_id = ?", {key_id, user_id}).affected >
         0;
}

std::optional<ApiKeyRecord> find_api_key(db::Connection& c, std::string_view key, int64_t now_ms) {
  if (!looks_like_api_key(key)) return std::nullopt;
  auto rows =
      c.query(std::string("SELECT ") + kColumns + "WHERE key_hash = ?", {api_key_hash(key)});
  if (rows.rows.empty()) return std::nullopt;
  auto k = record_of(rows.rows[0]);
  if (k.session_ids) {
    for (const auto& r :
         c.query("SELECT session_id FROM api_key_sessions WHERE key_id = ? ORDER BY session_id",
                 {k.id})
             .rows) {
      k.session_ids->push_back(r.text(0));
    }
  }
  bool stale = true;
  if (k.last_used_at) {
    if (auto t = util::parse_iso8601(*k.last_used_at)) {
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
      stale = now_ms - ms >= kApiKeyTouchEveryMs;
    }
  }
  if (stale) {
    k.last_used_at = util::iso8601_from_ms(now_ms);
    c.query("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {*k.last_used_at, k.id});
  }
  return k;
}

}  // namespace gw::auth

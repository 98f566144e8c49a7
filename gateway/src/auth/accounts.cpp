#include "auth/accounts.hpp"

#include <chrono>

#include "auth/crypto.hpp"
#include "auth/pin.hpp"
#include "util/time.hpp"

namespace gw::auth {

namespace {
std::string iso_from_unix(int64_t unix_seconds) {
  return util::iso8601(std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds)));
}
}  // namespace

Accounts::Accounts(std::string pin_key, std::function<std::string()> make_pin)
    : pin_key_(std::move(pin_key)), make_pin_(std::move(make_pin)) {
  if (!make_pin_) make_pin_ = [] { return generate_pin(); };
}

NewAccount Accounts::create(db::Connection& c) const {
  for (int attempt = 1;; ++attempt) {
    NewAccount a{uuid_v4(), make_pin_()};
    try {
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)",
              {a.user_id, pin_hash(pin_key_, a.pin)});
      return a;
    } catch (const db::DbError& e) {
      if (e.kind() != db::DbError::Kind::unique_violation || attempt >= kMaxAttempts) throw;
    }
  }
}

std::optional<std::string> Accounts::login(db::Connection& c, std::string_view pin) const {
  if (!is_valid_pin_format(pin)) return std::nullopt;
  auto now = util::iso8601_now();
  auto r =
      c.query("UPDATE users SET last_login = ?, updated_at = ? WHERE pin_hash = ? RETURNING id",
              {now, now, pin_hash(pin_key_, pin)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows[0].text(0);
}

std::optional<Profile> Accounts::profile(db::Connection& c, const std::string& user_id) const {
  auto r = c.query("SELECT id, created_at, last_login FROM users WHERE id = ?", {user_id});
  if (r.rows.empty()) return std::nullopt;
  return Profile{r.rows[0].text(0), r.rows[0].text(1), r.rows[0].opt_text(2)};
}

void Accounts::revoke(db::Connection& c, const std::string& jti, const std::string& user_id,
                      int64_t expires_unix) {
  c.query(
      "INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES (?, ?, ?) "
      "ON CONFLICT (jti) DO NOTHING",
      {jti, user_id, iso_from_unix(expires_unix)});
}

bool Accounts::is_revoked(db::Connection& c, const std::string& jti) {
  return !c.query("SELECT 1 FROM revoked_tokens WHERE jti = ?", {jti}).rows.empty();
}

int64_t Accounts::prune_revoked(db::Connection& c, int64_t now_unix) {
  return c.query("DELETE FROM revoked_tokens WHERE expires_at < ?", {iso_from_unix(now_unix)})
      .affected;
}

bool Accounts::user_exists(db::Connection& c, const std::string& user_id) {
  return !c.query("SELECT 1 FROM users WHERE id = ?", {user_id}).rows.empty();
}

}  // namespace gw::auth

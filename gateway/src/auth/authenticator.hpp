#pragma once
// Who is calling: verifies a bearer token (signature, expiry, revocation, user still exists).
// Used by the request pipeline for every authenticated route, and by WebSocket endpoints for
// `?token=` before the upgrade (a browser cannot set headers on a WebSocket handshake).
// Thread safety: safe from any thread; database work runs on the blocking pool.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "db/database.hpp"
#include "http/message.hpp"

namespace gw::auth {

struct Identity {
  std::string user_id;
  std::string jti;
  int64_t expires_unix = 0;
};

class Authenticator {
 public:
  using Clock = std::function<int64_t()>;  // Unix seconds
  Authenticator(db::Database& db, std::string jwt_key, std::chrono::seconds ttl, Clock now);

  /// A new token for a user.
  [[nodiscard]] std::string issue(const std::string& user_id) const;
  /// The identity behind a token, or nullopt (bad, expired, revoked, unknown user).
  boost::asio::awaitable<std::optional<Identity>> authenticate(std::string_view token) const;
  /// The bearer token of an Authorization header, or nullopt.
  static std::optional<std::string_view> bearer(const http::Request& req);
  /// Authenticates `?token=` (WebSocket upgrades); throws http::ApiError(unauthorized).
  boost::asio::awaitable<Identity> require_query_token(const http::Request& req) const;

  [[nodiscard]] int64_t now() const { return now_(); }

 private:
  db::Database& db_;
  std::string key_;
  std::chrono::seconds ttl_;
  Clock now_;
};

}  // namespace gw::auth

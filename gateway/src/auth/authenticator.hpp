#pragma once
// Who is calling: verifies a credential, either a login token (JWT: signature, expiry,
// revocation, user still exists) or an API key (it exists; auth/api_keys.hpp). Used by the
// request pipeline for every authenticated route, and by WebSocket endpoints for `?token=` before
// the upgrade (a browser cannot set headers on a WebSocket handshake).
// Thread safety: safe from any thread; database work runs on the blocking pool.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/jwt.hpp"
#include "db/database.hpp"
#include "http/message.hpp"

namespace gw::auth {

struct Identity {
  std::string user_id;
  std::string jti;           // login tokens only
  int64_t expires_unix = 0;  // login tokens only
  /// Set when the credential was an API key: which key, and the sessions it may reach.
  std::optional<http::ApiKeyGrant> api_key;
};

class Authenticator {
 public:
  using Clock = std::function<int64_t()>;  // Unix seconds
  Authenticator(db::Database& db, std::string jwt_key, std::chrono::seconds ttl, Clock now);

  /// A new token for a user.
  [[nodiscard]] std::string issue(const std::string& user_id) const;
  /// The identity behind a login token or an API key ("wag_…"), or nullopt (bad, expired,
  /// revoked, deleted, unknown user).
  boost::asio::awaitable<std::optional<Identity>> authenticate(std::string_view credential) const;
  /// The bearer token of an Authorization header, or nullopt.
  static std::optional<std::string_view> bearer(const http::Request& req);
  /// The credential a request presents: the token of `Authorization: Bearer`, else the value of
  /// `X-Api-Key` when that has the shape of an API key (it never carries a login token), else
  /// nullopt. Another Authorization scheme (e.g. Basic for a reverse proxy) is ignored.
  static std::optional<std::string_view> credential(const http::Request& req);
  /// Authenticates `?token=` (WebSocket upgrades); throws http::ApiError(unauthorized).
  boost::asio::awaitable<Identity> require_query_token(const http::Request& req) const;

  [[nodiscard]] int64_t now() const { return now_(); }
  /// A token was revoked (logout): it is refused from now on, not after the cache below expires.
  void forget(const std::string& jti) const;
  /// An API key was deleted: it is refused from now on, not after the cache below expires.
  void forget_api_key(const std::string& key_id) const;

 private:
  db::Database& db_;
  std::string key_;
  std::chrono::seconds ttl_;
  Clock now_;
  // Tokens the database confirmed (not revoked, user exists) in the last kConfirmedFor, by jti:
  // a dashboard or n8n making many requests costs one database round trip per second, not one
  // per request. Logout in this process removes the entry at once (forget()); another process
  // sharing the database sees a revocation within kConfirmedFor.
  // API keys the database confirmed, by key hash, in the same way; forget_api_key() removes them,
  // and bumps keys_generation_ so that a lookup that read the key before it was deleted does not
  // put it back.
  boost::asio::awaitable<std::optional<Identity>> authenticate_api_key(std::string_view key) const;
  struct ConfirmedKey {
    Identity identity;
    std::chrono::steady_clock::time_point at;
  };
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::chrono::steady_clock::time_point> confirmed_;
  mutable std::unordered_map<std::string, ConfirmedKey> confirmed_keys_;
  mutable std::uint64_t keys_generation_ = 0;
};

}  // namespace gw::auth

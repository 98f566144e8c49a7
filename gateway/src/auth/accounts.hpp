#pragma once
// Accounts: creation with a PIN, PIN login, profile, and token revocation (logout).
// The PIN is never stored: only HMAC-SHA256(pin key, PIN), in a unique column, so the database
// itself enforces uniqueness and a stolen database yields no logins.
// Every method takes a pooled connection: call it inside Database::run (blocking I/O).
// Thread safety: stateless apart from the key; safe from any thread.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "db/connection.hpp"

namespace gw::auth {

struct NewAccount {
  std::string user_id;
  std::string pin;
};

struct Profile {
  std::string user_id;
  std::string created_at;
  std::optional<std::string> last_login;
};

class Accounts {
 public:
  /// `make_pin` is injectable for tests (collisions); production uses generate_pin().
  explicit Accounts(std::string pin_key, std::function<std::string()> make_pin = {});

  /// Creates a user with a fresh unique PIN; retries when the database reports a collision.
  /// Throws db::DbError(unique_violation) after kMaxAttempts collisions in a row.
  NewAccount create(db::Connection& c) const;
  /// The user id for a PIN (and records the login time), or nullopt when no user has it.
  std::optional<std::string> login(db::Connection& c, std::string_view pin) const;
  std::optional<Profile> profile(db::Connection& c, const std::string& user_id) const;

  /// Marks a token id revoked until `expires_unix`.
  static void revoke(db::Connection& c, const std::string& jti, const std::string& user_id,
                     int64_t expires_unix);
  static bool is_revoked(db::Connection& c, const std::string& jti);
  /// Deletes revocations whose tokens have expired; returns how many.
  static int64_t prune_revoked(db::Connection& c, int64_t now_unix);
  /// Whether a user exists (a valid token of a deleted user is refused).
  static bool user_exists(db::Connection& c, const std::string& user_id);

  static constexpr int kMaxAttempts = 16;

 private:
  std::string pin_key_;
  std::function<std::string()> make_pin_;
};

}  // namespace gw::auth

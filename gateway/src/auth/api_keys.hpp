#pragma once
// API keys: named, long-lived credentials of one user for machine clients; n8n's
// HTTP Request node cannot log in again every 24 h. A key is "wag_" + base64url(32 CSPRNG bytes),
// 47 characters, shown once when it is created. The database keeps its SHA-256 and its first 12
// characters (the prefix, so that the owner can tell keys apart), never the key.
//
// Why a plain SHA-256, when the PIN gets a keyed hash (auth/pin.hpp): a PIN has 36^6 ≈ 2^31
// values, so a stolen table of unkeyed PIN hashes would be brute-forced in seconds; a key has 2^256
// values, so its SHA-256 can be neither inverted nor guessed, keyed or not, and a slow password
// hash would only cost every request time. Unkeyed also means that rotating JWT_SECRET or
// PIN_SECRET does not break the keys of every n8n workflow. The lookup is an indexed equality on
// the hash; its timing could at most reveal a hash prefix, which does not help to find a key.
//
// A key may be limited to some of its user's sessions. Deleting a session removes it from every
// key's list (a foreign-key cascade); the key stays limited, to fewer sessions or to none, and
// never becomes a key for all sessions.
//
// Every function that takes a connection does blocking I/O: call it inside Database::run.
// Thread safety: stateless; safe from any thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/pin.hpp"
#include "db/connection.hpp"

namespace gw::auth {

/// What every key starts with; it also tells an API key from a JWT in `Authorization: Bearer`.
inline constexpr std::string_view kApiKeyMarker = "wag_";
inline constexpr std::size_t kApiKeyRandomBytes = 32;
/// "wag_" + 43 base64url characters (32 bytes, unpadded).
inline constexpr std::size_t kApiKeyLength = 4 + 43;
/// Characters of the key kept in clear and shown in lists: "wag_" + 8.
inline constexpr std::size_t kApiKeyPrefixLength = 12;
/// Keys one user may hold at a time.
inline constexpr std::size_t kMaxApiKeysPerUser = 50;
/// Sessions one key may be limited to.
inline constexpr std::size_t kMaxApiKeySessions = 1000;
/// last_used_at is written at most this often per key (a request does not cost a write).
inline constexpr int64_t kApiKeyTouchEveryMs = 60'000;

/// A fresh key from the OpenSSL CSPRNG (or from `fill`, for tests).
std::string generate_api_key();
std::string generate_api_key(const RandomFill& fill);

/// True when `text` has the shape of a key: the marker and 43 base64url characters whose unused
/// trailing bits are zero. Says nothing about whether the key exists.
bool looks_like_api_key(std::string_view text) noexcept;

/// Hex (64 lower-case characters) SHA-256 of the key: the value stored and looked up.
std::string api_key_hash(std::string_view key);

/// A stored key, as its owner sees it (the key itself is never stored).
struct ApiKeyRecord {
  std::string id;  // UUID
  std::string user_id;
  std::string name;
  std::string prefix;
  /// nullopt: every session of the user; otherwise these (sorted; may be empty, see above).
  std::optional<std::vector<std::string>> session_ids;
  std::string created_at;
  std::optional<std::string> last_used_at;
};

/// A key just created: the record, and the key, which is shown this once.
struct NewApiKey {
  ApiKeyRecord record;
  std::string key;
};

/// Why a key was not created.
class ApiKeyError : public std::runtime_error {
 public:
  enum class Kind {
    too_many,         ///< the user already holds kMaxApiKeysPerUser keys
    unknown_session,  ///< session_id() is not a session of the user
  };
  ApiKeyError(Kind kind, const std::string& message, std::string session_id = {})
      : std::runtime_error(message), kind_(kind), session_id_(std::move(session_id)) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& session_id() const noexcept { return session_id_; }

 private:
  Kind kind_;
  std::string session_id_;
};

/// Creates a key named `name` (already validated and trimmed) for `user_id`, limited to
/// `session_ids` when given (lower-case UUIDs; duplicates are ignored). In one transaction: throws
/// ApiKeyError(unknown_session) naming the first id that is not one of the user's sessions, and
/// ApiKeyError(too_many) when the user already holds kMaxApiKeysPerUser keys (concurrent creations
/// cannot both pass the check).
NewApiKey create_api_key(db::Connection& c, const std::string& user_id, const std::string& name,
                         const std::optional<std::vector<std::string>>& session_ids,
                         int64_t now_ms);
/// The user's keys, newest first.
std::vector<ApiKeyRecord> list_api_keys(db::Connection& c, const std::string& user_id);
/// Deletes the user's key `key_id` (a UUID); false when the user has no such key.
bool delete_api_key(db::Connection& c, const std::string& user_id, const std::string& key_id);
/// The record of the key `key` when it exists (its user exists too: keys are deleted with their
/// user), else nullopt. Records the use in last_used_at when that is older than
/// kApiKeyTouchEveryMs.
std::optional<ApiKeyRecord> find_api_key(db::Connection& c, std::string_view key, int64_t now_ms);

}  // namespace gw::auth

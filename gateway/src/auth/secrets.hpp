#pragma once
// The server's secrets: the JWT signing key and the key of the PIN hash.
//   JWT key: JWT_SECRET, or in development a random key generated once and kept in
//            DATA_DIR/jwt_secret (mode 0600), so tokens survive a restart.
//   PIN key: PIN_SECRET (required when ENV=production, checked by the configuration). In
//            development without it: SECRETS_DIR/pin_secret (mode 0600), generated once, kept
//            apart from DATA_DIR so that a copy of the database and its directory does not carry
//            the key that makes the PIN hashes worth brute-forcing. An installation from before
//            (PIN key derived from DATA_DIR/jwt_secret) has that derived key moved there once,
//            so its PINs keep working. Changing the PIN key makes every stored PIN unusable.
#include <optional>
#include <string>

#include "config/config.hpp"

namespace gw::auth {

struct Secrets {
  std::string jwt_key;
  std::string pin_key;
};

/// Resolves both keys; throws std::runtime_error with a readable message on I/O failure.
Secrets resolve_secrets(const config::Config& cfg);

/// Reads <dir>/<name>, or creates it readable by the owner only, holding `initial` when given
/// (>= 32 characters), else 32 random bytes (hex).
std::string load_or_create_secret(const std::string& dir, const std::string& name,
                                  const std::optional<std::string>& initial = std::nullopt);

/// The PIN key an installation from before SECRETS_DIR used: derived from the JWT key.
std::string legacy_pin_key(const std::string& jwt_key);

}  // namespace gw::auth

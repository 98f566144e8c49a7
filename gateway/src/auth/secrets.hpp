#pragma once
// The server's secrets: the JWT signing key and the key of the PIN hash.
//   JWT key: JWT_SECRET, or in development a random key generated once and kept in
//            DATA_DIR/jwt_secret (mode 0600), so tokens survive a restart.
//   PIN key: PIN_SECRET when set, else derived from the JWT key. Changing the PIN key makes every
//            stored PIN unusable, so set PIN_SECRET before rotating JWT_SECRET.
#include <string>

#include "config/config.hpp"

namespace gw::auth {

struct Secrets {
  std::string jwt_key;
  std::string pin_key;
};

/// Resolves both keys; throws std::runtime_error with a readable message on I/O failure.
Secrets resolve_secrets(const config::Config& cfg);

/// Reads DATA_DIR/<name>, or creates it with 32 random bytes (hex) readable by the owner only.
std::string load_or_create_secret(const std::string& data_dir, const std::string& name);

}  // namespace gw::auth

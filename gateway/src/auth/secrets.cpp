#include "auth/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "auth/crypto.hpp"
#include "util/strings.hpp"

namespace gw::auth {

std::string load_or_create_secret(const std::string& dir, const std::string& name,
                                  const std::optional<std::string>& initial) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  fs::path path = fs::path(dir) / name;
  {
    std::ifstream in(path);
    std::string value;
    if (in && std::getline(in, value) && util::trim(value).size() >= 32) {
      return std::string(util::trim(value));
    }
  }
  std::string secret;
  if (initial && initial->size() >= 32) {
    secret = *initial;
  } else {
    std::array<std::uint8_t, 32> bytes{};
    random_fill(bytes);
    secret = hex_encode(bytes);
  }
  // Write to a private temp file, then rename: a crash never leaves a half-written secret, and
  // two processes starting at once end up agreeing on one file.
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp.string());
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    // Someone else created it first: use theirs.
    ::unlink(tmp.c_str());
    std::ifstream in(path);
    std::string value;
    if (in && std::getline(in, value) && util::trim(value).size() >= 32) {
      return std::string(util::trim(value));
    }
    throw std::runtime_error("cannot create " + path.string());
  }
  ::unlink(tmp.c_str());
  return secret;
}

std::string legacy_pin_key(const std::string& jwt_key) {
  return hex_encode(hmac_sha256(jwt_key, "wa-gateway/pin-hash/v1"));
}

Secrets resolve_secrets(const config::Config& cfg) {
  namespace fs = std::filesystem;
  Secrets s;
  // Before anything is created: an installation from before SECRETS_DIR has a generated JWT key
  // and no PIN key file; its PIN hashes are keyed by the key derived from the JWT key.
  std::error_code ec;
  const bool legacy = cfg.jwt_secret.empty() && cfg.pin_secret.empty() &&
                      fs::exists(fs::path(cfg.data_dir) / "jwt_secret", ec) &&
                      !fs::exists(fs::path(cfg.secrets_dir) / "pin_secret", ec);
  s.jwt_key =
      cfg.jwt_secret.empty() ? load_or_create_secret(cfg.data_dir, "jwt_secret") : cfg.jwt_secret;
  if (!cfg.pin_secret.empty()) {
    s.pin_key = cfg.pin_secret;
  } else {
    // Development only (the configuration refuses production without PIN_SECRET).
    s.pin_key = load_or_create_secret(
        cfg.secrets_dir, "pin_secret",
        legacy ? std::optional<std::string>(legacy_pin_key(s.jwt_key)) : std::nullopt);
  }
  return s;
}

}  // namespace gw::auth

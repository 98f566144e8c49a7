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

std::string load_or_create_secret(const std::string& data_dir, const std::string& name) {
  namespace fs = std::filesystem;
  fs::create_directories(data_dir);
  fs::path path = fs::path(data_dir) / name;
  {
    std::ifstream in(path);
    std::string value;
    if (in && std::getline(in, value) && util::trim(value).size() >= 32) {
      return std::string(util::trim(value));
    }
  }
  std::array<std::uint8_t, 32> bytes{};
  random_fill(bytes);
  std::string secret = hex_encode(bytes);
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

Secrets resolve_secrets(const config::Config& cfg) {
  Secrets s;
  s.jwt_key =
      cfg.jwt_secret.empty() ? load_or_create_secret(cfg.data_dir, "jwt_secret") : cfg.jwt_secret;
  if (!cfg.pin_secret.empty()) {
    s.pin_key = cfg.pin_secret;
  } else {
    auto mac = hmac_sha256(s.jwt_key, "wa-gateway/pin-hash/v1");
    s.pin_key = hex_encode(mac);
  }
  return s;
}

}  // namespace gw::auth

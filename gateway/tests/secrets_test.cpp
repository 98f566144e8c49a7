// Where the secrets come from: PIN_SECRET, a generated PIN key apart from DATA_DIR, and the
// one-time move of an older installation's derived key.
#include "auth/secrets.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace gw;
namespace fs = std::filesystem;

namespace {
struct TempDirs {
  TempDirs() {
    root = fs::temp_directory_path() /
           ("gw-secrets-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root);
    fs::create_directories(root);
    cfg.data_dir = (root / "data").string();
    cfg.secrets_dir = (root / "secrets").string();
  }
  ~TempDirs() { fs::remove_all(root); }
  static inline int counter = 0;
  fs::path root;
  config::Config cfg;
};

std::string read_line(const fs::path& p) {
  std::ifstream in(p);
  std::string s;
  std::getline(in, s);
  return s;
}
}  // namespace

TEST(Secrets, DevelopmentPinKeyIsGeneratedApartFromTheDatabase) {
  TempDirs t;
  const auto first = auth::resolve_secrets(t.cfg);
  EXPECT_EQ(first.pin_key.size(), 64U);
  EXPECT_EQ(read_line(fs::path(t.cfg.secrets_dir) / "pin_secret"), first.pin_key);
  EXPECT_FALSE(fs::exists(fs::path(t.cfg.data_dir) / "pin_secret"));
  // Not derivable from what DATA_DIR holds.
  EXPECT_NE(first.pin_key, auth::legacy_pin_key(first.jwt_key));
  EXPECT_EQ(fs::status(fs::path(t.cfg.secrets_dir) / "pin_secret").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // Stable across restarts.
  EXPECT_EQ(auth::resolve_secrets(t.cfg).pin_key, first.pin_key);
}

TEST(Secrets, OlderInstallationKeepsItsPins) {
  TempDirs t;
  fs::create_directories(t.cfg.data_dir);
  std::ofstream(fs::path(t.cfg.data_dir) / "jwt_secret") << std::string(64, 'a') << "\n";
  const auto s = auth::resolve_secrets(t.cfg);
  EXPECT_EQ(s.pin_key, auth::legacy_pin_key(std::string(64, 'a')));
  EXPECT_EQ(read_line(fs::path(t.cfg.secrets_dir) / "pin_secret"), s.pin_key);
  EXPECT_EQ(auth::resolve_secrets(t.cfg).pin_key, s.pin_key);
}

TEST(Secrets, PinSecretWinsAndNothingIsWritten) {
  TempDirs t;
  t.cfg.pin_secret = std::string(40, 'p');
  t.cfg.jwt_secret = std::string(40, 'j');
  const auto s = auth::resolve_secrets(t.cfg);
  EXPECT_EQ(s.pin_key, std::string(40, 'p'));
  EXPECT_EQ(s.jwt_key, std::string(40, 'j'));
  EXPECT_FALSE(fs::exists(t.cfg.secrets_dir));
}

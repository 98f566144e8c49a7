#pragma once
// Throwaway databases for tests: a SQLite file in a temp dir, or a fresh PostgreSQL database on
// the server named by TEST_DATABASE_URL (started by scripts/test.sh). With REQUIRE_POSTGRES=1 a
// missing TEST_DATABASE_URL fails the PostgreSQL tests instead of skipping them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "db/database.hpp"

namespace gw::testing {

inline std::string random_suffix() {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() % 1'000'000'000'000ULL);
}

class TestDatabase {
 public:
  explicit TestDatabase(db::Dialect dialect, db::PoolOptions opts = {}) : dialect_(dialect) {
    if (dialect == db::Dialect::sqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("gwtest-" + random_suffix());
      std::filesystem::create_directories(dir_);
      db_ = db::Database::open((dir_ / "test.db").string(), "", opts);
      return;
    }
    const char* base = std::getenv("TEST_DATABASE_URL");
    if (!base || !*base) return;
    admin_url_ = base;
    name_ = "gwtest_" + random_suffix();
    db::open_postgres(admin_url_)->query("CREATE DATABASE " + name_);
    auto q = admin_url_.find('?');
    std::string without_query = admin_url_.substr(0, q);
    auto slash = without_query.rfind('/');
    url_ = without_query.substr(0, slash + 1) + name_ +
           (q == std::string::npos ? "" : admin_url_.substr(q));
    db_ = db::Database::open("", url_, opts);
  }
  ~TestDatabase() {
    if (db_) db_->close();
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!name_.empty()) {
      try {
        db::open_postgres(admin_url_)->query("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
      }
    }
  }
  /// False when PostgreSQL was asked for and is not configured (the test should skip).
  [[nodiscard]] bool available() const { return db_ != nullptr; }
  db::Database& db() { return *db_; }
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  db::Dialect dialect_;
  std::filesystem::path dir_;
  std::string admin_url_, name_, url_;
  std::unique_ptr<db::Database> db_;
};

inline std::string dialect_label(const ::testing::TestParamInfo<db::Dialect>& info) {
  return info.param == db::Dialect::sqlite ? "sqlite" : "postgres";
}

// Skips (or fails, with REQUIRE_POSTGRES=1) when PostgreSQL is not available.
#define GW_REQUIRE_DB(tdb)                                                          \
  do {                                                                              \
    if (!(tdb).available()) {                                                       \
      const char* req = std::getenv("REQUIRE_POSTGRES");                            \
      if (req && std::string(req) == "1") FAIL() << "TEST_DATABASE_URL is not set"; \
      GTEST_SKIP() << "TEST_DATABASE_URL not set";                                  \
    }                                                                               \
  } while (0)

}  // namespace gw::testing

// The device-store contract run against SqliteStore (a temporary file, reopened for durability),
// plus SQLite-specific checks: tool settings, schema version, a corrupt file.
#include "wa/store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "store/store_contract.hpp"

namespace wa::store::contract {

namespace {
std::filesystem::path temp_db_path() {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path() /
         ("wa_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".db");
}
void remove_db(const std::filesystem::path& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(p.string() + suffix, ec);
  }
}
}  // namespace

struct SqliteStoreFactory {
  std::filesystem::path path = temp_db_path();
  ~SqliteStoreFactory() { remove_db(path); }
  std::unique_ptr<DeviceStore> make() {
    auto s = SqliteStore::open(path.string());
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<DeviceStore> reopen() { return make(); }
};

using SqliteImpls = ::testing::Types<SqliteStoreFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, DeviceStoreContract, SqliteImpls);

TEST(SqliteStore, MetaSurvivesReopenAndWipe) {
  SqliteStoreFactory f;
  {
    auto s = SqliteStore::open(f.path.string());
    ASSERT_TRUE(s.ok());
    EXPECT_FALSE((*s)->get_meta("url")->has_value());
    ASSERT_TRUE((*s)->set_meta("url", "ws://127.0.0.1:1234").ok());
    ASSERT_TRUE((*s)->set_meta("url", "ws://127.0.0.1:5678").ok());
    ASSERT_TRUE((*s)->wipe().ok());
  }
  auto s = SqliteStore::open(f.path.string());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*(*s)->get_meta("url"), std::optional<std::string>("ws://127.0.0.1:5678"));
}

TEST(SqliteStore, InMemoryDatabaseWorks) {
  auto s = SqliteStore::open(":memory:");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_TRUE((*s)->save_device(sample_device()).ok());
  EXPECT_EQ(*(*s)->load_device(), std::optional<DeviceRecord>(sample_device()));
}

TEST(SqliteStore, RejectsNewerSchemaAndGarbage) {
  SqliteStoreFactory f;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(f.path.string().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto s = SqliteStore::open(f.path.string());
  EXPECT_EQ(s.code(), StoreErrc::corrupt);

  SqliteStoreFactory g;
  {
    std::FILE* fp = std::fopen(g.path.string().c_str(), "wb");
    ASSERT_NE(fp, nullptr);
    std::fputs("this is not a database, it is only text that is long enough to look like a header",
               fp);
    std::fclose(fp);
  }
  auto t = SqliteStore::open(g.path.string());
  EXPECT_EQ(t.code(), StoreErrc::backend);
}

TEST(SqliteStore, CorruptKeyLengthIsTypedError) {
  SqliteStoreFactory f;
  auto s = SqliteStore::open(f.path.string());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->save_device(sample_device()).ok());
  ASSERT_TRUE((*s)->identities().put_identity({"a", 1}, key_of(1)).ok());
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(f.path.string().c_str(), &db), SQLITE_OK);
    // Bypass the CHECK constraints the way a foreign tool could.
    ASSERT_EQ(sqlite3_exec(
                  db, "PRAGMA ignore_check_constraints = 1; UPDATE device SET jid = 'no-at-sign';",
                  nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_EQ((*s)->load_device().code(), StoreErrc::corrupt);
}

}  // namespace wa::store::contract

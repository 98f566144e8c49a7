// The library's DeviceStore contract suite against the gateway's SQL store, on SQLite and on
// PostgreSQL (TEST_DATABASE_URL, started by scripts/test.sh).
#include "wa_store/sql_device_store.hpp"

#include <cstdlib>

#include "auth/crypto.hpp"
#include "db/migrations.hpp"
#include "store/store_contract.hpp"
#include "test_db.hpp"

namespace {

// One database per test, migrated, with a user and a gateway session that owns the device.
template <gw::db::Dialect D>
struct SqlStoreFactory {
  SqlStoreFactory() : db(D) {
    if (!db.available()) return;
    gw::db::Migrator(db.db()).up();
    db.db().with_connection([&](gw::db::Connection& c) {
      std::string user = gw::auth::uuid_v4();
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)", {user, std::string(64, 'a')});
      c.query("INSERT INTO sessions (id, user_id, session_name, webhook_url) VALUES (?, ?, ?, ?)",
              {session, user, std::string("bot"), std::string("http://127.0.0.1:5678/webhook")});
    });
  }
  std::unique_ptr<wa::store::DeviceStore> make() {
    if (!db.available()) {
      ADD_FAILURE() << "TEST_DATABASE_URL is not set (scripts/test.sh starts a PostgreSQL)";
      return nullptr;
    }
    return std::make_unique<gw::wa_store::SqlDeviceStore>(db.db(), session);
  }
  std::unique_ptr<wa::store::DeviceStore> reopen() { return make(); }

  gw::testing::TestDatabase db;
  std::string session = gw::auth::uuid_v4();
};

}  // namespace

namespace wa::store::contract {
using GatewaySqlStores = ::testing::Types<SqlStoreFactory<gw::db::Dialect::sqlite>,
                                          SqlStoreFactory<gw::db::Dialect::postgres>>;
INSTANTIATE_TYPED_TEST_SUITE_P(GatewaySql, DeviceStoreContract, GatewaySqlStores);
}  // namespace wa::store::contract

// Deleting the gateway session deletes its device and Signal state.
TEST(SqlDeviceStore, RowsGoWithTheirSession) {
  SqlStoreFactory<gw::db::Dialect::sqlite> f;
  auto store = f.make();
  ASSERT_TRUE(store->save_device(wa::store::contract::sample_device()).ok());
  std::array<std::uint8_t, 3> rec{1, 0, 2};
  ASSERT_TRUE(store->sessions().put_session({"123", 1}, rec).ok());
  f.db.db().with_connection([&](gw::db::Connection& c) {
    c.query("DELETE FROM sessions WHERE id = ?", {f.session});
    EXPECT_EQ(c.query("SELECT COUNT(*) FROM wa_devices").rows.at(0).integer(0), 0);
    EXPECT_EQ(c.query("SELECT COUNT(*) FROM wa_signal_sessions").rows.at(0).integer(0), 0);
  });
}

// The LID map cache (docs/BENCHMARKS.md "Incoming pipeline"): a pair the library states again
// with every message writes nothing; replacements, rollbacks and rolled-back savepoints leave
// nothing stale in it. On both databases: a trigger counts the rows written.
template <typename F>
void lid_cache_case(F& f) {
  using wa::store::LidMapping;
  using wa::store::StoreResult;
  auto owned = f.make();
  ASSERT_TRUE(owned);
  auto& store = *owned;
  auto& map = store.lid_map();
  const bool pg = f.db.db().dialect() == gw::db::Dialect::postgres;
  f.db.db().with_connection([&](gw::db::Connection& c) {
    c.execute_script(
        "CREATE TABLE lid_writes (n INTEGER NOT NULL); INSERT INTO lid_writes VALUES (0)");
    c.execute_script(pg ? "CREATE FUNCTION count_lid() RETURNS trigger AS $$ BEGIN "
                          "UPDATE lid_writes SET n = n + 1; RETURN NEW; END $$ LANGUAGE plpgsql; "
                          "CREATE TRIGGER lid_count AFTER INSERT ON wa_lid_map FOR EACH ROW "
                          "EXECUTE FUNCTION count_lid()"
                        : "CREATE TRIGGER lid_count AFTER INSERT ON wa_lid_map "
                          "BEGIN UPDATE lid_writes SET n = n + 1; END");
  });
  auto writes = [&] {
    return f.db.db().with_connection([](gw::db::Connection& c) {
      return c.query("SELECT n FROM lid_writes").rows.at(0).integer(0);
    });
  };
  const LidMapping a{"111", "62811"}, b{"222", "62811"}, c{"333", "62833"}, d{"444", "62844"};
  ASSERT_TRUE(map.put_lid_mappings({&a, 1}).ok());
  for (int i = 0; i < 20; ++i) {
    // As per message: inside the message's transaction.
    ASSERT_TRUE(
        store.transaction([&]() -> StoreResult<void> {
               return map.put_lid_mappings({&a, 1});
             })
            .ok());
  }
  EXPECT_EQ(writes(), 1) << "a known pair was written again";
  EXPECT_EQ(*map.pn_for_lid("111"), std::optional<std::string>("62811"));

  // b takes a's phone number: a is gone, from the cache too.
  ASSERT_TRUE(map.put_lid_mappings({&b, 1}).ok());
  EXPECT_EQ(*map.lid_for_pn("62811"), std::optional<std::string>("222"));
  EXPECT_EQ(*map.pn_for_lid("111"), std::nullopt);
  ASSERT_TRUE(map.put_lid_mappings({&a, 1}).ok());  // a again: written, b gone
  EXPECT_EQ(writes(), 3);
  EXPECT_EQ(*map.pn_for_lid("222"), std::nullopt);

  // A transaction that fails after writing c: c is not known.
  auto failed = store.transaction([&]() -> StoreResult<void> {
    if (auto r = map.put_lid_mappings({&c, 1}); !r) return r;
    return wa::store::StoreError{wa::store::StoreErrc::backend, "boom"};
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(*map.pn_for_lid("333"), std::nullopt);
  ASSERT_TRUE(map.put_lid_mappings({&c, 1}).ok());
  EXPECT_EQ(writes(), 4) << "c written once (its rolled-back write counted nothing)";

  // A transaction in which b takes the phone number back from a, and a savepoint inside it writes
  // d and is rolled back; the transaction commits.
  ASSERT_TRUE(store
                  .transaction([&]() -> StoreResult<void> {
                    if (auto r = map.put_lid_mappings({&b, 1}); !r) return r;
                    auto inner = store.transaction([&]() -> StoreResult<void> {
                      if (auto r = map.put_lid_mappings({&d, 1}); !r) return r;
                      return wa::store::StoreError{wa::store::StoreErrc::backend, "inner"};
                    });
                    EXPECT_FALSE(inner.ok());
                    return {};
                  })
                  .ok());
  EXPECT_EQ(*map.pn_for_lid("111"), std::nullopt) << "a stale pair was served from the cache";
  EXPECT_EQ(*map.lid_for_pn("62811"), std::optional<std::string>("222"));
  EXPECT_EQ(*map.pn_for_lid("444"), std::nullopt);

  // The device wiped: nothing is known.
  ASSERT_TRUE(store.wipe().ok());
  EXPECT_EQ(*map.pn_for_lid("222"), std::nullopt);
  EXPECT_EQ(*map.lid_for_pn("62833"), std::nullopt);
}

TEST(SqlDeviceStore, LidMapCacheSqlite) {
  SqlStoreFactory<gw::db::Dialect::sqlite> f;
  lid_cache_case(f);
}

TEST(SqlDeviceStore, LidMapCachePostgres) {
  SqlStoreFactory<gw::db::Dialect::postgres> f;
  GW_REQUIRE_DB(f.db);
  lid_cache_case(f);
}

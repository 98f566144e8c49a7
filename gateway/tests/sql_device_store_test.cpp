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

// Cluster mode's leases on a real PostgreSQL (docs/CLUSTER.md): one owner per session, epochs
// that fence the old owner's writes (also the device store's), a claim that waits for a write in
// flight, release, and the routes that run on the owner. Two Cluster objects stand for two nodes.
#include "cluster/cluster.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <future>
#include <thread>

#include "auth/accounts.hpp"
#include "auth/crypto.hpp"
#include "config/config.hpp"
#include "db/migrations.hpp"
#include "http/router.hpp"
#include "sessions/repository.hpp"
#include "test_db.hpp"
#include "wa_store/sql_device_store.hpp"

using namespace gw;
using gw::testing::TestDatabase;

namespace {

struct Node {
  Node(TestDatabase& t, const std::string& id) {
    cluster::Options o;
    o.node_id = id;
    o.database_url = t.url();
    o.ttl = std::chrono::milliseconds(4000);
    o.renew = std::chrono::milliseconds(1000);
    c = std::make_unique<cluster::Cluster>(o, t.db(), hub, io.get_executor());
  }
  boost::asio::io_context io;
  events::Hub hub;
  std::unique_ptr<cluster::Cluster> c;
};

class ClusterLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!t.available()) {
      if (const char* r = std::getenv("REQUIRE_POSTGRES"); r && std::string(r) == "1")
        FAIL() << "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set";
      GTEST_SKIP() << "TEST_DATABASE_URL not set";
    }
    db::Migrator(t.db()).up();
    auth::Accounts accounts(std::string(32, 'k'));
    t.db().with_connection([&](db::Connection& c) {
      auto user = accounts.create(c).user_id;
      id = auth::uuid_v4();
      sessions::repo::insert(c, id, user, "leased", "https://n8n.example.com/webhook", 1);
    });
  }
  // Moves the lease's expiry into the past, as if its owner had stopped renewing it.
  void expire() {
    t.db().with_connection([&](db::Connection& c) {
      c.query(
          "UPDATE session_leases SET expires_at = now() - INTERVAL '1 second' "
          "WHERE session_id = ?",
          {id});
    });
  }
  std::string owner() {
    return t.db().with_connection([&](db::Connection& c) {
      return c.query("SELECT node_id FROM session_leases WHERE session_id = ?", {id})
          .rows.at(0)
          .text(0);
    });
  }

  TestDatabase t{db::Dialect::postgres};
  std::string id;
};

TEST_F(ClusterLeaseTest, OneOwnerAtATimeAndEpochsFenceTheOldOne) {
  Node a(t, "node-a"), b(t, "node-b");
  const auto epoch_a =
      t.db().with_connection([&](db::Connection& c) { return a.c->acquire(c, id); });
  EXPECT_EQ(epoch_a, 1);
  EXPECT_EQ(owner(), "node-a");
  EXPECT_TRUE(a.c->may_connect(id));
  EXPECT_FALSE(b.c->may_connect(id));
  // A live lease of another node is not taken.
  t.db().with_connection([&](db::Connection& c) {
    EXPECT_THROW(b.c->acquire(c, id), sessions::SessionError);
    // Acquiring again on the owner keeps the epoch.
    EXPECT_EQ(a.c->acquire(c, id), epoch_a);
    db::Transaction tx(c);
    EXPECT_NO_THROW(a.c->fence(c, id, epoch_a));
    EXPECT_THROW(b.c->fence(c, id, epoch_a), db::DbError);
  });
  // Expired: node B takes it with the next epoch, and node A's writes are refused from then on.
  expire();
  const auto epoch_b =
      t.db().with_connection([&](db::Connection& c) { return b.c->acquire(c, id); });
  EXPECT_EQ(epoch_b, epoch_a + 1);
  EXPECT_EQ(owner(), "node-b");
  t.db().with_connection([&](db::Connection& c) {
    db::Transaction tx(c);
    EXPECT_THROW(a.c->fence(c, id, epoch_a), db::DbError);
  });
  // The refused write made node A drop the session.
  EXPECT_FALSE(a.c->may_connect(id));
  t.db().with_connection([&](db::Connection& c) {
    db::Transaction tx(c);
    EXPECT_NO_THROW(b.c->fence(c, id, epoch_b));
    // An old epoch of the right node is refused too.
    EXPECT_THROW(b.c->fence(c, id, epoch_a), db::DbError);
  });
}

TEST_F(ClusterLeaseTest, ReleaseLetsAnotherNodeTakeItAtOnceWithANewEpoch) {
  Node a(t, "node-a"), b(t, "node-b");
  t.db().with_connection([&](db::Connection& c) {
    auto e1 = a.c->acquire(c, id);
    a.c->release(c, id);
    EXPECT_FALSE(a.c->may_connect(id));
    auto e2 = b.c->acquire(c, id);
    EXPECT_EQ(e2, e1 + 1);  // epochs never repeat, also after a release
  });
  EXPECT_EQ(owner(), "node-b");
}

// A claim takes the lease row FOR UPDATE; a write of the old owner holds it FOR KEY SHARE until
// it commits. So the claim waits for the write in flight, and that write is the old owner's last.
TEST_F(ClusterLeaseTest, AClaimWaitsForTheOldOwnersWriteInFlight) {
  Node a(t, "node-a"), b(t, "node-b");
  const auto epoch_a =
      t.db().with_connection([&](db::Connection& c) { return a.c->acquire(c, id); });
  auto writer = db::open_postgres(t.url());
  writer->begin();
  a.c->fence(*writer, id, epoch_a);
  expire();
  auto claim = std::async(std::launch::async, [&] {
    return t.db().with_connection([&](db::Connection& c) { return b.c->acquire(c, id); });
  });
  EXPECT_EQ(claim.wait_for(std::chrono::milliseconds(500)), std::future_status::timeout)
      << "the claim did not wait for the old owner's open write";
  writer->query("UPDATE sessions SET status_detail = 'last write of node-a' WHERE id = ?", {id});
  writer->commit();
  EXPECT_EQ(claim.get(), epoch_a + 1);
  writer->begin();
  EXPECT_THROW(a.c->fence(*writer, id, epoch_a), db::DbError);
  writer->rollback();
}

// The device store of a session checks the fence in every write transaction: once another node
// holds the lease, the old owner cannot change the session's keys.
TEST_F(ClusterLeaseTest, TheDeviceStoreRefusesWritesOfAStaleOwner) {
  Node a(t, "node-a"), b(t, "node-b");
  const auto epoch_a =
      t.db().with_connection([&](db::Connection& c) { return a.c->acquire(c, id); });
  wa_store::SqlDeviceStore store(t.db(), id);
  store.set_fence([&](db::Connection& c) { a.c->fence(c, id, epoch_a); });
  wa::store::LidMapping m{"111111111111111", "6281234567890"};
  ASSERT_TRUE(store.lid_map().put_lid_mappings(std::span(&m, 1)).ok());
  expire();
  t.db().with_connection([&](db::Connection& c) { b.c->acquire(c, id); });
  wa::store::LidMapping m2{"222222222222222", "6281234567891"};
  auto refused = store.lid_map().put_lid_mappings(std::span(&m2, 1));
  EXPECT_FALSE(refused.ok());
  auto in_tx = store.transaction([&]() -> wa::store::StoreResult<void> { return {}; });
  EXPECT_FALSE(in_tx.ok());
  auto pn = store.lid_map().pn_for_lid("222222222222222");
  ASSERT_TRUE(pn.ok());
  EXPECT_FALSE(pn->has_value()) << "a refused write was stored";
}

TEST(ClusterRoutes, OnlySessionRoutesThatNeedTheLiveConnectionRunOnTheOwner) {
  auto route = [](std::string method, std::string pattern) {
    http::Route r;
    r.method = std::move(method);
    r.pattern = std::move(pattern);
    return r;
  };
  EXPECT_TRUE(cluster::runs_on_owner(route("POST", "/api/v1/sessions/:id/send")));
  EXPECT_TRUE(cluster::runs_on_owner(route("POST", "/api/v1/sessions/:id/start")));
  EXPECT_TRUE(cluster::runs_on_owner(route("GET", "/api/v1/sessions/:id")));
  EXPECT_TRUE(cluster::runs_on_owner(route("DELETE", "/api/v1/sessions/:id")));
  EXPECT_FALSE(cluster::runs_on_owner(route("GET", "/api/v1/sessions")));
  EXPECT_FALSE(cluster::runs_on_owner(route("GET", "/api/v1/sessions/:id/messages")));
  EXPECT_FALSE(cluster::runs_on_owner(route("GET", "/api/v1/analytics/sessions/:id")));
}

TEST(ClusterRebalance, HandsOverOnlyTheSurplusOfSettledSessionsThatDoNotPair) {
  using namespace std::chrono_literals;
  const auto now = std::chrono::steady_clock::now();
  std::vector<cluster::HeldSession> held;
  // 15 sessions taken 10 s apart, the last one 60 s ago.
  for (int i = 0; i < 15; ++i)
    held.push_back({"s" + std::to_string(i), now - 200s + i * 10s, true});
  // Share 10 (30 running over 3 nodes): the limit is 11, so 4 go, the most recently taken first.
  EXPECT_EQ(cluster::choose_surplus(held, 10, now, 30s, 10),
            (std::vector<std::string>{"s14", "s13", "s12", "s11"}));
  // At most `batch` per round.
  EXPECT_EQ(cluster::choose_surplus(held, 10, now, 30s, 2),
            (std::vector<std::string>{"s14", "s13"}));
  // At or under share + 1: nothing.
  EXPECT_TRUE(cluster::choose_surplus(held, 14, now, 30s, 10).empty());
  EXPECT_TRUE(cluster::choose_surplus(held, 15, now, 30s, 10).empty());
  // A session that pairs stays, and so does one taken less than `settled` ago.
  held[14].movable = false;
  held[13].since = now - 5s;
  EXPECT_EQ(cluster::choose_surplus(held, 10, now, 30s, 10),
            (std::vector<std::string>{"s12", "s11", "s10", "s9"}));
  // Not enough movable sessions: only those go.
  for (auto& h : held) h.movable = h.id == "s3";
  EXPECT_EQ(cluster::choose_surplus(held, 10, now, 30s, 10), (std::vector<std::string>{"s3"}));
}

TEST(ClusterRebalance, GivesAwayNoMoreThanTheOthersCanTakeUnderTheirCaps) {
  // 30 sessions, 3 nodes: share 10, limit 11. node-a holds 17 after node-c came back.
  std::vector<cluster::LiveNode> nodes{{"node-a", 0, 17}, {"node-b", 0, 13}, {"node-c", 0, 0}};
  EXPECT_EQ(cluster::room_of_others(nodes, 10, "node-a"), 11);  // node-c: 11, node-b: none
  nodes[2].max_sessions = 4;                                    // node-c takes at most 4
  EXPECT_EQ(cluster::room_of_others(nodes, 10, "node-a"), 4);
  nodes[2].held = 4;
  EXPECT_EQ(cluster::room_of_others(nodes, 10, "node-a"), 0);
  nodes[1].held = 9;  // node-b has room up to 11
  EXPECT_EQ(cluster::room_of_others(nodes, 10, "node-a"), 2);
  EXPECT_EQ(cluster::room_of_others(nodes, 10, "node-b"), 0) << "node-a is over, node-c full";
  // What the surplus comes to with that room: 2, though node-a is 6 over.
  std::vector<cluster::HeldSession> held;
  const auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < 17; ++i)
    held.push_back({"s" + std::to_string(i), now - std::chrono::minutes(10), true});
  EXPECT_EQ(cluster::choose_surplus(held, 10, now, std::chrono::seconds(30),
                                    std::min(10, cluster::room_of_others(nodes, 10, "node-a")))
                .size(),
            2U);
}

TEST(ClusterConfig, NeedsPostgresAndARenewalWellInsideTheLease) {
  auto sqlite = config::load({{"CLUSTER_ENABLED", "true"}});
  ASSERT_TRUE(std::holds_alternative<config::ConfigError>(sqlite));
  EXPECT_EQ(std::get<config::ConfigError>(sqlite).variable, "CLUSTER_ENABLED");
  auto renew = config::load({{"CLUSTER_ENABLED", "true"},
                             {"DATABASE_URL", "postgres://u@localhost/db"},
                             {"LEASE_TTL_SECONDS", "4"},
                             {"LEASE_RENEW_SECONDS", "2"}});
  ASSERT_TRUE(std::holds_alternative<config::ConfigError>(renew));
  EXPECT_EQ(std::get<config::ConfigError>(renew).variable, "LEASE_RENEW_SECONDS");
  auto ok = config::load({{"CLUSTER_ENABLED", "true"},
                          {"DATABASE_URL", "postgres://u@localhost/db"},
                          {"NODE_ID", "gw-1.eu_west"},
                          {"LEASE_TTL_SECONDS", "4"},
                          {"LEASE_RENEW_SECONDS", "500ms"}});
  ASSERT_TRUE(std::holds_alternative<config::Config>(ok));
  EXPECT_EQ(std::get<config::Config>(ok).lease_renew, std::chrono::milliseconds(500));
  EXPECT_TRUE(std::get<config::Config>(ok).cluster_rebalance) << "rebalancing is on by default";
  auto fixed = config::load({{"CLUSTER_REBALANCE", "false"}});
  ASSERT_TRUE(std::holds_alternative<config::Config>(fixed));
  EXPECT_FALSE(std::get<config::Config>(fixed).cluster_rebalance);
  auto bad_id = config::load({{"NODE_ID", "no spaces"}});
  ASSERT_TRUE(std::holds_alternative<config::ConfigError>(bad_id));
}

}  // namespace

#include "sessions/manager.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <future>
#include <thread>

#include "events/translate.hpp"
#include "inbound/inbound.hpp"
#include "log/log.hpp"
#include "outbound/message_log.hpp"
#include "sessions/qr_image.hpp"
#include "util/coro.hpp"
#include "util/time.hpp"
#include "wa/socket/kill_switch.hpp"
#include "wa_store/sql_device_store.hpp"

namespace gw::sessions {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using wa::client::DisconnectReason;

namespace {

int64_t now_ms() {
  return util::unix_millis_now();
}

// A message whose store fails makes the session reconnect (WhatsApp re-sends it at login) at most
// this many times.
constexpr int kMaxRedeliveries = 3;

// How long a group's subject is reused before WhatsApp is asked again (subjects rarely change).
constexpr auto kGroupNameTtl = std::chrono::minutes(10);

// status_reason for a connection that ended for good (no automatic reconnect).
std::string terminal_reason(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::logged_out:
    case DisconnectReason::main_device_gone:
      return "logged_out";
    case DisconnectReason::banned:
      return "banned";
    case DisconnectReason::temporarily_banned:
      return "temporarily_banned";
    case DisconnectReason::replaced:
      return "replaced";
    case DisconnectReason::client_outdated:
      return "client_outdated";
    case DisconnectReason::qr_timeout:
      return "qr_timeout";
    case DisconnectReason::user_requested:
      return "stopped";
    case DisconnectReason::connect_failed:
      return "connect_failed";
    case DisconnectReason::bad_user_agent:
    case DisconnectReason::rejected:
      return "rejected";
    case DisconnectReason::restart_required:
    case DisconnectReason::transient:
    case DisconnectReason::keepalive_timeout:
      return "connection_lost";  // only when auto-reconnect is off
  }
  return "disconnected";
}

// Terminal reasons after which the session should not come back by itself at the next start-up.
bool stays_stopped(const std::string& reason) {
  return reason == "logged_out" || reason == "banned" || reason == "replaced" ||
         reason == "qr_timeout" || reason == "stopped";
}

std::string describe(const wa::client::Disconnected& d) {
  std::string s(wa::client::to_string(d.reason));
  if (d.code) s += " (" + std::to_string(d.code) + ")";
  if (!d.detail.empty()) s += ": " + d.detail;
  return s;
}

// Sets keys of a JSON object held as text (device_info).
std::string merge_json(const std::optional<std::string>& text, const boost::json::object& add) {
  boost::json::object o;
  if (text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (!ec && v.is_object()) o = v.as_object();
  }
  for (const auto& [k, v] : add) o[k] = v;
  return boost::json::serialize(o);
}

void clear_qr(Snapshot& s) {
  s.qr_text.clear();
  s.qr_png.clear();
}

// Nothing to scan or type any more (linked, stopped or ended).
void clear_pairing(Snapshot& s) {
  clear_qr(s);
  s.pair_code.clear();
}

bool settled(const Snapshot& s) {
  if (!s.running || s.status == "connected") return true;
  if (s.status == "qr") return !s.qr_text.empty() || !s.pair_code.empty();
  return s.reason && *s.reason != "connecting" && *s.reason != "reconnecting";
}

events::SessionStatus status_event(const Snapshot& s) {
  events::SessionStatus e;
  e.session_id = s.id;
  e.status = s.status;
  e.reason = s.reason;
  e.detail = s.detail;
  e.phone_number = s.phone_number;
  e.device_info = events::json_or_null(s.device_info);
  return e;
}

}  // namespace

// --- per-session state --------------------------------------------------------------------------

struct Manager::Runtime {
  Runtime(asio::thread_pool& pool, std::string i, std::string u)
      : id(std::move(i)), user_id(std::move(u)), strand(asio::make_strand(pool.get_executor())) {
    snap.id = id;
  }
  const std::string id;
  const std::string user_id;
  asio::strand<asio::thread_pool::executor_type> strand;

  // On the strand only.
  std::shared_ptr<wa_store::SqlDeviceStore> store;
  std::unique_ptr<wa::client::Client> client;
  std::optional<int64_t> interval_id;
  int failures = 0;            // consecutive failed (re)connects
  bool was_connected = false;  // connected since the last disconnect
  uint64_t generation = 0;     // bumps with every new client; stale events are dropped
  // Cluster mode: the epoch of this node's lease on the session (read by the store's fence on
  // the strand, set from the lease loop), and whether may_connect refused it.
  std::atomic<int64_t> epoch{0};
  bool lease_lost = false;
  // Cluster mode: cuts the WhatsApp socket of every client of this runtime from the lease
  // thread when the lease is lost, even while the strand waits on an unreachable database
  // (detach(); docs/CLUSTER.md "Fencing"). A runtime is dropped once it has been tripped.
  const std::shared_ptr<wa::socket::KillSwitch> kill_switch =
      std::make_shared<wa::socket::KillSwitch>();
  // Live messages of the message being received, published once its transaction committed.
  std::vector<std::string> pending_live;
  std::optional<inbound::ReadyDelivery> pending_ready;  // started once it committed
  bool outbox_dirty = false;
  std::vector<std::string> outbox_chats;  // the chat keys of the message's other outbox rows
  bool media_dirty = false;               // persist_message() queued a media download
  // Group subjects asked from WhatsApp (group JID -> subject, when asked), for webhooks'
  // group_name; refreshed after kGroupNameTtl.
  std::map<std::string, std::pair<std::string, steady_clock::time_point>, std::less<>> group_names;
  // A reconnect is scheduled (for this client generation; 0 = none) so that WhatsApp re-sends
  // messages that could not be stored.
  uint64_t redelivery_for = 0;
  milliseconds redelivery_delay{0};  // the next one's; 0 = options' base
  // Failed stores per message id: a message that keeps failing stops causing reconnects.
  std::map<std::string, int, std::less<>> unstored;
  // A message could not be stored on this connection and will be redelivered: the later ones are
  // not stored either (left for the same redelivery, which brings them back in order), so that
  // none overtakes it. The failure can come before the message is decrypted (the device store
  // not answering), where its chat is not known yet, so this holds every chat of the session.
  bool hold_later = false;

  // Guarded by mu (read from any thread).
  mutable std::mutex mu;
  Snapshot snap;
  steady_clock::time_point qr_deadline;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;  // woken on every change
};

namespace {
// A LID user's phone number from the session's stored LID map (the device store's own lookup:
// inside its transaction when one is open).
inbound::PnForLid stored_phone_for_lid(const std::shared_ptr<Manager::Runtime>& rt) {
  return [store = rt->store](const std::string& lid) -> std::optional<std::string> {
    if (!store) return std::nullopt;
    return store->phone_for_lid(lid);
  };
}
}  // namespace

struct Manager::OpLock::Queue {
  std::mutex mu;
  bool locked = false;
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    bool granted = false;  // guarded by Queue::mu
  };
  std::deque<std::shared_ptr<Waiter>> waiting;

  void unlock() {
    std::lock_guard g(mu);
    if (waiting.empty()) {
      locked = false;
      return;
    }
    auto w = waiting.front();
    waiting.pop_front();
    w->granted = true;  // ownership passes directly to the next waiter
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
  }
};

struct Manager::Timer {
  explicit Timer(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
};

Manager::OpLock::OpLock(OpLock&& o) noexcept : queue_(std::move(o.queue_)) {}
Manager::OpLock& Manager::OpLock::operator=(OpLock&& o) noexcept {
  if (this != &o) {
    if (queue_) queue_->unlock();
    queue_ = std::move(o.queue_);
  }
  return *this;
}
Manager::OpLock::~OpLock() {
  if (queue_) queue_->unlock();
}

// --- manager ----------------------------------------------------------------------------------

Manager::Manager(ManagerOptions options, db::Database& db, events::Hub& hub)
    : options_(std::move(options)),
      db_(db),
      hub_(hub),
      pool_(static_cast<std::size_t>(std::max(1, options_.threads))) {}

Manager::~Manager() {
  shutdown();
}

template <typename F>
void Manager::write_db(const char* what, F&& f) {
  try {
    db_.with_connection(std::forward<F>(f));
  } catch (const std::exception& e) {
    log::warn("session state not saved", {{"what", what}, {"error", e.what()}});
  }
}

void Manager::fence(db::Connection& c, const std::shared_ptr<Runtime>& rt) const {
  if (options_.fence) options_.fence(c, rt->id, rt->epoch.load());
}

template <typename F>
void Manager::write_fenced(const std::shared_ptr<Runtime>& rt, const char* what, F&& f) {
  write_db(what, [&](db::Connection& c) {
    db::Transaction tx(c);
    fence(c, rt);
    f(c);
    tx.commit();
  });
}

asio::awaitable<int64_t> Manager::acquire(const std::string& session_id) {
  if (!options_.acquire) co_return 0;
  co_return co_await db_.run([&](db::Connection& c) { return options_.acquire(c, session_id); });
}

asio::awaitable<Manager::OpLock> Manager::lock(const std::string& session_id) {
  std::shared_ptr<OpLock::Queue> q;
  {
    std::lock_guard g(mutex_);
    auto& slot = locks_[session_id];
    if (!slot) slot = std::make_shared<OpLock::Queue>();
    q = slot;
  }
  std::shared_ptr<OpLock::Queue::Waiter> w;
  {
    std::lock_guard g(q->mu);
    if (!q->locked) {
      q->locked = true;
      OpLock l;
      l.queue_ = q;
      co_return l;
    }
    w = std::make_shared<OpLock::Queue::Waiter>(co_await asio::this_coro::executor);
    q->waiting.push_back(w);
  }
  // The grant cancels the timer; the periodic expiry is only a guard against a lost wake-up.
  while (true) {
    {
      std::lock_guard g(q->mu);
      if (w->granted) break;
    }
    w->timer.expires_after(milliseconds(100));
    co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  OpLock l;
  l.queue_ = q;
  co_return l;
}

std::shared_ptr<Manager::Runtime> Manager::runtime_for(const std::string& id,
                                                       const std::string& user_id, bool create) {
  std::lock_guard g(mutex_);
  auto it = runtimes_.find(id);
  if (it != runtimes_.end()) return it->second;
  if (!create) return nullptr;
  auto rt = std::make_shared<Runtime>(pool_, id, user_id);
  runtimes_.emplace(id, rt);
  return rt;
}

// Applies `f` to the live state under the runtime's mutex, then, outside it: persists the status
// when it changed, publishes status_update / qr_update, and wakes whoever waits for a change.
// Called on the session's strand.
void Manager::apply(const std::shared_ptr<Runtime>& rt,
                    const std::function<void(Snapshot&, steady_clock::time_point&)>& f) {
  bool status_changed = false, qr_changed = false, persisted_changed = false;
  bool before_running = false;
  std::string before_status;
  Snapshot after;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
  {
    std::lock_guard lock(rt->mu);
    Snapshot before = rt->snap;
    before_running = before.running;
    before_status = before.status;
    f(rt->snap, rt->qr_deadline);
    const Snapshot& s = rt->snap;
    persisted_changed =
        before.status != s.status || before.reason != s.reason || before.detail != s.detail;
    status_changed = persisted_changed || before.phone_number != s.phone_number ||
                     before.device_info != s.device_info;
    qr_changed = !s.qr_text.empty() && before.qr_text != s.qr_text;
    after = s;
    if (!after.qr_text.empty()) {
      auto left =
          std::chrono::duration_cast<std::chrono::seconds>(rt->qr_deadline - steady_clock::now());
      after.qr_expires_in = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    waiters.swap(rt->waiters);
  }
  if (status_changed || qr_changed || before_running != after.running) version_.fetch_add(1);
  if (persisted_changed) {
    bool queued = false;
    write_db("status", [&](db::Connection& c) {
      db::Transaction tx(c);
      fence(c, rt);
      repo::set_status(c, rt->id, after.status, after.reason, after.detail);
      // session.status webhook events: on connect, disconnect and logout (a change of status, or
      // a logged-out session), when the session asked for them.
      if (before_status != after.status ||
          after.reason == std::optional<std::string>("logged_out")) {
        queued = inbound::record_session_status(c, rt->id, after.status, after.reason, after.detail,
                                                after.phone_number, now_ms());
      }
      tx.commit();
    });
    if (queued && options_.outbox_written) options_.outbox_written();
  }
  if (status_changed) {
    hub_.publish(rt->user_id, rt->id,
                 std::make_shared<const std::string>(events::status_update(status_event(after))));
  }
  if (qr_changed) {
    hub_.publish(rt->user_id, rt->id,
                 std::make_shared<const std::string>(events::qr_update(
                     {rt->id, after.qr_png, after.qr_text, after.qr_expires_in})));
  }
  for (auto& w : waiters) asio::post(w->get_executor(), [w] { w->cancel(); });
}

void Manager::launch(const std::shared_ptr<Runtime>& rt, bool connect) {
  if (rt->client) {
    bool running = false;
    {
      std::lock_guard lock(rt->mu);
      running = rt->snap.running;
    }
    if (running) {
      if (connect) rt->client->connect();  // a no-op while it runs
      return;
    }
    release_client(rt);  // it ended (terminal event); a pending release_later is now stale
  }
  auto gen = ++rt->generation;
  rt->hold_later = false;  // the new connection gets the unacknowledged messages again, in order
  rt->store = std::make_shared<wa_store::SqlDeviceStore>(db_, rt->id);
  std::weak_ptr<Runtime> weak = rt;
  if (options_.fence) {
    rt->store->set_fence([this, weak](db::Connection& c) {
      if (auto r = weak.lock()) fence(c, r);
    });
  }
  rt->lease_lost = false;
  auto opts = options_.client;
  if (options_.may_connect) {
    opts.kill_switch = rt->kill_switch;
    opts.may_connect = [this, weak, gen] {
      auto r = weak.lock();
      if (!r || r->generation != gen) return false;
      if (options_.may_connect(r->id)) return true;
      r->lease_lost = true;  // its Disconnected event is not this node's to record
      return false;
    };
  }
  opts.log = [id = rt->id](int level, std::string_view msg) {
    log::write(level == 0 ? log::Level::debug : log::Level::info, "whatsapp",
               {{"session_id", id}, {"detail", msg}});
  };
  opts.persist = [this, weak, gen](const wa::client::MessageReceived& m) -> bool {
    auto r = weak.lock();
    if (!r || r->generation != gen) {
      log::info("message not stored: its client was replaced; left for redelivery",
                {{"message_id", m.id}});
      return false;
    }
    return persist_message(r, m);
  };
  opts.unstored = [this, weak, gen](const std::string& id) {
    auto r = weak.lock();
    if (!r || r->generation != gen) {
      log::info("message left unacknowledged by a replaced client", {{"message_id", id}});
      return;
    }
    if (r->unstored.size() >= 1000) r->unstored.clear();
    if (++r->unstored[id] > kMaxRedeliveries) {
      // Something about this message itself fails (not the database): reconnecting again would
      // loop. It stays with WhatsApp until the next login.
      log::error("message keeps failing to store; no more reconnects for it",
                 {{"session_id", r->id}, {"message_id", id}});
      return;
    }
    r->hold_later = true;
    schedule_redelivery(r);
  };
  rt->client = std::make_unique<wa::client::Client>(
      rt->strand, *rt->store, std::move(opts), [this, weak, gen](const wa::client::Event& e) {
        auto r = weak.lock();
        if (!r || r->generation != gen) return;
        try {
          on_event(r, e);
        } catch (const std::exception& ex) {
          log::error("session event failed", {{"session_id", r->id}, {"error", ex.what()}});
        }
      });
  rt->failures = 0;
  rt->was_connected = false;
  apply(rt, [](Snapshot& s, steady_clock::time_point&) {
    s.running = true;
    s.status = "disconnected";
    s.reason = "connecting";
    s.detail.reset();
    clear_pairing(s);
  });
  if (connect) rt->client->connect();
}

// Destroys the client (on the strand, so no event handler of it is running). Its store stays
// alive a while longer: the library may still unwind work in flight that references it.
void Manager::release_client(const std::shared_ptr<Runtime>& rt) {
  if (!rt->client) return;
  rt->client.reset();
  auto holder = std::make_shared<asio::steady_timer>(pool_, std::chrono::seconds(60));
  holder->async_wait([holder, store = std::move(rt->store)](const boost::system::error_code&) {});
}

void Manager::close_interval(const std::shared_ptr<Runtime>& rt, const std::string& reason) {
  if (!rt->interval_id) return;
  auto id = *rt->interval_id;
  rt->interval_id.reset();
  write_db("interval", [&](db::Connection& c) { repo::close_interval(c, id, now_ms(), reason); });
}

void Manager::halt(const std::shared_ptr<Runtime>& rt, const std::string& reason) {
  release_client(rt);
  close_interval(rt, reason);
  apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
    s.running = false;
    s.status = "disconnected";
    s.reason = reason;
    s.detail.reset();
    clear_pairing(s);
  });
}

// Ends the client after a terminal event, once the handler that reported it has returned.
void Manager::release_later(const std::shared_ptr<Runtime>& rt) {
  auto gen = rt->generation;
  asio::post(rt->strand, [this, rt, gen] {
    if (rt->generation == gen) release_client(rt);
  });
}

void Manager::on_event(const std::shared_ptr<Runtime>& rt, const wa::client::Event& event) {
  using namespace wa::client;
  if (rt->lease_lost || rt->kill_switch->tripped()) {
    // Cluster mode: another node runs this session now (or this node is leaving); that node
    // records the session's state.
    if (const auto* d = std::get_if<Disconnected>(&event); d && !d->will_reconnect) {
      release_later(rt);
    }
    return;
  }
  if (const auto* qr = std::get_if<QrCode>(&event)) {
    std::string png;
    try {
      png = qr_png_data_url(qr->qr);
    } catch (const std::exception& ex) {
      log::warn("QR image failed", {{"session_id", rt->id}, {"error", ex.what()}});
    }
    apply(rt, [&](Snapshot& s, steady_clock::time_point& deadline) {
      s.status = "qr";
      s.reason = "awaiting_scan";
      s.detail.reset();
      s.qr_text = qr->qr;
      s.qr_png = std::move(png);
      s.pair_code.clear();
      deadline = steady_clock::now() + qr->expires_in;
    });
  } else if (const auto* pc = std::get_if<PairCode>(&event)) {
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.status = "qr";
      s.reason = "awaiting_pair_code";
      clear_qr(s);
      s.pair_code = pc->code;
    });
  } else if (const auto* pd = std::get_if<Paired>(&event)) {
    pairings_.fetch_add(1);
    boost::json::object info{{"platform", pd->platform},
                             {"business_name", pd->business_name},
                             {"jid", pd->jid.to_string()}};
    info["lid"] = pd->lid ? boost::json::value(pd->lid->to_string()) : nullptr;
    auto text = boost::json::serialize(info);
    auto phone = pd->jid.user;
    write_db("device", [&](db::Connection& c) { repo::set_device(c, rt->id, phone, text); });
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.status = "disconnected";
      s.reason = "connecting";
      s.detail.reset();
      clear_pairing(s);
      s.phone_number = phone;
      s.device_info = text;
    });
    log::info("session paired", {{"session_id", rt->id}, {"phone_number", phone}});
  } else if (const auto* pe = std::get_if<PairError>(&event)) {
    log::warn("pairing failed", {{"session_id", rt->id}, {"reason", pe->reason}});
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) { s.detail = pe->reason; });
  } else if (const auto* cn = std::get_if<Connected>(&event)) {
    rt->was_connected = true;
    rt->failures = 0;
    auto t = now_ms();
    if (!rt->interval_id) {
      write_db("interval", [&](db::Connection& c) {
        rt->interval_id = repo::open_interval(c, rt->id, t, options_.node_id);
      });
    }
    std::optional<std::string> info;
    {
      std::lock_guard lock(rt->mu);
      info = rt->snap.device_info;
    }
    boost::json::object add{{"jid", cn->jid.to_string()}};
    add["lid"] = cn->lid ? boost::json::value(cn->lid->to_string()) : nullptr;
    auto merged = merge_json(info, add);
    auto phone = cn->jid.user;
    if (merged != info.value_or("")) {
      write_db("device", [&](db::Connection& c) { repo::set_device(c, rt->id, phone, merged); });
    }
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.status = "connected";
      s.reason.reset();
      s.detail.reset();
      clear_pairing(s);
      s.phone_number = phone;
      s.device_info = merged;
    });
    log::info("session connected", {{"session_id", rt->id}, {"phone_number", phone}});
    // Downloads left pending (by a restart, or while disconnected) go on now.
    if (options_.media_work) options_.media_work(rt->id);
  } else if (const auto* dc = std::get_if<Disconnected>(&event)) {
    close_interval(rt, std::string(to_string(dc->reason)));
    if (dc->will_reconnect) {
      if (dc->reason == DisconnectReason::restart_required) {
        apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
          s.status = "disconnected";
          s.reason = "connecting";
          clear_qr(s);
        });
        return;
      }
      reconnects_.fetch_add(1);
      if (rt->was_connected) {
        rt->was_connected = false;
        rt->failures = 0;
      } else {
        ++rt->failures;
      }
      if (rt->failures >= options_.max_reconnect_attempts) {
        auto detail = "gave up after " + std::to_string(rt->failures) +
                      " consecutive failed reconnects; last: " + describe(*dc);
        log::warn("session failed", {{"session_id", rt->id}, {"detail", detail}});
        apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
          s.running = false;
          s.status = "disconnected";
          s.reason = "failed";
          s.detail = detail;
          clear_qr(s);
        });
        release_later(rt);
        return;
      }
      auto detail = describe(*dc) + "; retrying in " + std::to_string(dc->retry_in.count()) + " ms";
      apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
        s.status = "disconnected";
        s.reason = "reconnecting";
        s.detail = detail;
        clear_qr(s);
      });
      return;
    }
    auto reason = terminal_reason(dc->reason);
    std::string detail = describe(*dc);
    if (dc->reason == DisconnectReason::rejected &&
        (dc->detail.rfind("store:", 0) == 0 || dc->detail.rfind("keys:", 0) == 0)) {
      // Our own device store failed, not WhatsApp: say so, and what to do about it.
      reason = "keys_unreadable";
      detail = "the stored keys of this session cannot be read (" + dc->detail +
               "); delete the session and link the number again";
    }
    if (dc->reason == DisconnectReason::client_outdated) {
      const auto& v = options_.client.version;
      detail = "WhatsApp refused the announced version " + std::to_string(v[0]) + "." +
               std::to_string(v[1]) + "." + std::to_string(v[2]) +
               " (405): set WHATSAPP_VERSION to the current WhatsApp Web version and restart";
    }
    if (stays_stopped(reason)) {
      write_fenced(rt, "desired",
                   [&](db::Connection& c) { repo::set_desired_state(c, rt->id, "stopped"); });
    }
    log::warn("session ended", {{"session_id", rt->id}, {"reason", reason}, {"detail", detail}});
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.running = false;
      s.status = "disconnected";
      s.reason = reason;
      s.detail = detail;
      clear_pairing(s);
    });
    release_later(rt);
  } else if (const auto* lo = std::get_if<LoggedOut>(&event)) {
    auto reason =
        lo->reason == DisconnectReason::banned ? std::string("banned") : std::string("logged_out");
    write_fenced(rt, "desired",
                 [&](db::Connection& c) { repo::set_desired_state(c, rt->id, "stopped"); });
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.running = false;
      s.status = "disconnected";
      s.reason = reason;
      if (!s.detail) s.detail = "the device was removed from WhatsApp; start again to link it";
    });
    release_later(rt);
  } else if (std::holds_alternative<QrTimeout>(event)) {
    write_fenced(rt, "desired",
                 [&](db::Connection& c) { repo::set_desired_state(c, rt->id, "stopped"); });
    apply(rt, [&](Snapshot& s, steady_clock::time_point&) {
      s.running = false;
      s.status = "disconnected";
      s.reason = "qr_timeout";
      s.detail = "no QR code was scanned in time; start again for a new one";
      clear_qr(s);
    });
    release_later(rt);
  } else if (const auto* u = std::get_if<UndecryptableMessage>(&event)) {
    on_undecryptable(rt, *u);
  } else if (std::holds_alternative<MessageReceived>(event)) {
    // Committed by persist_message(): now it may be shown and delivered.
    auto live = std::move(rt->pending_live);
    rt->pending_live.clear();
    for (auto& m : live)
      hub_.publish(rt->user_id, rt->id, std::make_shared<const std::string>(std::move(m)));
    if (rt->pending_ready) {
      auto ready = std::move(*rt->pending_ready);
      rt->pending_ready.reset();
      if (options_.delivery_ready) {
        options_.delivery_ready(std::move(ready));
      } else {
        rt->outbox_dirty = true;
        rt->outbox_chats.push_back(ready.chat_key);
      }
    }
    if (rt->outbox_dirty) {
      rt->outbox_dirty = false;
      if (options_.chat_written && !rt->outbox_chats.empty()) {
        for (const auto& chat : rt->outbox_chats) options_.chat_written(rt->id, chat);
      } else if (options_.outbox_written) {
        options_.outbox_written();
      }
    }
    if (rt->media_dirty) {
      rt->media_dirty = false;
      if (options_.media_work) options_.media_work(rt->id);
    }
  } else if (const auto* rc = std::get_if<ReceiptReceived>(&event)) {
    on_receipt(rt, *rc);
  }
  // Prekey uploads are not session state.
}

void Manager::on_receipt(const std::shared_ptr<Runtime>& rt, const wa::client::ReceiptReceived& r) {
  auto status = outbound::status_of_receipt(r.type);
  if (!status || r.ids.empty()) return;
  {
    // Our own other devices confirm what they saw of our sends; only other people's receipts
    // say the message reached its recipient.
    std::lock_guard lock(rt->mu);
    if (rt->snap.phone_number && r.from.is_pn() && r.from.user == *rt->snap.phone_number) return;
  }
  std::vector<outbound::StatusChange> changes;
  int queued = 0;
  const auto t = r.timestamp > 0 ? r.timestamp * 1000 : now_ms();
  write_db("receipt", [&](db::Connection& c) {
    db::Transaction tx(c);
    fence(c, rt);
    changes = outbound::apply_status(c, rt->id, r.ids, *status, t);
    queued = outbound::queue_status_webhooks(c, rt->id, changes, now_ms());
    tx.commit();
  });
  for (const auto& ch : changes) {
    hub_.publish(rt->user_id, rt->id,
                 std::make_shared<const std::string>(outbound::message_status_ws(rt->id, ch)));
  }
  if (queued > 0 && options_.outbox_written) options_.outbox_written();
}

bool Manager::persist_message(const std::shared_ptr<Runtime>& rt,
                              const wa::client::MessageReceived& m) {
  rt->pending_live.clear();
  rt->pending_ready.reset();
  rt->outbox_dirty = false;
  rt->outbox_chats.clear();
  rt->media_dirty = false;
  if (rt->hold_later) {
    log::info("message left for redelivery behind an earlier one that is not stored",
              {{"session_id", rt->id}, {"message_id", m.id}});
    return false;
  }
  auto* c = rt->store ? rt->store->transaction_connection() : nullptr;
  if (!c) {
    log::warn("message not stored: no store transaction; left for redelivery",
              {{"session_id", rt->id}, {"message_id", m.id}});
    return false;
  }
  try {
    auto settings = inbound::load_settings(*c, rt->id);
    if (!settings) return true;  // the session is being deleted: nothing to keep
    std::optional<std::string> group_name;
    if (m.is_group) {
      if (auto it = rt->group_names.find(m.chat.to_non_ad().to_string());
          it != rt->group_names.end() && steady_clock::now() - it->second.second < kGroupNameTtl)
        group_name = it->second.first;
    }
    auto rec = inbound::record(*c, m, *settings, stored_phone_for_lid(rt), now_ms(), group_name,
                               options_.media_wait.count());
    if (rec.decision.record) rt->pending_live.push_back(events::message_received_ws(rec.message));
    if (rec.decision.record && options_.message_recorded)
      options_.message_recorded(rt->id, rec.decision.forward);
    rt->pending_ready = std::move(rec.ready);
    rt->outbox_dirty = rec.other_rows;
    rt->outbox_chats = std::move(rec.other_chats);
    rt->media_dirty = rec.media_queued;
    rt->redelivery_delay = milliseconds(0);  // storing works again
    rt->unstored.erase(m.id);
    return true;
  } catch (const std::exception& e) {
    log::warn("message not stored; left for redelivery",
              {{"session_id", rt->id}, {"message_id", m.id}, {"error", e.what()}});
    return false;  // the client reports it through Options::unstored
  }
}

// WhatsApp re-sends unacknowledged messages when the device logs in again, not on the same
// connection: after a message could not be stored, the session reconnects (once the delay has
// passed; the delay doubles while storing keeps failing). Other sessions are not touched.
void Manager::schedule_redelivery(const std::shared_ptr<Runtime>& rt) {
  if (rt->redelivery_for == rt->generation || stopping_) return;
  rt->redelivery_for = rt->generation;
  const auto base = options_.redelivery_delay;
  const auto delay = rt->redelivery_delay.count() > 0 ? rt->redelivery_delay : base;
  rt->redelivery_delay = std::min<milliseconds>(delay * 2, std::chrono::minutes(1));
  auto timer = std::make_shared<asio::steady_timer>(rt->strand, delay);
  std::weak_ptr<Runtime> weak = rt;
  const auto gen = rt->generation;
  timer->async_wait([this, weak, gen, timer](const boost::system::error_code& ec) {
    auto r = weak.lock();
    if (!r || r->redelivery_for != gen) return;
    r->redelivery_for = 0;
    if (ec || stopping_ || r->generation != gen || !r->client) return;
    // Logging in again reads the device from the database: while it does not answer, a new
    // login would fail for good (keys_unreadable), so wait for it first.
    bool answers = false;
    try {
      db_.with_connection([](db::Connection& c) { c.query("SELECT 1"); });
      answers = true;
    } catch (const std::exception& e) {
      log::warn("database not answering; redelivery reconnect postponed",
                {{"session_id", r->id}, {"error", e.what()}});
    }
    if (!answers) return schedule_redelivery(r);
    log::info("reconnecting so that WhatsApp re-sends the messages that could not be stored",
              {{"session_id", r->id}});
    release_client(r);
    close_interval(r, "redelivery");
    launch(r, true);
  });
}

void Manager::on_undecryptable(const std::shared_ptr<Runtime>& rt,
                               const wa::client::UndecryptableMessage& u) {
  // Reported once, at the first retry receipt; and once more if the library gives up.
  if (u.retry_count != 1 && u.retry_count != 0) return;
  std::string live;
  bool queued = false;
  write_db("undecryptable", [&](db::Connection& c) {
    db::Transaction tx(c);
    auto settings = inbound::load_settings(c, rt->id);
    if (!settings) return;
    const auto pn_for_lid = stored_phone_for_lid(rt);
    if (u.retry_count == 0) {
      inbound::record_given_up(c, u, *settings, pn_for_lid, now_ms());
    } else {
      auto w = inbound::record_waiting(c, u, *settings, pn_for_lid, now_ms());
      if (w.recorded) undecryptable_.fetch_add(1);  // once per message, even across reconnects
      live = std::move(w.live);
      queued = w.delivery_id.has_value();
    }
    tx.commit();
  });
  log::info(u.retry_count == 0 ? "undecryptable message given up" : "message waiting for a re-send",
            {{"session_id", rt->id}, {"message_id", u.id}, {"reason", u.reason}});
  if (!live.empty())
    hub_.publish(rt->user_id, rt->id, std::make_shared<const std::string>(std::move(live)));
  if (queued && options_.outbox_written) options_.outbox_written();
}

asio::awaitable<void> Manager::group_name_on_strand(const std::shared_ptr<Runtime>& rt,
                                                    const wa::Jid& group,
                                                    std::optional<std::string>& out) {
  const auto key = group.to_non_ad().to_string();
  if (auto it = rt->group_names.find(key);
      it != rt->group_names.end() && steady_clock::now() - it->second.second < kGroupNameTtl) {
    out = it->second.first;
    co_return;
  }
  if (!rt->client) co_return;
  auto info = co_await rt->client->group_info(group);
  if (!info) {
    log::debug("group subject unknown",
               {{"session_id", rt->id}, {"group", key}, {"error", info.error().message()}});
    co_return;
  }
  if (rt->group_names.size() >= 1000) rt->group_names.clear();
  rt->group_names[key] = {info->subject, steady_clock::now()};
  out = info->subject;
}

asio::awaitable<std::optional<std::string>> Manager::group_name(const std::string& session_id,
                                                                const wa::Jid& group) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return std::nullopt;
  std::optional<std::string> out;
  co_await asio::co_spawn(rt->strand, group_name_on_strand(rt, group, out), asio::use_awaitable);
  co_return out;
}

// Runs on the session's strand; the result goes to `out` (co_spawn needs a default-constructible
// result type, which wa::Result<SendResult> is not).
asio::awaitable<void> Manager::send_on_strand(
    const std::shared_ptr<Runtime>& rt, const wa::Jid& to,
    const wa::client::OutgoingMessage& message, const wa::client::SendOptions& options,
    std::optional<wa::Result<wa::client::SendResult>>& out) {
  if (!rt->client) {
    out.emplace(wa::Error{wa::Errc::client_disconnected, "the session is not running"});
    co_return;
  }
  out.emplace(co_await rt->client->send_message(to, message, options));
}

asio::awaitable<wa::Result<wa::client::SendResult>> Manager::send(
    const std::string& session_id, const wa::Jid& to, const wa::client::OutgoingMessage& message,
    const wa::client::SendOptions& options) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return wa::Error{wa::Errc::client_disconnected, "the session is not running"};
  std::optional<wa::Result<wa::client::SendResult>> out;
  co_await asio::co_spawn(rt->strand, send_on_strand(rt, to, message, options, out),
                          asio::use_awaitable);
  if (!out) co_return wa::Error{wa::Errc::client_disconnected, "the send did not complete"};
  co_return std::move(*out);
}

asio::awaitable<wa::Result<wa::client::SendResult>> Manager::send_text(
    const std::string& session_id, const wa::Jid& to, const std::string& text,
    const wa::client::SendOptions& options) {
  const wa::client::OutgoingMessage message = wa::client::out::Text{text};
  co_return co_await send(session_id, to, message, options);
}

asio::awaitable<void> Manager::download_on_strand(
    const std::shared_ptr<Runtime>& rt, const wa::message::MediaDescriptor& media,
    wa::media::MediaType type, std::size_t max_bytes,
    std::optional<wa::Result<std::vector<std::uint8_t>>>& out) {
  if (!rt->client) {
    out.emplace(wa::Error{wa::Errc::client_disconnected, "the session is not running"});
    co_return;
  }
  out.emplace(co_await rt->client->download_media(media, type, max_bytes));
}

asio::awaitable<wa::Result<std::vector<std::uint8_t>>> Manager::download_media(
    const std::string& session_id, const wa::message::MediaDescriptor& media,
    wa::media::MediaType type, std::size_t max_bytes) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return wa::Error{wa::Errc::client_disconnected, "the session is not running"};
  std::optional<wa::Result<std::vector<std::uint8_t>>> out;
  co_await asio::co_spawn(rt->strand, download_on_strand(rt, media, type, max_bytes, out),
                          asio::use_awaitable);
  if (!out) co_return wa::Error{wa::Errc::client_disconnected, "the download did not complete"};
  co_return std::move(*out);
}

asio::awaitable<void> Manager::reupload_on_strand(const std::shared_ptr<Runtime>& rt,
                                                  const wa::media::RetryTarget& target,
                                                  const std::vector<std::uint8_t>& media_key,
                                                  std::chrono::milliseconds timeout,
                                                  std::optional<wa::Result<std::string>>& out) {
  if (!rt->client) {
    out.emplace(wa::Error{wa::Errc::client_disconnected, "the session is not running"});
    co_return;
  }
  // The call keeps what it needs alive itself: a client released meanwhile ends its connection,
  // which fails the wait at once (client_disconnected).
  out.emplace(co_await rt->client->request_media_reupload(target, media_key, timeout));
}

asio::awaitable<wa::Result<std::string>> Manager::reupload_media(
    const std::string& session_id, const wa::media::RetryTarget& target,
    const std::vector<std::uint8_t>& media_key, std::chrono::milliseconds timeout) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return wa::Error{wa::Errc::client_disconnected, "the session is not running"};
  std::optional<wa::Result<std::string>> out;
  co_await asio::co_spawn(rt->strand, reupload_on_strand(rt, target, media_key, timeout, out),
                          asio::use_awaitable);
  if (!out) co_return wa::Error{wa::Errc::client_disconnected, "the media retry did not complete"};
  co_return std::move(*out);
}

asio::awaitable<void> Manager::lookup_on_strand(
    const std::shared_ptr<Runtime>& rt, const std::string& phone,
    std::optional<wa::Result<wa::client::PhoneLookup>>& out) {
  if (!rt->client) {
    out.emplace(wa::Error{wa::Errc::client_disconnected, "the session is not running"});
    co_return;
  }
  std::vector<std::string> phones{phone};
  auto r = co_await rt->client->lookup_phones(std::move(phones));
  if (!r) {
    out.emplace(r.error());
  } else if (r->empty()) {
    out.emplace(wa::Error{wa::Errc::iq_error, "no answer for the number"});
  } else {
    out.emplace(std::move(r->front()));
  }
}

asio::awaitable<wa::Result<wa::client::PhoneLookup>> Manager::lookup_phone(
    const std::string& session_id, const std::string& phone) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return wa::Error{wa::Errc::client_disconnected, "the session is not running"};
  std::optional<wa::Result<wa::client::PhoneLookup>> out;
  co_await asio::co_spawn(rt->strand, lookup_on_strand(rt, phone, out), asio::use_awaitable);
  if (!out) co_return wa::Error{wa::Errc::client_disconnected, "the lookup did not complete"};
  co_return std::move(*out);
}

asio::awaitable<void> Manager::presence_on_strand(std::shared_ptr<Runtime> rt, wa::Jid chat,
                                                  bool composing) {
  if (!rt->client) co_return;
  auto r = co_await rt->client->send_chat_presence(chat, composing);
  if (!r)
    log::debug("chat presence not sent", {{"session_id", rt->id}, {"error", r.error().message()}});
}

asio::awaitable<void> Manager::read_on_strand(std::shared_ptr<Runtime> rt, wa::Jid chat,
                                              std::string id, std::optional<wa::Jid> sender,
                                              std::optional<wa::Result<void>>& out) {
  if (!rt->client) {
    out.emplace(wa::Error{wa::Errc::client_disconnected, "the session is not running"});
    co_return;
  }
  std::vector<std::string> ids{std::move(id)};
  out.emplace(co_await rt->client->mark_read(chat, std::move(ids), std::move(sender)));
}

asio::awaitable<wa::Result<void>> Manager::mark_read(const std::string& session_id,
                                                     const wa::Jid& chat, const std::string& id,
                                                     std::optional<wa::Jid> sender) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) co_return wa::Error{wa::Errc::client_disconnected, "the session is not running"};
  std::optional<wa::Result<void>> out;
  co_await asio::co_spawn(rt->strand, read_on_strand(rt, chat, id, std::move(sender), out),
                          asio::use_awaitable);
  if (!out) co_return wa::Error{wa::Errc::client_disconnected, "the read receipt was not sent"};
  co_return std::move(*out);
}

void Manager::chat_presence(const std::string& session_id, const wa::Jid& chat, bool composing) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) return;
  asio::co_spawn(rt->strand, presence_on_strand(rt, chat, composing), asio::detached);
}

asio::awaitable<Snapshot> Manager::wait_until(const std::shared_ptr<Runtime>& rt, Predicate pred,
                                              milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  while (true) {
    {
      std::lock_guard lock(rt->mu);
      if (pred(rt->snap) || steady_clock::now() >= deadline) break;
      rt->waiters.push_back(timer);
    }
    // Woken by apply() (cancel), or the deadline; the short cap guards against a lost wake-up.
    timer->expires_at(std::min(deadline, steady_clock::now() + milliseconds(500)));
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  auto s = snapshot(rt->id);
  co_return s ? *s : Snapshot{};
}

int Manager::resume() {
  if (!options_.node_id.empty()) {
    // Cluster mode: the lease loop claims sessions and adopt()s them.
    heartbeat_ = std::make_shared<Timer>(pool_.get_executor());
    heartbeat_loop();
    return 0;
  }
  std::vector<SessionRow> rows;
  try {
    rows = db_.with_connection([](db::Connection& c) {
      auto closed = repo::recover_after_restart(c);
      if (closed > 0) log::info("closed connection intervals left open", {{"count", closed}});
      return repo::running(c);
    });
  } catch (const std::exception& e) {
    log::error("cannot resume sessions", {{"error", e.what()}});
  }
  for (const auto& row : rows) {
    auto rt = runtime_for(row.id, row.user_id, true);
    {
      std::lock_guard lock(rt->mu);
      rt->snap.phone_number = row.phone_number;
      rt->snap.device_info = row.device_info;
    }
    asio::post(rt->strand, [this, rt] { launch(rt, true); });
  }
  heartbeat_ = std::make_shared<Timer>(pool_.get_executor());
  heartbeat_loop();
  if (!rows.empty()) log::info("resuming sessions", {{"count", static_cast<int64_t>(rows.size())}});
  return static_cast<int>(rows.size());
}

void Manager::heartbeat_loop() {
  auto hb = heartbeat_;
  hb->timer.expires_after(options_.heartbeat_interval);
  hb->timer.async_wait([this, hb](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    write_db("heartbeat",
             [this](db::Connection& c) { repo::heartbeat(c, now_ms(), options_.node_id); });
    heartbeat_loop();
  });
}

void Manager::seed(const std::shared_ptr<Runtime>& rt, const SessionRow& row) {
  std::lock_guard lock(rt->mu);
  if (!rt->snap.phone_number) rt->snap.phone_number = row.phone_number;
  if (!rt->snap.device_info) rt->snap.device_info = row.device_info;
}

asio::awaitable<Snapshot> Manager::start(const SessionRow& row) {
  const auto epoch = co_await acquire(row.id);
  auto rt = runtime_for(row.id, row.user_id, true);
  seed(rt, row);
  rt->epoch = epoch;
  co_await db_.run([&](db::Connection& c) { repo::set_desired_state(c, row.id, "running"); });
  auto go = [this, rt] { launch(rt, true); };
  co_await util::run_on(rt->strand, go);
  co_return co_await wait_until(rt, settled, options_.start_wait);
}

asio::awaitable<Snapshot> Manager::stop(const std::string& session_id) {
  co_await db_.run([&](db::Connection& c) { repo::set_desired_state(c, session_id, "stopped"); });
  auto rt = runtime_for(session_id, "", false);
  if (!rt) {
    co_await db_.run([&](db::Connection& c) {
      repo::set_status(c, session_id, "disconnected", std::string("stopped"), std::nullopt);
      if (options_.release) options_.release(c, session_id);
    });
    Snapshot s;
    s.id = session_id;
    s.reason = "stopped";
    co_return s;
  }
  auto halt_it = [this, rt] { halt(rt, "stopped"); };
  co_await util::run_on(rt->strand, halt_it);
  auto snap = *snapshot(session_id);
  if (options_.release) {
    co_await db_.run([&](db::Connection& c) { options_.release(c, session_id); });
    // Cluster mode: the next start may run it on another node; this one keeps no stale state.
    std::lock_guard g(mutex_);
    if (auto it = runtimes_.find(session_id); it != runtimes_.end() && it->second == rt)
      runtimes_.erase(it);
  }
  co_return snap;
}

asio::awaitable<Snapshot> Manager::reconnect(const SessionRow& row) {
  const auto epoch = co_await acquire(row.id);
  auto rt = runtime_for(row.id, row.user_id, true);
  seed(rt, row);
  rt->epoch = epoch;
  co_await db_.run([&](db::Connection& c) { repo::set_desired_state(c, row.id, "running"); });
  auto renew = [this, rt] {
    release_client(rt);
    close_interval(rt, "reconnect");
    launch(rt, true);
  };
  co_await util::run_on(rt->strand, renew);
  co_return co_await wait_until(rt, settled, options_.start_wait);
}

asio::awaitable<std::string> Manager::pair_code(const SessionRow& row, std::string phone) {
  auto current = snapshot(row.id);
  if (row.device_stored || (current && current->status == "connected")) {
    throw SessionError(SessionError::Kind::conflict,
                       "session is already linked to a WhatsApp number; delete it to link another");
  }
  const auto epoch = co_await acquire(row.id);
  auto rt = runtime_for(row.id, row.user_id, true);
  seed(rt, row);
  rt->epoch = epoch;
  co_await db_.run([&](db::Connection& c) { repo::set_desired_state(c, row.id, "running"); });
  auto ask = [this, rt, &phone] {
    {
      std::lock_guard lock(rt->mu);
      rt->snap.pair_code.clear();
    }
    launch(rt, false);
    rt->client->pair_phone(phone);
    rt->client->connect();
  };
  co_await util::run_on(rt->strand, ask);
  auto s = co_await wait_until(
      rt,
      [](const Snapshot& x) {
        return !x.pair_code.empty() || !x.running || x.status == "connected";
      },
      options_.start_wait);
  if (s.pair_code.empty()) {
    throw SessionError(SessionError::Kind::timeout,
                       "WhatsApp did not issue a pairing code (status " + s.status +
                           (s.reason ? ", " + *s.reason : std::string()) + ")");
  }
  co_return s.pair_code;
}

// Logs the client out (on its strand). A member coroutine taking the runtime by const reference
// to the caller's copy, not a capturing lambda (util/coro.hpp).
asio::awaitable<bool> Manager::logout_on_strand(const std::shared_ptr<Runtime>& rt) {
  if (!rt->client) co_return false;
  auto r = co_await rt->client->logout();
  if (!r) log::warn("logout failed", {{"session_id", rt->id}, {"error", r.error().message()}});
  co_return static_cast<bool>(r);
}

asio::awaitable<bool> Manager::remove(const SessionRow& row) {
  const auto epoch = co_await acquire(row.id);
  auto rt = runtime_for(row.id, row.user_id, true);
  seed(rt, row);
  rt->epoch = epoch;
  bool logged_out = false;
  auto current = snapshot(row.id);
  bool linked = row.device_stored || (current && current->status == "connected");
  if (linked) {
    if (!current || current->status != "connected") {
      auto go = [this, rt] { launch(rt, true); };
      co_await util::run_on(rt->strand, go);
      co_await wait_until(
          rt, [](const Snapshot& s) { return s.status == "connected" || !s.running; },
          options_.start_wait);
    }
    auto s = snapshot(row.id);
    if (s && s->status == "connected") {
      logged_out = co_await asio::co_spawn(rt->strand, logout_on_strand(rt), asio::use_awaitable);
    }
  }
  auto halt_it = [this, rt] { halt(rt, "deleted"); };
  co_await util::run_on(rt->strand, halt_it);
  co_await db_.run([&](db::Connection& c) { repo::remove(c, row.id); });
  {
    std::lock_guard g(mutex_);
    runtimes_.erase(row.id);
  }
  log::info("session deleted", {{"session_id", row.id}, {"logged_out", logged_out}});
  co_return logged_out;
}

std::optional<Snapshot> Manager::snapshot(const std::string& session_id) const {
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard g(mutex_);
    auto it = runtimes_.find(session_id);
    if (it == runtimes_.end()) return std::nullopt;
    rt = it->second;
  }
  std::lock_guard lock(rt->mu);
  Snapshot s = rt->snap;
  if (!s.qr_text.empty()) {
    auto left =
        std::chrono::duration_cast<std::chrono::seconds>(rt->qr_deadline - steady_clock::now());
    s.qr_expires_in = static_cast<int>(std::max<int64_t>(0, left.count()));
  }
  return s;
}

int Manager::count_with_status(std::string_view status) const {
  std::vector<std::shared_ptr<Runtime>> all;
  {
    std::lock_guard g(mutex_);
    for (const auto& [id, rt] : runtimes_) all.push_back(rt);
  }
  int n = 0;
  for (const auto& rt : all) {
    std::lock_guard lock(rt->mu);
    if (rt->snap.status == status) ++n;
  }
  return n;
}

void Manager::adopt(const std::string& session_id, int64_t epoch) {
  if (stopping_) return;
  // On the pool, not the caller's thread (the lease loop must stay quick): close the intervals
  // the previous node left open, read the row, then run the session on its strand.
  asio::post(pool_, [this, session_id, epoch] {
    if (stopping_) return;
    std::optional<SessionRow> row;
    // Twice: after a database restart the first pooled connection tried may be a dead one.
    for (int attempt = 1;; ++attempt) {
      try {
        row = db_.with_connection([&](db::Connection& c) {
          repo::recover_session(c, session_id);
          auto r = repo::find(c, session_id, "", now_ms());
          if ((!r || r->desired_state != "running") && options_.release)
            options_.release(c, session_id);
          return r;
        });
        break;
      } catch (const std::exception& e) {
        if (attempt < 2) continue;
        log::warn("session not taken over", {{"session_id", session_id}, {"error", e.what()}});
        // The lease loop adopts it again at its next round while the lease is this node's.
        if (options_.adopt_failed) options_.adopt_failed(session_id);
        return;
      }
    }
    if (!row || row->desired_state != "running") {
      if (options_.adopt_failed) options_.adopt_failed(session_id);
      return;
    }
    auto rt = runtime_for(row->id, row->user_id, true);
    seed(rt, *row);
    rt->epoch = epoch;
    asio::post(rt->strand, [this, rt] {
      if (!stopping_) launch(rt, true);
    });
  });
}

void Manager::detach(const std::string& session_id, const char* why) {
  auto rt = runtime_for(session_id, "", false);
  if (!rt) return;
  {
    std::lock_guard g(mutex_);
    if (auto it = runtimes_.find(session_id); it != runtimes_.end() && it->second == rt)
      runtimes_.erase(it);
  }
  version_.fetch_add(1);
  // Now, from this thread: the strand may be waiting on the database for a long time, and the
  // next owner's login must not find this node's connection still open (WhatsApp would send it
  // `replaced`).
  rt->kill_switch->trip();
  asio::post(rt->strand, [this, rt, why] {
    ++rt->generation;  // events of the old client are dropped from now on
    rt->lease_lost = true;
    release_client(rt);
    // Closed by this node when the database still answers; else by the next owner
    // (repo::recover_session) at its last heartbeat.
    if (rt->interval_id) {
      auto id = *rt->interval_id;
      rt->interval_id.reset();
      write_db("interval", [&](db::Connection& c) { repo::close_interval(c, id, now_ms(), why); });
    }
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    {
      std::lock_guard lock(rt->mu);
      rt->snap.running = false;
      clear_pairing(rt->snap);
      waiters.swap(rt->waiters);
    }
    for (auto& w : waiters) asio::post(w->get_executor(), [w] { w->cancel(); });
    log::info("session left to another node", {{"session_id", rt->id}, {"why", why}});
  });
}

std::size_t Manager::cut_connections() {
  std::lock_guard g(mutex_);
  for (const auto& [id, rt] : runtimes_) rt->kill_switch->trip();
  return runtimes_.size();
}

std::vector<std::string> Manager::local_sessions() const {
  std::lock_guard g(mutex_);
  std::vector<std::string> out;
  out.reserve(runtimes_.size());
  for (const auto& [id, rt] : runtimes_) out.push_back(id);
  return out;
}

void Manager::shutdown() {
  if (stopping_.exchange(true)) return;
  if (heartbeat_) asio::post(pool_, [hb = heartbeat_] { hb->timer.cancel(); });
  std::vector<std::shared_ptr<Runtime>> all;
  {
    std::lock_guard g(mutex_);
    for (const auto& [id, rt] : runtimes_) all.push_back(rt);
  }
  std::vector<std::future<void>> done;
  for (const auto& rt : all) {
    auto p = std::make_shared<std::promise<void>>();
    done.push_back(p->get_future());
    asio::post(rt->strand, [this, rt, p] {
      release_client(rt);
      close_interval(rt, "gateway_stopped");
      p->set_value();
    });
  }
  for (auto& f : done) f.wait();
  // Let the clients' close frames go out before the pool stops.
  if (!all.empty()) std::this_thread::sleep_for(milliseconds(200));
  pool_.stop();
  pool_.join();
  log::info("sessions stopped", {{"count", static_cast<int64_t>(all.size())}});
}

}  // namespace gw::sessions

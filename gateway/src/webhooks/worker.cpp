#include "webhooks/worker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "auth/crypto.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "inbound/media_jobs.hpp"
#include "log/log.hpp"
#include "outbound/media_source.hpp"
#include "util/time.hpp"

namespace gw::webhooks {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

int64_t now_ms() {
  return util::unix_millis_now();
}

constexpr int kBatch = 200;
// How long a reply waits for its session to log in when the session runs here but is not
// connected (a reconnect, or a failover just over).
constexpr std::chrono::seconds kReplyConnectWait{20};

// What the outbox queries read of a delivery (Delivery's fields, in order).
constexpr const char* kColumns =
    "d.id, d.delivery_id, d.session_id, d.event, d.payload, d.reply_context, d.analytics_id, "
    "d.attempts, COALESCE(w.url, s.webhook_url), COALESCE(w.secret, s.webhook_secret), "
    "d.chat_key, d.message_id "
    "FROM webhook_deliveries d JOIN sessions s ON s.id = d.session_id "
    "LEFT JOIN webhook_subscriptions w ON w.id = d.subscription_id ";

// Cluster mode (PostgreSQL): a claim another node may take: none, run out, or held by a node
// whose heartbeat stopped (parameter: the node time-to-live in ms). The database's clock only.
constexpr const char* kClaimable =
    "(d.claimed_by IS NULL OR d.claim_until < now() OR NOT EXISTS (SELECT 1 FROM cluster_nodes n "
    "WHERE n.node_id = d.claimed_by "
    "AND n.heartbeat_at > now() - CAST(? AS BIGINT) * INTERVAL '1 millisecond'))";
constexpr const char* kClaimUntil = "now() + CAST(? AS BIGINT) * INTERVAL '1 millisecond'";
// Cluster mode: a claim's commit does not wait for PostgreSQL's WAL flush (a condition of the
// claiming statement, so that it costs no round trip: the setting lasts until the statement's own
// commit). One lost in a crash of PostgreSQL leaves its row looking free: another node may send
// it too (under the same X-Webhook-Id, as at least once allows), and the outcome, written with a
// full commit, is fenced by the claim as always.
constexpr const char* kNoFlushWait = "set_config('synchronous_commit', 'off', true) = 'off'";

// kColumns for rows the cluster query claimed: what may change between the statement's snapshot
// and the row version it locked (another node's outcome) from that version, as the UPDATE of
// the CTE `c` returned it.
std::string claimed_columns() {
  std::string cols = kColumns;
  for (const auto& [from, to] :
       {std::pair<std::string_view, std::string_view>{"d.payload", "c.payload"},
        {"d.attempts", "c.attempts"}}) {
    cols.replace(cols.find(from), from.size(), to);
  }
  return cols;
}

// Gives back this node's claim of a row (parameters: row id, node id); nothing if it has none.
constexpr const char* kUnclaim =
    "UPDATE webhook_deliveries SET claimed_by = NULL, claim_until = NULL "
    "WHERE id = ? AND claimed_by = ?";

// What this node's own claim of a delivery checks (parameters: node id, the attempts the node
// read): still its claim, and no attempt recorded since, by anyone.
constexpr const char* kStillMine = "claimed_by = ? AND attempts = ?";

// A 2xx is success; other 4xx than 408 and 429 are final; everything else (no answer, 408, 429,
// 5xx) is worth retrying. A 3xx is final: redirects are not followed.
bool retryable(const HttpResult& r) {
  if (r.status == 0) return true;
  if (r.status == 408 || r.status == 429) return true;
  return r.status >= 500;
}

}  // namespace

std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string data;
  data.reserve(timestamp.size() + 1 + body.size());
  data.append(timestamp).append(".").append(body);
  auto mac = auth::hmac_sha256(secret, data);
  return "sha256=" + auth::hex_encode(std::span<const std::uint8_t>(mac.data(), mac.size()));
}

struct DeliveryWorker::Delivery {
  int64_t id = 0;
  std::string delivery_id;
  std::string session_id;
  std::string event;
  std::string payload;
  std::optional<std::string> reply_context;
  std::optional<int64_t> analytics_id;
  int attempts = 0;
  std::string url;
  std::string secret;
  std::string chat;
  std::string message_id;  // "" when the event is about no message
  bool claimed = false;    // cluster mode: the row's claim is this node's already
  int64_t due_ms = 0;      // next_attempt_ms, as read (0: due)
  uint64_t read_at = 0;    // the finish sequence number when the read of its row began
};

namespace {

// A chat's key in DeliveryWorker::chats_.
std::string chat_key_of(const std::string& session_id, const std::string& chat) {
  std::string key;
  key.reserve(session_id.size() + 1 + chat.size());
  key.append(session_id).append(1, '\n').append(chat);
  return key;
}

// A delivery from the columns of kColumns, the first at `at`.
std::shared_ptr<DeliveryWorker::Delivery> delivery_of(const db::Row& r, std::size_t at) {
  auto d = std::make_shared<DeliveryWorker::Delivery>();
  d->id = r.integer(at);
  d->delivery_id = r.text(at + 1);
  d->session_id = r.text(at + 2);
  d->event = r.text(at + 3);
  d->payload = r.text(at + 4);
  d->reply_context = r.opt_text(at + 5);
  d->analytics_id = r.opt_integer(at + 6);
  d->attempts = static_cast<int>(r.integer(at + 7));
  d->url = r.text(at + 8);
  d->secret = r.opt_text(at + 9).value_or("");
  d->chat = r.text(at + 10);
  d->message_id = r.opt_text(at + 11).value_or("");
  return d;
}

// One process: the oldest pending row of a chat, its due time first (parameters: session id,
// chat key). Served by the partial index idx_webhook_deliveries_pending_chat.
const std::string& next_of_chat_sql() {
  static const std::string sql = std::string("SELECT d.next_attempt_ms, ") + kColumns +
                                 "WHERE d.session_id = ? AND d.chat_key = ? "
                                 "AND d.status = 'pending' ORDER BY d.id LIMIT 1";
  return sql;
}

std::shared_ptr<DeliveryWorker::Delivery> next_of_chat_row(const db::Result& r) {
  if (r.rows.empty()) return nullptr;
  auto d = delivery_of(r.rows.front(), 1);
  d->due_ms = r.rows.front().integer(0);
  return d;
}

}  // namespace

DeliveryWorker::DeliveryWorker(asio::any_io_executor ex, db::Database& db, HttpClient& http,
                               sessions::Manager& sessions, outbound::Sender& sender,
                               WorkerOptions options)
    : strand_(asio::make_strand(ex)),
      db_(db),
      http_(http),
      sessions_(sessions),
      sender_(sender),
      options_(std::move(options)),
      timer_(strand_) {}

DeliveryWorker::~DeliveryWorker() = default;

void DeliveryWorker::start() {
  if (running_) return;
  if (cluster()) {
    // Claims this node id holds from an earlier run (restarted with the same NODE_ID) are
    // stale. Given back before anything can be in flight (start_now() waits for running_).
    try {
      db_.with_connection([this](db::Connection& c) {
        c.query(
            "UPDATE webhook_deliveries SET claimed_by = NULL, claim_until = NULL "
            "WHERE claimed_by = ? AND status = 'pending'",
            {options_.node_id});
      });
    } catch (const std::exception& e) {
      log::warn("webhook claims of an earlier run not given back (they run out)",
                {{"error", e.what()}});
    }
  }
  if (running_.exchange(true)) return;
  asio::co_spawn(strand_, loop(), asio::detached);
}

void DeliveryWorker::stop() {
  running_ = false;
  asio::post(strand_, [this] { timer_.cancel(); });
}

void DeliveryWorker::wake() {
  asio::post(strand_, [this] {
    wake_pending_ = true;
    timer_.cancel();
  });
}

std::size_t DeliveryWorker::free_slots() const {
  const auto max = static_cast<std::size_t>(options_.concurrency);
  return in_flight_.size() < max ? max - in_flight_.size() : 0;
}

std::size_t DeliveryWorker::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_.size();
}

bool DeliveryWorker::delivering(const std::string& session_id) const {
  std::lock_guard lock(busy_->mutex);
  return busy_->sessions.contains(session_id);
}

void DeliveryWorker::Busy::begin(const std::string& session_id) {
  std::lock_guard lock(mutex);
  ++sessions[session_id];
}

void DeliveryWorker::Busy::end(const std::string& session_id) {
  std::lock_guard lock(mutex);
  if (auto it = sessions.find(session_id); it != sessions.end() && --it->second <= 0)
    sessions.erase(it);
}

double DeliveryWorker::oldest_pending_seconds() const {
  const auto oldest = oldest_pending_ms_.load();
  if (oldest == 0) return 0;
  return static_cast<double>(std::max<int64_t>(0, now_ms() - oldest)) / 1000.0;
}

bool DeliveryWorker::started_before(int64_t id) {
  if (!started_.insert(id).second) return true;
  started_order_.push_back(id);
  if (started_order_.size() > 8192) {
    started_.erase(started_order_.front());
    started_order_.pop_front();
  }
  return false;
}

void DeliveryWorker::start_now(inbound::ReadyDelivery ready) {
  auto d = std::make_shared<Delivery>();
  d->id = ready.row_id;
  d->delivery_id = std::move(ready.delivery_id);
  d->session_id = std::move(ready.session_id);
  d->event = "message.received";
  d->payload = std::move(ready.payload);
  d->reply_context = std::move(ready.reply_context);
  d->analytics_id = ready.analytics_id;
  d->url = std::move(ready.url);
  d->secret = std::move(ready.secret);
  d->chat = std::move(ready.chat_key);
  d->message_id = std::move(ready.message_id);
  asio::post(strand_, [this, d] {
    if (!running_) return;  // pending in the outbox for the next start
    bool start = false;
    bool no_slot = false;
    // Cluster mode: deliver() claims the row first (another node's poll may have taken it).
    {
      std::lock_guard lock(mutex_);
      if (!in_flight_.count(d->id) && !finished_at_.count(d->id) && !releasing_.count(d->id) &&
          !started_.count(d->id)) {
        no_slot = free_slots() == 0;
        if (!no_slot) {
          begin(d);
          start = true;
        }
      }
    }
    if (start) {
      asio::co_spawn(strand_, deliver(d), asio::detached);
    } else if (no_slot && !cluster()) {
      wait_for_slot(chat_key_of(d->session_id, d->chat));
    } else if (no_slot) {
      // Left to the outbox query (it is there once committed).
      wake_pending_ = true;
      timer_.cancel();
    }
  });
}

void DeliveryWorker::chat_written(const std::string& session_id, const std::string& chat_key) {
  if (cluster()) {
    wake();
    return;
  }
  asio::post(strand_, [this, key = chat_key_of(session_id, chat_key)] {
    if (!running_) return;
    auto& chat = chats_[key];
    // A delivery of the chat running here reads the next row when it ends; a read under way
    // reads again.
    if (chat.running > 0 || chat.reading || chat.waiting) {
      chat.written = true;
      return;
    }
    read_chat(key);
  });
}

void DeliveryWorker::begin(const std::shared_ptr<Delivery>& d) {
  in_flight_.insert(d->id);
  busy_->begin(d->session_id);
  started_before(d->id);
  ++chats_[chat_key_of(d->session_id, d->chat)].running;
}

bool DeliveryWorker::try_start(const std::shared_ptr<Delivery>& d, uint64_t seq_before) {
  {
    std::lock_guard lock(mutex_);
    auto f = finished_at_.find(d->id);
    if (in_flight_.count(d->id) || (f != finished_at_.end() && f->second > seq_before) ||
        releasing_.count(d->id))
      return true;  // running, or ended after it was read: nothing to start
    if (free_slots() == 0) return false;
    begin(d);
  }
  asio::co_spawn(strand_, deliver(d), asio::detached);
  return true;
}

void DeliveryWorker::wait_for_slot(const std::string& key) {
  auto& chat = chats_[key];
  if (chat.waiting) return;
  chat.waiting = true;
  slot_waiters_.push_back(key);
}

void DeliveryWorker::serve_slots() {
  std::size_t room = 0;
  {
    std::lock_guard lock(mutex_);
    room = free_slots();
  }
  while (room > 0 && !slot_waiters_.empty() && running_) {
    auto key = std::move(slot_waiters_.front());
    slot_waiters_.pop_front();
    auto& chat = chats_[key];
    chat.waiting = false;
    if (chat.running > 0 || chat.reading) {
      chat.written = true;  // read again when that ends
      continue;
    }
    --room;
    read_chat(key);
  }
}

void DeliveryWorker::read_chat(const std::string& key) {
  chats_[key].reading = true;
  asio::co_spawn(strand_, next_of_chat(key), asio::detached);
}

void DeliveryWorker::forget_if_idle(const std::string& key) {
  auto it = chats_.find(key);
  if (it == chats_.end()) return;
  const auto& chat = it->second;
  if (chat.running <= 0 && !chat.reading && !chat.written && !chat.waiting) chats_.erase(it);
}

DeliveryWorker::ReadMark::ReadMark(DeliveryWorker& w) : reads_(w.reads_) {
  std::lock_guard lock(w.mutex_);  // the sequence number and the entry at once, as the poll reads
  seq_ = w.finish_seq_;
  std::lock_guard reads(reads_->mutex);
  at_ = reads_->from.insert(seq_);
}

// Touches only the shared Reads: a frame destroyed with the io_context after the worker is gone
// releases its mark safely.
void DeliveryWorker::ReadMark::release() {
  if (!reads_) return;
  {
    std::lock_guard lock(reads_->mutex);
    reads_->from.erase(at_);
  }
  reads_.reset();
}

asio::awaitable<void> DeliveryWorker::next_of_chat(std::string key) {
  const auto cut = key.find('\n');
  const std::string session_id = key.substr(0, cut);
  const std::string chat_key = key.substr(cut + 1);
  for (;;) {
    chats_[key].written = false;
    ReadMark read(*this);
    std::shared_ptr<Delivery> next;
    bool failed = false;
    try {
      next = co_await db_.run([&](db::Connection& c) {
        return next_of_chat_row(c.query(next_of_chat_sql(), {session_id, chat_key}));
      });
    } catch (const std::exception& e) {
      failed = true;
      log::warn("webhook outbox not readable", {{"error", e.what()}});
    }
    bool no_slot = false;
    bool later = false;
    if (next && running_) {
      if (next->due_ms <= now_ms()) {
        no_slot = !try_start(next, read.seq());
      } else {
        later = true;
      }
    }
    read.release();
    auto& chat = chats_[key];
    if (failed || later) {
      // The outbox query finds it: a retry when its time comes (the query after its failed
      // attempt set the timer), a row held for its attachment when the download ends or the
      // wait is over (the query sets its timer now), anything else at the next poll.
      chat.reading = false;
      if (failed || next->attempts == 0) wake();
      break;
    }
    if (no_slot) {
      chat.reading = false;
      wait_for_slot(key);
      break;
    }
    // Rows committed while this read ran may not be in its result.
    if (!chat.written || chat.running > 0 || !running_) {
      chat.reading = false;
      break;
    }
  }
  // A slot this read was given and did not use goes to the next waiting chat.
  serve_slots();
  forget_if_idle(key);
}

void DeliveryWorker::finished(const std::shared_ptr<Delivery>& d, End end,
                              const std::shared_ptr<Delivery>& next) {
  bool give_back = false;
  {
    std::lock_guard lock(mutex_);
    in_flight_.erase(d->id);
    finished_at_[d->id] = ++finish_seq_;
    give_back = kept_.erase(d->id) > 0;
  }
  const auto key = chat_key_of(d->session_id, d->chat);
  auto& chat = chats_[key];
  --chat.running;
  if (give_back) {
    // Cluster mode: the outbox query claimed the row while it was in flight here. Nothing sends
    // it here now; the claim is given back (a no-op if the delivery's outcome cleared it) and
    // the row is free for any node, this one included, at once.
    const auto id = d->id;
    asio::co_spawn(
        strand_,
        [this, id]() -> asio::awaitable<void> {
          co_await unclaim(std::vector<int64_t>(1, id));
          wake();
        },
        asio::detached);
  } else if (cluster() || end != End::final) {
    // This row stays the chat's head (a retry, or an outcome not saved): the rows behind it wait
    // for its final outcome, whose transaction reads them.
    chat.written = false;
    wake();  // the next delivery of that chat may now be due, or this one later
  } else if (running_ && chat.running == 0) {
    // One process: the chat's next row, as the outcome's transaction read it (the rows its
    // read may have missed were announced by chat_written() since). Chats already waiting for
    // a slot go first.
    if (next && next->due_ms > now_ms()) {
      wake();  // held back (an attachment): the outbox query's timer sends it when due
    } else if (next && slot_waiters_.empty()) {
      // The read was registered in reads_ by deliver(): a row ended since is skipped.
      if (!try_start(next, next->read_at)) wait_for_slot(key);
    } else if (next) {
      wait_for_slot(key);
    } else if (chat.written && !chat.reading && !chat.waiting) {
      read_chat(key);
    }
  }
  serve_slots();
  forget_if_idle(key);
}

asio::awaitable<void> DeliveryWorker::loop() {
  // Sessions created before secrets existed (migration 0005) get one, once, before anything is
  // signed; new sessions get theirs at creation.
  try {
    co_await db_.run([](db::Connection& c) {
      auto r = c.query("SELECT id FROM sessions WHERE webhook_secret IS NULL");
      for (const auto& row : r.rows) {
        c.query("UPDATE sessions SET webhook_secret = ? WHERE id = ? AND webhook_secret IS NULL",
                {auth::hex_encode(auth::random_bytes(32)), row.text(0)});
      }
    });
  } catch (const std::exception& e) {
    log::warn("webhook secrets not set", {{"error", e.what()}});
  }
  while (running_) {
    std::vector<std::shared_ptr<Delivery>> due;
    std::optional<int64_t> next_due;
    uint64_t seq_before = 0;
    {
      std::lock_guard lock(mutex_);
      seq_before = finish_seq_;
    }
    outbox_scans_.fetch_add(1);
    wake_pending_ = false;
    try {
      auto t = now_ms();
      // The backlog for /metrics, at most once a second (a count over a large backlog is not
      // free).
      const bool count = t - counted_ms_ >= 1000;
      if (count) {
        counted_ms_ = t;
        auto backlog = co_await db_.run([](db::Connection& c) {
          return c.query(
              "SELECT COUNT(*), MIN(created_ms) FROM webhook_deliveries WHERE status = 'pending'");
        });
        const auto& row = backlog.rows.at(0);
        pending_.store(static_cast<uint64_t>(row.integer(0)));
        oldest_pending_ms_.store(row.is_null(1) ? 0 : row.integer(1));
      }
      // Per chat only the oldest pending delivery is eligible (ordering); rows already in flight
      // are skipped below. Cluster mode claims what it takes, at most what it can start now.
      std::size_t room = 0;
      {
        std::lock_guard lock(mutex_);
        room = free_slots();
      }
      auto rows = co_await db_.run([t, room, this](db::Connection& c) {
        // First: a failure after the claim below would leave rows claimed and not started.
        auto next = c.query(
            "SELECT MIN(next_attempt_ms) FROM webhook_deliveries WHERE status = 'pending' "
            "AND next_attempt_ms > ?",
            {t});
        db::Result due_rows;
        constexpr const char* kHeadOfChat =
            " AND NOT EXISTS ("
            "  SELECT 1 FROM webhook_deliveries e WHERE e.session_id = d.session_id "
            "  AND e.chat_key = d.chat_key AND e.status = 'pending' AND e.id < d.id) ";
        if (!cluster()) {
          due_rows = c.query(std::string("SELECT ") + kColumns +
                                 "WHERE d.status = 'pending' AND d.next_attempt_ms <= ?" +
                                 kHeadOfChat + "ORDER BY d.id LIMIT ?",
                             {t, int64_t{kBatch}});
        } else if (room > 0) {
          // Any session's deliveries, those of sessions another live node runs only once they
          // have been due for foreign_grace (their owner sends them without a relay when it
          // can). A row another node is taking right now is skipped, not waited for.
          const std::string me = options_.node_id;
          due_rows = c.query(
              std::string("WITH c AS (UPDATE webhook_deliveries SET claimed_by = ?, "
                          "claim_until = ") +
                  kClaimUntil +
                  " WHERE id IN (SELECT d.id FROM webhook_deliveries d "
                  "WHERE d.status = 'pending' AND d.next_attempt_ms <= ? AND " +
                  kClaimable +
                  " AND (d.next_attempt_ms <= ? OR NOT EXISTS (SELECT 1 FROM session_leases l "
                  "WHERE l.session_id = d.session_id AND l.node_id <> ? AND l.node_id <> '' "
                  "AND l.expires_at > now()))" +
                  kHeadOfChat + "ORDER BY d.id LIMIT ? FOR UPDATE SKIP LOCKED) AND " +
                  kNoFlushWait +
                  " RETURNING id, payload, attempts) "
                  "SELECT " +
                  claimed_columns() + "JOIN c ON c.id = d.id ORDER BY d.id",
              {me, claim_ms(), t, static_cast<int64_t>(options_.node_ttl.count()),
               t - static_cast<int64_t>(options_.foreign_grace.count()), me,
               static_cast<int64_t>(std::min<std::size_t>(room, kBatch))});
        }
        return std::make_pair(std::move(due_rows), std::move(next));
      });
      for (const auto& r : rows.first.rows) {
        auto d = delivery_of(r, 0);
        d->claimed = cluster();
        due.push_back(std::move(d));
      }
      if (!rows.second.rows.empty() && !rows.second.rows.front().is_null(0)) {
        next_due = rows.second.rows.front().integer(0);
      }
    } catch (const std::exception& e) {
      log::warn("webhook outbox not readable", {{"error", e.what()}});
    }
    std::vector<std::shared_ptr<Delivery>> start;
    std::vector<int64_t> not_started;  // cluster mode: claimed by the query, given back
    std::vector<std::string> no_slot;  // one process: chats whose head found no free slot
    {
      std::lock_guard lock(mutex_);
      for (auto& d : due) {
        // In flight, or finished after the query began (its row may be stale in the result).
        auto f = finished_at_.find(d->id);
        const bool stale =
            in_flight_.count(d->id) || (f != finished_at_.end() && f->second > seq_before);
        if (stale || free_slots() == 0) {
          if (!cluster() && in_flight_.count(d->id)) {
            // Rows of the chat committed after its running delivery's outcome transaction read
            // the next row, and before it committed, are found neither by that read nor by this
            // query (which saw the running row as the head): read the chat when it ends.
            chats_[chat_key_of(d->session_id, d->chat)].written = true;
          } else if (!stale && !cluster()) {
            no_slot.push_back(chat_key_of(d->session_id, d->chat));
          }
          // A row in flight here keeps the claim (its delivery checks it); the others are
          // given back, and start_now() leaves them alone meanwhile.
          if (d->claimed) {
            if (in_flight_.count(d->id)) {
              kept_.insert(d->id);  // given back when that delivery ends (finished())
            } else {
              not_started.push_back(d->id);
              releasing_.insert(d->id);
            }
          }
          continue;
        }
        begin(d);
        start.push_back(std::move(d));
      }
      // What finished before the query began, and before every read of one chat under way
      // began, is no longer pending in any later result.
      uint64_t upto = seq_before;
      {
        std::lock_guard reads(reads_->mutex);
        if (!reads_->from.empty()) upto = std::min(seq_before, *reads_->from.begin());
      }
      std::erase_if(finished_at_, [upto](const auto& e) { return e.second <= upto; });
    }
    for (auto& d : start) asio::co_spawn(strand_, deliver(d), asio::detached);
    for (const auto& key : no_slot) wait_for_slot(key);
    if (!not_started.empty()) {
      co_await unclaim(not_started);
      std::lock_guard lock(mutex_);
      for (const auto id : not_started) releasing_.erase(id);
    }
    if (!running_) break;
    if (wake_pending_) continue;
    auto wait = options_.poll_interval;
    if (next_due) wait = std::min(wait, milliseconds(std::max<int64_t>(1, *next_due - now_ms())));
    timer_.expires_after(wait);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// "typing…" while a message's webhook is pending: after typing_delay, then refreshed. Runs on
// the worker's strand, as deliver() does, which sets `done`, cancels the timer and sends
// "paused" if "composing" was sent.
struct DeliveryWorker::Typing {
  explicit Typing(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool done = false;
  bool shown = false;
};

asio::awaitable<void> DeliveryWorker::typing(std::shared_ptr<Delivery> d,
                                             std::shared_ptr<Typing> t) {
  auto chat = wa::Jid::parse(d->chat);
  if (!chat) co_return;
  if (options_.typing_delay.count() > 0) {
    t->timer.expires_after(options_.typing_delay);
    co_await t->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  while (!t->done) {
    t->shown = true;
    show_typing(d, true);
    t->timer.expires_after(options_.typing_refresh);
    co_await t->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

// Before the first attempt of a message.received: the group's subject when the message was
// recorded before the session knew it (asked once), and the attachment's media_url (signed now)
// or media_error once its download ended (inbound/media_fetcher.hpp) — or "media_timeout" when
// the wait for it is over. Retries send what was stored.
asio::awaitable<void> DeliveryWorker::complete_payload(std::shared_ptr<Delivery> d) {
  boost::system::error_code ec;
  auto v = boost::json::parse(d->payload, ec);
  if (ec || !v.is_object()) co_return;
  auto* msg = v.as_object().if_contains("message");
  if (!msg || !msg->is_object()) co_return;
  auto& m = msg->as_object();
  std::optional<std::string> subject;
  std::string group;
  const auto* group_id = m.if_contains("group_id");
  const auto* name = m.if_contains("group_name");
  if (group_id && group_id->is_string() && (!name || name->is_null())) {
    group = std::string(group_id->as_string());
    if (auto jid = wa::Jid::parse(group); jid && jid->is_group())
      subject = co_await sessions_.group_name(d->session_id, *jid);
  }
  // Only a message with an attachment has a download job (inbound/media_jobs.hpp): no query for
  // the others.
  const auto* type = m.if_contains("type");
  const bool attachment =
      type && type->is_string() && wa::media::media_type_from_string(type->as_string());
  std::optional<inbound::MediaOutcome> media;
  if (attachment && !d->message_id.empty()) {
    try {
      media = co_await db_.run([&](db::Connection& c) {
        return inbound::media_outcome(c, d->session_id, d->message_id);
      });
    } catch (const std::exception& e) {
      log::warn("media state not readable", {{"delivery_id", d->delivery_id}, {"error", e.what()}});
    }
  }
  if (!subject && !media) co_return;
  if (subject) m["group_name"] = *subject;
  if (media) {
    if (media->state == "stored" && media->media_id && options_.media_url) {
      m["media_url"] = options_.media_url(*media->media_id);
      m["media_error"] = nullptr;
    } else {
      m["media_url"] = nullptr;
      m["media_error"] =
          media->state == "failed" && media->error
              ? *media->error
              : std::string(
                    "media_timeout: the download did not end within "
                    "MEDIA_DOWNLOAD_WAIT_SECONDS; the message log gets it when it does");
    }
  }
  d->payload = boost::json::serialize(v);
  try {
    co_await db_.run([&](db::Connection& c) {
      c.query("UPDATE webhook_deliveries SET payload = ? WHERE id = ?", {d->payload, d->id});
      // The log rows of the group get the name too.
      if (subject) {
        c.query(
            "UPDATE messages_log SET group_name = ? WHERE session_id = ? AND group_id = ? "
            "AND group_name IS NULL",
            {*subject, d->session_id, group});
      }
    });
  } catch (const std::exception& e) {
    log::warn("webhook payload not saved", {{"delivery_id", d->delivery_id}, {"error", e.what()}});
  }
}

asio::awaitable<void> DeliveryWorker::deliver(std::shared_ptr<Delivery> d) {
  // Ends the session's busy count however this returns (begun where the delivery was started).
  Busy::Guard busy_guard{busy_, d->session_id};
  if (cluster() && !d->claimed && !co_await claim_or_give_back(d)) {
    finished(d, End::other);  // another node sends it, or the outbox query finds it later
    co_return;
  }
  const int attempt = d->attempts + 1;
  const bool message = d->event == "message.received";
  if (message && d->attempts == 0) {
    const auto before = std::chrono::steady_clock::now();
    co_await complete_payload(d);
    // Cluster mode: after a long wait (a group's subject asked of WhatsApp) the claim is renewed
    // first; if it ran out and another node took the row, that node sends it.
    if (cluster() && std::chrono::steady_clock::now() - before > std::chrono::seconds(10) &&
        !co_await claim_or_give_back(d)) {
      finished(d, End::other);
      co_return;
    }
  }
  // "typing…" counts from the request (complete_payload may have asked WhatsApp for a group's
  // subject first).
  std::shared_ptr<Typing> ty;
  if (message) {
    ty = std::make_shared<Typing>(strand_);
    asio::co_spawn(strand_, typing(d, ty), asio::detached);
  }

  const auto ts = std::to_string(util::unix_seconds_now());
  std::vector<std::pair<std::string, std::string>> headers{
      {"X-Webhook-Id", d->delivery_id},
      {"X-Webhook-Event", d->event},
      {"X-Webhook-Timestamp", ts},
      {"X-Webhook-Signature", signature(d->secret, ts, d->payload)},
      {"X-Webhook-Attempt", std::to_string(attempt)}};
  const auto started = now_ms();
  HttpResult res;
  try {
    res = co_await http_.post(d->url, d->payload, headers, options_.timeout);
  } catch (const std::exception& e) {
    res.status = 0;
    res.error = std::string("bad webhook URL: ") + e.what();
  }
  attempts_.fetch_add(1);
  if (ty) {
    ty->done = true;
    ty->timer.cancel();
    if (ty->shown) show_typing(d, false);
  }

  const bool ok = res.status >= 200 && res.status < 300;
  const auto elapsed = static_cast<int64_t>(res.elapsed.count());
  std::string error = res.error;
  if (error.empty() && !ok) error = "HTTP " + std::to_string(res.status);
  const bool final_failure =
      !ok && (!retryable(res) || attempt > options_.max_retries || res.error.rfind("bad", 0) == 0);
  int64_t next = 0;
  if (!ok && !final_failure) {
    auto delay = options_.backoff * (int64_t{1} << std::min(attempt - 1, 20));
    if (res.retry_after && (res.status == 429 || res.status == 503)) {
      auto ra = std::chrono::duration_cast<milliseconds>(*res.retry_after);
      delay = std::max<milliseconds>(delay, std::min(ra, options_.retry_after_cap));
    }
    next = now_ms() + delay.count();
  }
  const auto t = now_ms();
  bool fenced = false;  // cluster mode: another node took the claim meanwhile
  bool saved = false;
  // One process: a final outcome's transaction also reads the chat's next pending row. Rows of
  // the chat committed before it begins are in that read; those after are announced by
  // chat_written() again.
  const bool read_next = !cluster() && (ok || final_failure);
  std::shared_ptr<Delivery> next_row;
  std::optional<ReadMark> read;
  if (read_next) {
    chats_[chat_key_of(d->session_id, d->chat)].written = false;
    read.emplace(*this);
  }
  try {
    co_await db_.run([&](db::Connection& c) {
      db::Transaction tx(c);
      const char* status = ok ? "delivered" : (final_failure ? "failed" : "pending");
      std::vector<db::Value> params{
          std::string(status),
          int64_t{attempt},
          ok || final_failure ? t : next,
          ok || final_failure ? db::Value(t) : db::Value(nullptr),
          res.status ? db::Value(int64_t{res.status}) : db::Value(nullptr),
          error.empty() ? db::Value(nullptr) : db::Value(error),
          d->id};
      std::string update =
          "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_ms = ?, "
          "finished_ms = ?, last_status_code = ?, last_error = ?";
      if (cluster()) {
        // Written only while the claim is this node's; the row is then free for any node.
        params.emplace_back(options_.node_id);
        params.emplace_back(int64_t{d->attempts});
        auto r = c.query(update + ", claimed_by = NULL, claim_until = NULL WHERE id = ? AND " +
                             kStillMine + " RETURNING id",
                         params);
        if (r.rows.empty()) {
          // The node that holds the claim records its own attempt. A claim of this node taken
          // while this attempt ran (its poll, after another node's attempt) is given back: no
          // other delivery of the row runs here (it was in flight).
          fenced = true;
          c.query(kUnclaim, {d->id, options_.node_id});
          tx.commit();
          return;
        }
      } else {
        c.query(update + " WHERE id = ?", params);
      }
      c.query(
          "INSERT INTO webhook_attempts (delivery_id, attempt, started_ms, duration_ms, "
          "status_code, error) VALUES (?, ?, ?, ?, ?, ?)",
          {d->id, int64_t{attempt}, started, elapsed,
           res.status ? db::Value(int64_t{res.status}) : db::Value(nullptr),
           error.empty() ? db::Value(nullptr) : db::Value(error)});
      if ((ok || final_failure) && d->analytics_id) {
        c.query(
            "UPDATE analytics SET webhook_sent = TRUE, webhook_success = ?, "
            "webhook_response_time_ms = ?, webhook_status_code = ?, error_message = ? "
            "WHERE id = ?",
            {int64_t{ok ? 1 : 0}, elapsed,
             res.status ? db::Value(int64_t{res.status}) : db::Value(nullptr),
             ok ? db::Value(nullptr) : db::Value(error), *d->analytics_id});
      }
      if (read_next)
        next_row = next_of_chat_row(c.query(next_of_chat_sql(), {d->session_id, d->chat}));
      tx.commit();
      saved = true;
    });
  } catch (const std::exception& e) {
    // Stays pending: retried at the next poll with the same delivery id (cluster mode: once its
    // claim is given back here, or has run out).
    log::warn("webhook outcome not saved", {{"delivery_id", d->delivery_id}, {"error", e.what()}});
  }
  if (!saved && !fenced && cluster()) co_await give_back(d);
  if (fenced) {
    // The receiver got this id twice (at least once, as documented); its answer is not sent:
    // the node holding the claim sends its own.
    log::warn("webhook attempt outcome dropped: another node claimed the delivery meanwhile",
              {{"delivery_id", d->delivery_id}, {"status", res.status}});
    finished(d, End::other);
    co_return;
  }
  if (options_.on_attempt) {
    options_.on_attempt(d->session_id, ok ? "delivered" : (final_failure ? "failed" : "retry"),
                        static_cast<double>(elapsed) / 1000.0);
  }
  log::write(ok ? log::Level::info : log::Level::warn, "webhook attempt",
             {{"delivery_id", d->delivery_id},
              {"session_id", d->session_id},
              {"attempt", attempt},
              {"status", res.status},
              {"duration_ms", elapsed},
              {"outcome", ok ? "delivered" : (final_failure ? "failed" : "retry")},
              {"error", error}});
  if (next_row) next_row->read_at = read->seq();
  finished(d, saved && (ok || final_failure) ? End::final : End::other, saved ? next_row : nullptr);
  read.reset();
  if (ok && message) {
    std::shared_ptr<outbound::SendRequest> request;
    try {
      if (auto r = outbound::parse_webhook_reply(res.body, sender_.options().limits))
        request = std::make_shared<outbound::SendRequest>(std::move(*r));
    } catch (const http::ApiError& e) {
      replies_failed_.fetch_add(1);
      log::warn("webhook reply not sent: invalid reply",
                {{"delivery_id", d->delivery_id}, {"error", e.what()}});
    }
    if (!request) co_return;
    // Cluster mode: a session another node runs answers through that node's connection.
    std::optional<http::Response> answer;
    if (cluster() && options_.relay.reply) {
      try {
        answer = co_await options_.relay.reply(d->session_id, d->id, res.body);
      } catch (const std::exception& e) {
        answer = http::error_response(http::ErrorKind::unavailable, e.what());  // not handed over
      }
    }
    if (!answer) {
      // Cluster mode: the lease says this node runs the session (it may be starting it).
      co_await send_reply(d, request, cluster());
      co_return;
    }
    // 503 (no node runs the session) and 504 (its node did not answer): never handed over.
    const bool handed = answer->status != 503 && answer->status != 504;
    if (handed) replies_relayed_.fetch_add(1);
    if (answer->status != 200) {
      // 422 and 502: the owner tried, and counted it; the others: it was never tried.
      if (answer->status != 422 && answer->status != 502) replies_failed_.fetch_add(1);
      log::warn(
          "webhook reply not sent by the node that runs the session",
          {{"delivery_id", d->delivery_id}, {"status", answer->status}, {"answer", answer->body}});
      co_return;
    }
    log::info("webhook reply sent through the node that runs the session",
              {{"delivery_id", d->delivery_id}});
  }
}

asio::awaitable<bool> DeliveryWorker::claim(std::shared_ptr<Delivery> d) {
  const std::string me = options_.node_id;
  const auto ttl = static_cast<int64_t>(options_.node_ttl.count());
  const auto hold = claim_ms();
  const int64_t id = d->id;
  const auto attempts = int64_t{d->attempts};
  const auto t = now_ms();
  // This node's own claim counts as free: its poll may have claimed the row since it was handed
  // over, and in_flight_ keeps two deliveries of it from running here. It must still be the
  // attempt this delivery read (none recorded since, by any node) and due.
  co_return co_await db_.run([&](db::Connection& c) {
    return !c.query(std::string("UPDATE webhook_deliveries AS d SET claimed_by = ?, "
                                "claim_until = ") +
                        kClaimUntil +
                        " WHERE d.id = ? AND d.status = 'pending' AND d.attempts = ? "
                        "AND d.next_attempt_ms <= ? AND (d.claimed_by = ? OR " +
                        kClaimable + ") AND " + kNoFlushWait + " RETURNING d.id",
                    {me, hold, id, attempts, t, me, ttl})
                .rows.empty();
  });
}

asio::awaitable<void> DeliveryWorker::unclaim(std::vector<int64_t> ids) {
  const std::string me = options_.node_id;
  try {
    co_await db_.run([&](db::Connection& c) {
      db::Transaction tx(c);
      c.execute_script("SET LOCAL synchronous_commit = off");  // as kNoFlushWait
      for (const auto id : ids) c.query(kUnclaim, {id, me});
      tx.commit();
    });
  } catch (const std::exception& e) {
    // They run out after claim_ms() and are taken then.
    log::warn("webhook claims not given back", {{"error", e.what()}});
  }
}

asio::awaitable<bool> DeliveryWorker::claim_or_give_back(std::shared_ptr<Delivery> d) {
  bool claimed = false;
  try {
    claimed = co_await claim(d);
  } catch (const std::exception& e) {
    log::warn("webhook delivery not claimed",
              {{"delivery_id", d->delivery_id}, {"error", e.what()}});
  }
  if (!claimed) co_await give_back(d);
  co_return claimed;
}

asio::awaitable<void> DeliveryWorker::give_back(const std::shared_ptr<Delivery>& d) {
  // Only while it is in flight here: no other delivery of the row runs on this node, so a claim
  // of this node on it (its outbox query's, taken meanwhile) has nobody sending it.
  co_await unclaim(std::vector<int64_t>(1, d->id));
}

void DeliveryWorker::show_typing(const std::shared_ptr<Delivery>& d, bool composing) {
  if (cluster() && options_.relay.owner_elsewhere) {
    if (auto owner = options_.relay.owner_elsewhere(d->session_id)) {
      options_.relay.presence(*owner, d->session_id, d->chat, composing);
      return;
    }
  }
  if (auto chat = wa::Jid::parse(d->chat)) sessions_.chat_presence(d->session_id, *chat, composing);
}

asio::awaitable<http::Response> DeliveryWorker::reply_relayed(int64_t row_id, std::string body) {
  std::optional<db::Result> rows;
  try {
    rows = co_await db_.run([row_id](db::Connection& c) {
      return c.query(
          "SELECT delivery_id, session_id, event, reply_context, chat_key, message_id "
          "FROM webhook_deliveries WHERE id = ?",
          {row_id});
    });
  } catch (const std::exception& e) {
    co_return http::error_response(http::ErrorKind::internal, e.what());
  }
  if (rows->rows.empty())
    co_return http::error_response(http::ErrorKind::not_found, "no such delivery");
  const auto& r = rows->rows.front();
  auto d = std::make_shared<Delivery>();
  d->id = row_id;
  d->delivery_id = r.text(0);
  d->session_id = r.text(1);
  d->event = r.text(2);
  d->reply_context = r.opt_text(3);
  d->chat = r.text(4);
  d->message_id = r.opt_text(5).value_or("");
  // The session is not handed to another node while its reply is sent (as for a delivery here).
  busy_->begin(d->session_id);
  Busy::Guard busy_guard{busy_, d->session_id};
  auto snap = sessions_.snapshot(d->session_id);
  if (!snap || !snap->running) {
    co_return http::error_response(http::ErrorKind::conflict,
                                   "the session does not run on this node");
  }
  std::shared_ptr<outbound::SendRequest> request;
  try {
    if (auto parsed = outbound::parse_webhook_reply(body, sender_.options().limits))
      request = std::make_shared<outbound::SendRequest>(std::move(*parsed));
  } catch (const http::ApiError& e) {
    replies_failed_.fetch_add(1);
    co_return http::error_response(e);
  }
  if (!request) {
    co_return http::error_response(http::ErrorKind::validation, "the response holds no reply");
  }
  auto sent = co_await send_reply(d, request);  // running here (checked above)
  if (!sent) {
    // Left this node meanwhile (handed over, or its lease lost): the relaying node looks again.
    auto now = sessions_.snapshot(d->session_id);
    if (!now || !now->running) {
      co_return http::error_response(http::ErrorKind::conflict,
                                     "the session does not run on this node");
    }
    co_return http::error_response(http::ErrorKind::bad_gateway, "the reply was not sent");
  }
  co_return http::ok(boost::json::object{{"message_id", *sent}}, "reply sent");
}

asio::awaitable<std::optional<std::string>> DeliveryWorker::send_reply(
    std::shared_ptr<Delivery> d, std::shared_ptr<outbound::SendRequest> request, bool leased_here) {
  if (request->media_url) {
    const auto max = sender_.options().limits.max_media_bytes;
    webhooks::FetchResult got;
    if (options_.media_client) {
      got = co_await outbound::fetch_media_url(*options_.media_client, *request,
                                               options_.media_fetch_timeout, max);
    } else {
      got.error = FetchError::network;
      got.message = "no media client";
    }
    if (!got.ok()) {
      replies_failed_.fetch_add(1);
      log::warn("webhook reply not sent: its media_url could not be downloaded",
                {{"delivery_id", d->delivery_id}, {"error", got.message}});
      co_return std::nullopt;
    }
  }
  // Where to answer and what to quote (written by the inbound path with the delivery).
  std::string chat_text, id, quoted_text, participant;
  if (d->reply_context) {
    boost::system::error_code ec;
    auto v = boost::json::parse(*d->reply_context, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      auto get = [&o](const char* k) {
        auto it = o.find(k);
        return it != o.end() && it->value().is_string() ? std::string(it->value().as_string())
                                                        : std::string();
      };
      chat_text = get("chat");
      id = get("id");
      quoted_text = get("text");
      participant = get("participant");
    }
  }
  if (chat_text.empty()) chat_text = d->chat;
  auto chat = wa::Jid::parse(chat_text);
  if (!chat) co_return std::nullopt;
  outbound::Reply reply{d->session_id, *chat, d->chat, std::move(*request), std::nullopt};
  if (chat->is_group() && !id.empty() && !participant.empty())
    reply.quote = wa::client::SendOptions::Quote{id, participant, quoted_text};
  // A session that runs here but is not logged in yet (it reconnects, or was just taken over
  // from a node that died while its webhook was answered) gets a moment to connect.
  const auto until = std::chrono::steady_clock::now() + kReplyConnectWait;
  asio::steady_timer wait(co_await asio::this_coro::executor);
  // A session this node has just taken over (its lease is this node's) may not even have
  // started here yet.
  auto logging_in = [leased_here](const std::optional<sessions::Snapshot>& snap) {
    if (!snap || !snap->running) return leased_here;
    return snap->status == "disconnected" &&
           (!snap->reason || *snap->reason == "connecting" || *snap->reason == "reconnecting");
  };
  for (auto snap = sessions_.snapshot(d->session_id);
       logging_in(snap) && std::chrono::steady_clock::now() < until;
       snap = sessions_.snapshot(d->session_id)) {
    wait.expires_after(milliseconds(250));
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  auto sent = co_await sender_.reply(reply);
  if (!sent) {
    replies_failed_.fetch_add(1);
    co_return std::nullopt;
  }
  log::info("webhook reply sent", {{"delivery_id", d->delivery_id}, {"message_id", *sent}});
  co_return sent;
}

}  // namespace gw::webhooks

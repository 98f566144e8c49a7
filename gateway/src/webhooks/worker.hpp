#pragma once
// The webhook delivery worker: takes due rows of the durable outbox (webhook_deliveries), POSTs
// them signed to the session's webhook URL, records every attempt, retries with exponential
// backoff, fills the analytics row with the final outcome, and sends the reply found in a 2xx
// response back to the chat (quoted in groups) while showing "typing…" during the request.
//
// Ordering: per (session, chat) only the oldest pending delivery is eligible, so a failing message
// holds back the later ones of its chat and nothing else. A delivery the inbound path found
// eligible when it wrote it (inbound::ReadyDelivery) is handed over by start_now() once its
// transaction committed, and goes out without the outbox being read. In one process, the rest
// goes by chat too (docs/ARCHITECTURE.md, "Webhook delivery: chat by chat"): the transaction that
// records a delivery's final outcome reads the next pending row of its chat, a message written
// behind a pending one names its chat (chat_written()), and a chat whose next row found no free
// slot waits in a queue for one; each of these reads one chat's oldest pending row through an
// index. The outbox query over every chat runs at start, once a poll_interval, for retries that
// come due, and on wake(): its cost grows with the backlog, so it is not run per delivery. Cluster
// mode finds everything with the outbox query, which claims rows. Durability: rows are written by
// the inbound path in the message's own transaction; a restart (or kill -9) resumes every pending
// row with the same delivery id (X-Webhook-Id), so receivers can drop duplicates.
//
// Threads: the worker's coroutines run on the executor given (the HTTP I/O context); database
// calls go through Database::run (blocking pool), HTTP through HttpClient, replies through the
// session manager (WhatsApp pool). wake() may be called from any thread.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "db/database.hpp"
#include "http/message.hpp"
#include "inbound/inbound.hpp"
#include "outbound/sender.hpp"
#include "sessions/manager.hpp"
#include "webhooks/http_client.hpp"

namespace gw::webhooks {

struct WorkerOptions {
  std::chrono::milliseconds timeout{30'000};
  int max_retries = 3;
  std::chrono::milliseconds backoff{1'000};  // first retry; doubled each time
  std::chrono::milliseconds retry_after_cap{300'000};
  int concurrency = 64;
  std::chrono::milliseconds poll_interval{1'000};  // safety net besides wake()
  std::chrono::milliseconds typing_refresh{8'000};
  /// "typing…" shows once a message's webhook has been pending this long: a receiver that
  /// answers sooner costs no presence stanzas (0: at once).
  std::chrono::milliseconds typing_delay{500};
  std::string user_agent = "wa-gateway";
  /// After each attempt (outcome "delivered", "retry" or "failed"): for /metrics.
  std::function<void(const std::string& session_id, std::string_view outcome, double seconds)>
      on_attempt;
  /// Fetches the media_url of a reply (the send API's client and SSRF rules); replies with a
  /// media_url are not sent without it.
  HttpClient* media_client = nullptr;
  std::chrono::milliseconds media_fetch_timeout{60'000};
  /// The URL a webhook receiver downloads a stored media file from (signed, absolute).
  std::function<std::string(const std::string& media_id)> media_url;
  /// Cluster mode (docs/CLUSTER.md, "Webhook deliveries across nodes"): this node's NODE_ID.
  /// Every live node claims due deliveries of any session (FOR UPDATE SKIP LOCKED, only the
  /// oldest pending one of a chat) and records the claim in the row; an attempt's outcome is
  /// written only while the claim is still this node's. Empty in one process.
  std::string node_id;
  /// Cluster mode: how long past its due time a delivery of a session that another live node
  /// runs waits before this node claims it (the owner sends its own without relaying the reply).
  std::chrono::milliseconds foreign_grace{2'000};
  /// Cluster mode: a claim whose node has not written a heartbeat for this long may be taken.
  std::chrono::milliseconds node_ttl{15'000};
  /// Cluster mode: reaching the node that runs a session, for the reply and "typing…" of a
  /// delivery claimed here. All three are set together (app/app.cpp).
  struct Relay {
    /// The live node running the session when it is another one (as of the last lease round).
    std::function<std::optional<std::string>(const std::string& session_id)> owner_elsewhere;
    /// Has the node running the session (found now) run reply_relayed() for the outbox row
    /// `row_id` with the webhook's response body `body`, and returns its answer; nullopt when
    /// that node is this one (the reply is sent here).
    std::function<boost::asio::awaitable<std::optional<http::Response>>(
        const std::string& session_id, int64_t row_id, const std::string& body)>
        reply;
    /// Has `node` show or end "typing…" in `chat` of `session_id` (fire and forget).
    std::function<void(const std::string& node, const std::string& session_id,
                       const std::string& chat, bool composing)>
        presence;
  } relay;
};

/// The signature header value: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
std::string signature(std::string_view secret, std::string_view timestamp, std::string_view body);

class DeliveryWorker {
 public:
  DeliveryWorker(boost::asio::any_io_executor ex, db::Database& db, HttpClient& http,
                 sessions::Manager& sessions, outbound::Sender& sender, WorkerOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  void start();
  /// Stops taking new deliveries; those in flight finish (their outcome is recorded) or stay
  /// pending for the next start.
  void stop();
  /// Something was queued: look now instead of at the next poll.
  void wake();
  /// A committed outbox row that may go at once (inbound::ReadyDelivery): started without an
  /// outbox query, unless it was started already or the worker is at its concurrency (then the
  /// query finds it). Any thread.
  void start_now(inbound::ReadyDelivery ready);
  /// Outbox rows of `chat_key` of `session_id` were committed that were not handed over by
  /// start_now(): the oldest pending row of that chat is read once no delivery of it runs here
  /// (cluster mode: wake()). Any thread.
  void chat_written(const std::string& session_id, const std::string& chat_key);

  /// Cluster mode, on the node that runs the session: sends the reply found in `body` (a 2xx
  /// response of the webhook) of the outbox row `row_id`, which another node delivered. 200 with
  /// {"message_id"} when WhatsApp took it; 409 when the session does not run here; 422 for a
  /// reply that is not valid; 502 when it could not be sent.
  boost::asio::awaitable<http::Response> reply_relayed(int64_t row_id, std::string body);

  [[nodiscard]] uint64_t attempts() const noexcept { return attempts_.load(); }
  /// How many times the outbox query over every chat ran (for /metrics).
  [[nodiscard]] uint64_t outbox_scans() const noexcept { return outbox_scans_.load(); }
  [[nodiscard]] uint64_t replies_relayed() const noexcept { return replies_relayed_.load(); }
  [[nodiscard]] uint64_t replies_failed() const noexcept { return replies_failed_.load(); }
  [[nodiscard]] std::size_t in_flight() const;
  /// Whether a delivery of `session_id` is in flight, its reply included (cluster mode: such a
  /// session is not handed to another node). Any thread.
  [[nodiscard]] bool delivering(const std::string& session_id) const;
  /// Deliveries waiting to be sent (refreshed about once a second; bounded only by disk).
  [[nodiscard]] uint64_t pending() const noexcept { return pending_.load(); }
  /// Age of the oldest pending delivery in seconds (0 when none).
  [[nodiscard]] double oldest_pending_seconds() const;

  struct Delivery;

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> deliver(std::shared_ptr<Delivery> d);
  struct Typing;
  boost::asio::awaitable<void> typing(std::shared_ptr<Delivery> d, std::shared_ptr<Typing> t);
  boost::asio::awaitable<void> complete_payload(std::shared_ptr<Delivery> d);
  /// The message id WhatsApp acknowledged, nullopt when the reply was not sent (counted). Waits
  /// up to kReplyConnectWait for a session that logs in; `leased_here` (cluster mode: the lease
  /// says this node runs it) also for one that has not started here yet.
  boost::asio::awaitable<std::optional<std::string>> send_reply(
      std::shared_ptr<Delivery> d, std::shared_ptr<outbound::SendRequest> request,
      bool leased_here = false);
  // Cluster mode: claims this delivery (its row) for this node; false when another node holds it or
  // it is no longer pending.
  boost::asio::awaitable<bool> claim(std::shared_ptr<Delivery> d);
  // Cluster mode: claim(), or, when it fails or throws, give_back(); whether it is claimed.
  boost::asio::awaitable<bool> claim_or_give_back(std::shared_ptr<Delivery> d);
  // Cluster mode: gives back this node's claim of a delivery in flight here that ends without
  // an outcome.
  boost::asio::awaitable<void> give_back(const std::shared_ptr<Delivery>& d);
  // Gives claims of rows this node took but did not start back (cluster mode).
  boost::asio::awaitable<void> unclaim(std::vector<int64_t> ids);
  // "typing…" on or off in the delivery's chat, here or through the node that runs the session.
  void show_typing(const std::shared_ptr<Delivery>& d, bool composing);
  [[nodiscard]] bool cluster() const noexcept { return !options_.node_id.empty(); }
  // How long a claim holds: an attempt's timeout and a margin for its database writes.
  [[nodiscard]] int64_t claim_ms() const noexcept {
    return static_cast<int64_t>(options_.timeout.count()) + 30'000;
  }
  // How a delivery ended: its outcome committed as final (delivered or failed), or anything else
  // (a retry scheduled, the outcome not saved, another node's claim).
  enum class End { final, other };
  // On the strand, once a delivery started by begin() ended. `next`: the oldest pending row of
  // its chat, as the transaction of a final outcome read it (one process).
  void finished(const std::shared_ptr<Delivery>& d, End end,
                const std::shared_ptr<Delivery>& next = nullptr);
  // Whether `id` was started recently (by the loop or start_now); records it. Under mutex_.
  bool started_before(int64_t id);
  // Records `d` as started (under mutex_; the chat's count on the strand).
  void begin(const std::shared_ptr<Delivery>& d);
  // Delivery slots not taken (of WEBHOOK_CONCURRENCY). Under mutex_.
  [[nodiscard]] std::size_t free_slots() const;
  // On the strand: starts `d`, a row read as pending when the finish sequence was `seq_before`,
  // unless it runs, ended since, or is being given back. False when no slot was free (nothing
  // started).
  bool try_start(const std::shared_ptr<Delivery>& d, uint64_t seq_before);
  // On the strand (one process): marks the chat as being read and runs next_of_chat().
  void read_chat(const std::string& key);
  // Reads the chat's oldest pending row and starts it when due (again while rows of the chat
  // were committed during the read and nothing of it runs).
  boost::asio::awaitable<void> next_of_chat(std::string key);
  // On the strand: a chat whose next row waits for a free slot.
  void wait_for_slot(const std::string& key);
  // On the strand: as many waiting chats as there are free slots are read again.
  void serve_slots();
  // On the strand: forgets a chat with nothing running, read or waiting.
  void forget_if_idle(const std::string& key);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  db::Database& db_;
  HttpClient& http_;
  sessions::Manager& sessions_;
  outbound::Sender& sender_;
  WorkerOptions options_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> running_{false};
  mutable std::mutex mutex_;
  std::set<int64_t> in_flight_;  // guarded by mutex_
  // Cluster mode: rows the loop claimed, did not start and is giving back (guarded by mutex_).
  std::set<int64_t> releasing_;
  // Cluster mode: rows the loop claimed while they were in flight here; their claim is given
  // back when that delivery ends (guarded by mutex_).
  std::set<int64_t> kept_;
  // Deliveries started and not ended yet (their reply included), per session. Shared with the
  // delivery coroutines, whose frames may outlive the worker (destroyed with the io_context).
  struct Busy {
    std::mutex mutex;
    std::map<std::string, int, std::less<>> sessions;
    void begin(const std::string& session_id);
    void end(const std::string& session_id);
    // Ends one begin() however its holder returns.
    struct Guard {
      std::shared_ptr<Busy> busy;
      std::string session;
      ~Guard() { busy->end(session); }
    };
  };
  std::shared_ptr<Busy> busy_ = std::make_shared<Busy>();
  // Deliveries finished while the loop's outbox query ran may still show as pending in its
  // result: they are skipped by their finish sequence number (guarded by mutex_).
  uint64_t finish_seq_ = 0;
  std::unordered_map<int64_t, uint64_t> finished_at_;
  // The last deliveries started (ids, bounded): a start_now() that comes after its row was
  // found, sent and forgotten by the loop is not sent twice (guarded by mutex_).
  std::deque<int64_t> started_order_;
  std::unordered_set<int64_t> started_;
  bool wake_pending_ = false;  // on strand_: a wake() that came while the loop was not waiting
  // One process: what the worker knows of each chat with something going on (key: session id,
  // '\n', chat key). On strand_ only.
  struct Chat {
    int running = 0;       // deliveries of the chat in flight here
    bool reading = false;  // next_of_chat() is reading its oldest pending row
    bool written = false;  // rows were committed since the last read began
    bool waiting = false;  // in slot_waiters_
  };
  std::unordered_map<std::string, Chat> chats_;
  std::deque<std::string> slot_waiters_;  // chats whose next row waits for a free slot
  // Finish sequence numbers at which reads of the outbox began that have not been matched yet:
  // finished_at_ keeps what finished after the oldest of them. Shared with the ReadMarks in
  // coroutine frames, which may outlive the worker (as busy_); its mutex is taken after mutex_
  // when both are held.
  struct Reads {
    std::mutex mutex;
    std::multiset<uint64_t> from;
  };
  std::shared_ptr<Reads> reads_ = std::make_shared<Reads>();
  // One entry of reads_, from the start of a read to its end (or the holder's).
  class ReadMark {
   public:
    explicit ReadMark(DeliveryWorker& w);
    ReadMark(const ReadMark&) = delete;
    ReadMark& operator=(const ReadMark&) = delete;
    ~ReadMark() { release(); }
    [[nodiscard]] uint64_t seq() const noexcept { return seq_; }
    void release();

   private:
    std::shared_ptr<Reads> reads_;
    uint64_t seq_ = 0;
    std::multiset<uint64_t>::iterator at_;
  };
  std::atomic<uint64_t> outbox_scans_{0};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> replies_failed_{0};
  std::atomic<uint64_t> replies_relayed_{0};
  std::atomic<uint64_t> pending_{0};
  std::atomic<int64_t> oldest_pending_ms_{0};  // created_ms; 0 when none
  int64_t counted_ms_ = 0;                     // on the strand
};

}  // namespace gw::webhooks

#pragma once
// The session manager: one wa::client::Client per running WhatsApp session, its lifecycle
// (start, stop, reconnect, pairing by QR or phone code, logout + delete, resume at start-up,
// giving up after too many failed reconnects), its live state, and the connected intervals that
// make uptime real. State changes are written to the sessions table and published to the event
// hub (qr_update, status_update).
//
// Threads: all WhatsApp work runs on the manager's own thread pool (WHATSAPP_THREADS), never on
// the HTTP I/O threads. Each session has a strand on that pool; its Client runs on it, so the
// library's synchronous device-store calls (SQL) and this manager's status writes happen there.
// A slow database therefore delays only the sessions whose strand is waiting on it, and at most
// `threads` of them at once; keepalive tolerates three minutes of silence (docs/sessions.md).
// The public functions may be called from any thread; they hop onto the session's strand for
// anything that touches the client. Operations on one session (start, stop, reconnect,
// pair-code, delete) are serialized by lock(), so concurrent requests leave a consistent state.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "events/hub.hpp"
#include "inbound/inbound.hpp"
#include "sessions/repository.hpp"
#include "wa/client/client.hpp"
#include "wa/client/outgoing.hpp"

namespace gw::sessions {

struct ManagerOptions {
  int threads = 1;
  wa::client::Options client;  // url, root key, CA, version, device name, QR windows, backoff
  int max_reconnect_attempts = 20;
  /// How long start/reconnect wait for a QR code or a login before answering.
  std::chrono::milliseconds start_wait{20'000};
  std::chrono::milliseconds heartbeat_interval{30'000};
  /// After a received message could not be stored (database down or too slow), the session
  /// reconnects after this delay (doubling while it keeps failing, up to a minute), so that
  /// WhatsApp re-sends what was left unacknowledged.
  std::chrono::milliseconds redelivery_delay{2'000};
  /// Called (on a WhatsApp thread) after a received message was committed with an outbox row:
  /// wakes the webhook delivery worker. Must not block.
  std::function<void()> outbox_written;
  /// Called (on a WhatsApp thread) after a received message was committed whose webhook may go
  /// at once (inbound::ReadyDelivery): the worker starts it without reading the outbox. When
  /// unset, outbox_written is called instead. Must not block.
  std::function<void(inbound::ReadyDelivery)> delivery_ready;
  /// Called (on a WhatsApp thread) after a received message was committed with outbox rows that
  /// may not go at once (an earlier delivery of the chat is pending, or they wait for an
  /// attachment), with the session and the chat key: the worker looks at that chat only. When
  /// unset, outbox_written is called instead. Must not block.
  std::function<void(const std::string& session_id, const std::string& chat_key)> chat_written;
  /// An incoming message was stored (in the transaction about to commit): for /metrics.
  std::function<void(const std::string& session_id, bool forwarded)> message_recorded;
  /// The session may have incoming media to download: a received message with an attachment was
  /// committed, or the session connected (pending downloads resume). Called on a WhatsApp
  /// thread; must not block.
  std::function<void(const std::string& session_id)> media_work;
  /// How long the webhook of a message with an attachment waits for its download
  /// (MEDIA_DOWNLOAD_WAIT_SECONDS).
  std::chrono::milliseconds media_wait{30'000};

  // Cluster mode (docs/CLUSTER.md); all empty in one process.
  /// This process's node id: intervals are recorded and refreshed per node, and resume() leaves
  /// starting sessions to the lease loop (adopt()).
  std::string node_id;
  /// Takes the session's lease for this node before it runs here (start, reconnect, pair code,
  /// delete) and returns its epoch; throws SessionError(conflict) while another live node holds it.
  std::function<int64_t(db::Connection&, const std::string& session_id)> acquire;
  /// Gives the lease up after the session was stopped here.
  std::function<void(db::Connection&, const std::string& session_id)> release;
  /// Inside a write transaction: throws db::DbError unless this node still holds `epoch` of the
  /// session's lease. Every write of a session's Signal state, received messages and status is
  /// fenced by it.
  std::function<void(db::Connection&, const std::string& session_id, int64_t epoch)> fence;
  /// Whether this node may connect the session now (its lease is held and was renewed recently);
  /// asked before every connection attempt.
  std::function<bool(const std::string& session_id)> may_connect;
  /// adopt() could not run the session (the database failed, or it should not run): the lease
  /// loop forgets it and looks at it again at its next round.
  std::function<void(const std::string& session_id)> adopt_failed;
};

/// The live state of one session, as the API and the dashboard see it.
struct Snapshot {
  std::string id;
  std::string status = "disconnected";  // qr | connected | disconnected
  std::optional<std::string> reason;    // status_reason
  std::optional<std::string> detail;
  std::optional<std::string> phone_number;
  std::optional<std::string> device_info;  // JSON object text
  std::string qr_text;                     // current QR (status qr), else empty
  std::string qr_png;                      // PNG data URL of qr_text
  int qr_expires_in = 0;                   // seconds left for qr_text
  std::string pair_code;                   // phone-number pairing code, while it is valid
  bool running = false;                    // a client exists and connects or reconnects
};

/// A refused operation, mapped to an HTTP status by the routes.
class SessionError : public std::runtime_error {
 public:
  enum class Kind { conflict, timeout };
  SessionError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

class Manager {
 public:
  Manager(ManagerOptions options, db::Database& db, events::Hub& hub);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  /// Holds a session's operation lock until destroyed.
  class OpLock {
   public:
    OpLock() = default;
    OpLock(OpLock&&) noexcept;
    OpLock& operator=(OpLock&&) noexcept;
    ~OpLock();
    struct Queue;

   private:
    friend class Manager;
    std::shared_ptr<Queue> queue_;
  };
  /// Waits (FIFO) until no other operation runs on this session.
  boost::asio::awaitable<OpLock> lock(const std::string& session_id);

  /// Sets ManagerOptions::outbox_written (before resume(); not thread-safe).
  void on_outbox_written(std::function<void()> f) { options_.outbox_written = std::move(f); }
  /// Sets ManagerOptions::delivery_ready (before resume(); not thread-safe).
  void on_delivery_ready(std::function<void(inbound::ReadyDelivery)> f) {
    options_.delivery_ready = std::move(f);
  }
  /// Sets ManagerOptions::chat_written (before resume(); not thread-safe).
  void on_chat_written(std::function<void(const std::string&, const std::string&)> f) {
    options_.chat_written = std::move(f);
  }
  void on_message_recorded(std::function<void(const std::string&, bool)> f) {
    options_.message_recorded = std::move(f);
  }
  void on_media_work(std::function<void(const std::string&)> f) {
    options_.media_work = std::move(f);
  }

  /// At start-up (blocking): closes intervals left open by a crash, then starts every session
  /// whose desired state is running, without waiting for them. Returns how many were started.
  int resume();
  /// Starts the session (idempotent) and waits until it shows a QR code, is connected, or ended.
  boost::asio::awaitable<Snapshot> start(const SessionRow& row);
  /// Disconnects without logging out; the session stays stopped (also across restarts).
  boost::asio::awaitable<Snapshot> stop(const std::string& session_id);
  /// Drops the connection and opens a new one; waits like start().
  boost::asio::awaitable<Snapshot> reconnect(const SessionRow& row);
  /// Asks WhatsApp for a phone-number pairing code ("ABCD-EFGH") for `phone` (digits).
  /// SessionError(conflict) when the session is already linked, (timeout) without an answer.
  boost::asio::awaitable<std::string> pair_code(const SessionRow& row, std::string phone);
  /// Logs the device out of WhatsApp when it is linked (connecting first if needed), stops the
  /// client and deletes the session with its keys and data. Returns whether WhatsApp confirmed
  /// the logout.
  boost::asio::awaitable<bool> remove(const SessionRow& row);

  /// Sends a message of any type from a connected session (on its strand; a media upload is
  /// encrypted there too); completes on WhatsApp's ack. Errors: client_disconnected when the
  /// session is not running here, else the library's.
  boost::asio::awaitable<wa::Result<wa::client::SendResult>> send(
      const std::string& session_id, const wa::Jid& to, const wa::client::OutgoingMessage& message,
      const wa::client::SendOptions& options);
  /// send() of a text.
  boost::asio::awaitable<wa::Result<wa::client::SendResult>> send_text(
      const std::string& session_id, const wa::Jid& to, const std::string& text,
      const wa::client::SendOptions& options);
  /// A group's subject (cached per session for kGroupNameTtl; asked from WhatsApp otherwise);
  /// nullopt when the session is not running or WhatsApp does not answer.
  boost::asio::awaitable<std::optional<std::string>> group_name(const std::string& session_id,
                                                                const wa::Jid& group);
  /// Marks a received message read (blue ticks); `sender` is the author in a group. Errors:
  /// client_disconnected when the session is not running here, else the library's.
  boost::asio::awaitable<wa::Result<void>> mark_read(const std::string& session_id,
                                                     const wa::Jid& chat, const std::string& id,
                                                     std::optional<wa::Jid> sender);
  /// "typing…" (composing) or its end in a chat; ignored when the session is not running.
  void chat_presence(const std::string& session_id, const wa::Jid& chat, bool composing);
  /// Whether a phone number (digits) is on WhatsApp, asked from WhatsApp through the session.
  /// Errors: client_disconnected when the session is not running here, else the library's.
  boost::asio::awaitable<wa::Result<wa::client::PhoneLookup>> lookup_phone(
      const std::string& session_id, const std::string& phone);

  /// Downloads, verifies and decrypts a received attachment through the session's connection
  /// (its media hosts); at most `max_bytes`. Errors: client_disconnected when the session is not
  /// running here, else the library's (media_hash_mismatch, media_http, media_timeout, …).
  boost::asio::awaitable<wa::Result<std::vector<std::uint8_t>>> download_media(
      const std::string& session_id, const wa::message::MediaDescriptor& media,
      wa::media::MediaType type, std::size_t max_bytes);

  /// Asks the session's own phone to upload a received attachment again when the media host no
  /// longer has it (docs/PROTOCOL.md §8.6); waits up to `timeout` for the new direct path.
  /// Errors: client_disconnected when the session is not running here, else the library's
  /// (media_reupload_failed, iq_timeout, …).
  boost::asio::awaitable<wa::Result<std::string>> reupload_media(
      const std::string& session_id, const wa::media::RetryTarget& target,
      const std::vector<std::uint8_t>& media_key, std::chrono::milliseconds timeout);

  /// The live state, or nullopt when the session never ran in this process.
  [[nodiscard]] std::optional<Snapshot> snapshot(const std::string& session_id) const;
  [[nodiscard]] int count_with_status(std::string_view status) const;
  [[nodiscard]] uint64_t reconnects() const noexcept { return reconnects_.load(); }
  /// Grows with every change of any session's live state, and with bump_version(): caches of
  /// what the API shows about sessions compare it (together with a short age limit).
  [[nodiscard]] uint64_t state_version() const noexcept { return version_.load(); }
  /// For changes made outside the manager (create, update, delete of a session row).
  void bump_version() noexcept { version_.fetch_add(1); }
  [[nodiscard]] uint64_t pairings() const noexcept { return pairings_.load(); }
  /// Incoming messages that failed to decrypt at first (counted at the first retry receipt).
  [[nodiscard]] uint64_t undecryptable() const noexcept { return undecryptable_.load(); }

  /// Disconnects every client (no logout), closes their intervals and stops the pool. Blocking;
  /// called once when the process stops.
  void shutdown();

  // Cluster mode (docs/CLUSTER.md).
  /// The lease loop claimed this session for this node with `epoch`: runs it here (closing the
  /// intervals its previous node left open). Returns at once; the work runs on the pool.
  void adopt(const std::string& session_id, int64_t epoch);
  /// This node lost the session's lease, or hands it to another node (`why`: "lease_lost" or
  /// "handed_over", the reason its open connection interval closes with): stops its client at
  /// once, writing nothing more of it (the new owner writes its state), and forgets it.
  void detach(const std::string& session_id, const char* why = "lease_lost");
  /// Ids of the sessions that have a runtime in this process.
  [[nodiscard]] std::vector<std::string> local_sessions() const;
  /// The node is leaving (SIGTERM): cuts the WhatsApp connection of every session here from the
  /// calling thread (their kill switches) and keeps them from connecting again. Returns how many
  /// sessions it cut. shutdown() still has to run.
  std::size_t cut_connections();

  struct Runtime;

 private:
  std::shared_ptr<Runtime> runtime_for(const std::string& id, const std::string& user_id,
                                       bool create);
  // Seeds the live state of a runtime with what the database knows (phone, device info).
  void seed(const std::shared_ptr<Runtime>& rt, const SessionRow& row);
  // The following run on the session's strand.
  void launch(const std::shared_ptr<Runtime>& rt, bool connect);
  void halt(const std::shared_ptr<Runtime>& rt, const std::string& reason);
  void release_client(const std::shared_ptr<Runtime>& rt);
  void release_later(const std::shared_ptr<Runtime>& rt);
  void close_interval(const std::shared_ptr<Runtime>& rt, const std::string& reason);
  void on_event(const std::shared_ptr<Runtime>& rt, const wa::client::Event& e);
  void apply(const std::shared_ptr<Runtime>& rt,
             const std::function<void(Snapshot&, std::chrono::steady_clock::time_point&)>& f);
  // Waits (from any executor) until `pred` holds for the live state or `timeout` passes.
  boost::asio::awaitable<bool> logout_on_strand(const std::shared_ptr<Runtime>& rt);
  boost::asio::awaitable<void> send_on_strand(
      const std::shared_ptr<Runtime>& rt, const wa::Jid& to,
      const wa::client::OutgoingMessage& message, const wa::client::SendOptions& options,
      std::optional<wa::Result<wa::client::SendResult>>& out);
  boost::asio::awaitable<void> download_on_strand(
      const std::shared_ptr<Runtime>& rt, const wa::message::MediaDescriptor& media,
      wa::media::MediaType type, std::size_t max_bytes,
      std::optional<wa::Result<std::vector<std::uint8_t>>>& out);
  static boost::asio::awaitable<void> read_on_strand(std::shared_ptr<Runtime> rt, wa::Jid chat,
                                                     std::string id, std::optional<wa::Jid> sender,
                                                     std::optional<wa::Result<void>>& out);
  boost::asio::awaitable<void> reupload_on_strand(const std::shared_ptr<Runtime>& rt,
                                                  const wa::media::RetryTarget& target,
                                                  const std::vector<std::uint8_t>& media_key,
                                                  std::chrono::milliseconds timeout,
                                                  std::optional<wa::Result<std::string>>& out);
  boost::asio::awaitable<void> lookup_on_strand(
      const std::shared_ptr<Runtime>& rt, const std::string& phone,
      std::optional<wa::Result<wa::client::PhoneLookup>>& out);
  // A receipt for messages we sent: their status moves forward (outbound/message_log.hpp).
  void on_receipt(const std::shared_ptr<Runtime>& rt, const wa::client::ReceiptReceived& r);
  static boost::asio::awaitable<void> presence_on_strand(std::shared_ptr<Runtime> rt, wa::Jid chat,
                                                         bool composing);
  boost::asio::awaitable<void> group_name_on_strand(const std::shared_ptr<Runtime>& rt,
                                                    const wa::Jid& group,
                                                    std::optional<std::string>& out);
  void schedule_redelivery(const std::shared_ptr<Runtime>& rt);
  void on_undecryptable(const std::shared_ptr<Runtime>& rt,
                        const wa::client::UndecryptableMessage& u);
  // The client's persist hook: records the message inside the store's transaction.
  bool persist_message(const std::shared_ptr<Runtime>& rt, const wa::client::MessageReceived& m);
  using Predicate = bool (*)(const Snapshot&);
  boost::asio::awaitable<Snapshot> wait_until(const std::shared_ptr<Runtime>& rt, Predicate pred,
                                              std::chrono::milliseconds timeout);
  void heartbeat_loop();
  template <typename F>
  void write_db(const char* what, F&& f);
  // write_db() in a transaction fenced by the session's lease (cluster mode).
  template <typename F>
  void write_fenced(const std::shared_ptr<Runtime>& rt, const char* what, F&& f);
  void fence(db::Connection& c, const std::shared_ptr<Runtime>& rt) const;
  // Takes the lease (cluster mode) before a session runs here; its epoch, 0 in one process.
  boost::asio::awaitable<int64_t> acquire(const std::string& session_id);

  ManagerOptions options_;
  db::Database& db_;
  events::Hub& hub_;
  boost::asio::thread_pool pool_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Runtime>, std::less<>> runtimes_;     // guarded by mutex_
  std::map<std::string, std::shared_ptr<OpLock::Queue>, std::less<>> locks_;  // by mutex_
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> version_{1};
  std::atomic<uint64_t> pairings_{0};
  std::atomic<uint64_t> undecryptable_{0};
  std::atomic<bool> stopping_{false};
  struct Timer;
  std::shared_ptr<Timer> heartbeat_;
};

}  // namespace gw::sessions

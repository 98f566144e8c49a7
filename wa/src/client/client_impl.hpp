#pragma once
// Internals of wa::client::Client shared by its translation units: one connection (Conn) and the
// client state (Client::Impl). client.cpp defines the connection life cycle (pairing, login,
// prekeys, keepalive, reconnect, logout), messaging.cpp the receive and send paths of messages.
// Not a public header. Thread safety: everything here lives on the client's strand.
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "client/backoff.hpp"
#include "client/iq.hpp"
#include "client/payload.hpp"
#include "client/receive.hpp"
#include "client/send.hpp"
#include "client/stanzas.hpp"
#include "wa/client/client.hpp"
#include "wa/client/pair_code.hpp"
#include "wa/hex.hpp"
#include "wa/message/framing.hpp"
#include "wa/noise/noise_socket.hpp"
#include "wa/pairing/adv.hpp"
#include "wa/signal/keys.hpp"
#include "wa/signal/protocol.hpp"

namespace wa::client {

namespace asio = boost::asio;
using binary::Node;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

namespace detail {

inline std::array<std::uint8_t, 32> key32(std::string_view s) {
  std::array<std::uint8_t, 32> k{};
  std::copy(s.begin(), s.end(), k.begin());
  return k;
}

inline std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Phone-number pairing in progress on one connection (§4.3).
struct LinkCode {
  std::string phone;
  std::string code;  // without the dash
  crypto::KeyPair ephemeral;
  std::string ref;  // link_code_pairing_ref from the companion_hello answer
};

}  // namespace detail

using detail::LinkCode;

// Where a connection is in its life cycle. A connection without a stored account registers:
// registering -> paired (pair-success handled; the server then closes and the next connection logs
// in). A connection of a paired device logs in: logging_in -> logged_in (<success> seen) -> ready
// (post-login setup done, Connected fired). Conn::advance is the only place the state moves. Ending
// (Conn::ending) is not a state of this list: end() can come in any of them.
enum class ConnState { registering, paired, logging_in, logged_in, ready };

// One connection. Shared by the coroutines working on it; they hold it by shared_ptr so that the
// IqTracker and the socket outlive every waiter.
struct Conn {
  Conn(const asio::any_io_executor& ex, const std::string& iq_prefix)
      : iq(ex, iq_prefix),
        acks(ex, iq_prefix + ".m"),
        media_retries(ex, iq_prefix + ".r"),
        wake(ex),
        writer_done_timer(ex) {}

  std::unique_ptr<noise::NoiseSocket> sock;
  IqTracker iq;
  IqTracker acks;                 // server <ack class=message> of our sent messages, by message id
  IqTracker media_retries;        // <notification type=mediaretry> answers, by message id (§8.6)
  std::deque<binary::Bytes> out;  // encoded frames waiting for the writer (bounded)
  asio::steady_timer wake;        // the writer sleeps on it; cancel() wakes it
  asio::steady_timer writer_done_timer;
  bool writer_done = false;
  bool ending = false;  // end() was called: the writer drains, closes the socket
  std::optional<DisconnectInfo> end_info;
  std::set<asio::steady_timer*> sleepers;  // cancelled by end()

  ConnState state = ConnState::logging_in;
  bool qr_started = false;
  std::vector<std::string> refs;
  bool uploading = false;  // a prekey upload is in flight
  bool active = false;     // presence available sent: receipts without type=inactive (§6.4)
  bool link_started = false;
  std::optional<LinkCode> link;
  std::optional<crypto::Key32> link_adv_secret;  // adv secret derived by phone pairing

  /// Moves to `to` when the life cycle allows it (registering -> paired, logging_in -> logged_in
  /// -> ready); false, and no change, for any other move.
  bool advance(ConnState to) {
    const bool allowed = (state == ConnState::registering && to == ConnState::paired) ||
                         (state == ConnState::logging_in && to == ConnState::logged_in) ||
                         (state == ConnState::logged_in && to == ConnState::ready);
    if (allowed) state = to;
    return allowed;
  }
  /// A registration connection (before or after pair-success).
  bool registration() const {
    return state == ConnState::registering || state == ConnState::paired;
  }
  bool logged_in() const { return state == ConnState::logged_in || state == ConnState::ready; }
  bool ready() const { return state == ConnState::ready; }
};

struct Client::Impl : std::enable_shared_from_this<Impl> {
  Impl(const asio::any_io_executor& ex, store::DeviceStore& s, Options o, EventHandler h)
      : strand(asio::make_strand(ex)),
        store(s),
        opt(std::move(o)),
        on_event(std::move(h)),
        backoff(opt.backoff_base, opt.backoff_cap, seed()),
        rng(seed() ^ 0x9e3779b97f4a7c15ull),
        reconnect_timer(strand) {}

  asio::strand<asio::any_io_executor> strand;
  store::DeviceStore& store;
  Options opt;
  EventHandler on_event;
  std::atomic<bool> alive{true};
  Backoff backoff;
  std::mt19937_64 rng;
  asio::steady_timer reconnect_timer;
  bool running = false;
  bool stop_requested = false;
  bool logout_requested = false;
  std::optional<std::string> phone_to_pair;
  std::shared_ptr<Conn> conn;

  // --- messaging state ---
  std::unique_ptr<signal::SignalProtocol> signal;
  /// usync device lists by non-AD user JID; entries dropped by device/identity notifications.
  std::map<std::string, std::vector<std::uint16_t>> device_cache;
  /// Retry receipts sent per incoming message id (§7.5: give up after kMaxRetries).
  std::map<std::string, int> retries;
  /// Recently sent messages, answered from when a retry receipt asks (§7.5).
  struct Sent {
    std::string id;
    Jid chat;
    std::string message;  // serialized Message
    std::string stanza_type = "text";
    std::string mediatype;
  };
  std::deque<Sent> recent_sent;
  /// Group metadata by group JID (refreshed by group_info()).
  std::map<std::string, GroupInfo> group_cache;
  static constexpr std::size_t kGroupCache = 256;
  std::atomic<std::uint64_t> undecryptable{0};
  /// The last media_conn answer and when it expires (§8.1).
  std::optional<media::MediaConn> media_conn;
  Clock::time_point media_conn_expires{};
  static constexpr int kMaxRetries = 5;
  static constexpr std::size_t kRecentSent = 256;
  static constexpr std::size_t kMaxRetryEntries = 1024;

  std::uint64_t seed() const;

  void log(int level, std::string_view msg) const;

  void emit(const Event& e);

  // --- store helpers --------------------------------------------------------------------------
  /// The stored record (empty when none); store errors are logged.
  store::StoreResult<std::optional<store::DeviceRecord>> load_device();

  // --- sending --------------------------------------------------------------------------------
  bool send(const std::shared_ptr<Conn>& c, const Node& n);

  asio::awaitable<Result<Node>> iq(std::shared_ptr<Conn> c, Node n,
                                   std::optional<milliseconds> timeout = {});

  /// Sleeps unless the connection ends first; false when it ended.
  asio::awaitable<bool> sleep(std::shared_ptr<Conn> c, milliseconds d);

  /// Ends a connection (first reason wins): wakes every task, the writer drains and closes.
  void end(const std::shared_ptr<Conn>& c, DisconnectInfo info);

  void spawn(asio::awaitable<void> task);

  // --- the loops ------------------------------------------------------------------------------
  asio::awaitable<void> writer(std::shared_ptr<Conn> c);

  asio::awaitable<void> run();

  asio::awaitable<DisconnectInfo> session(bool& cert_failure);

  // --- incoming stanzas -----------------------------------------------------------------------
  void handle(const std::shared_ptr<Conn>& c, const Node& n);

  void handle_iq(const std::shared_ptr<Conn>& c, const Node& n);

  void on_pair_device(const std::shared_ptr<Conn>& c, const Node& n);

  asio::awaitable<void> qr_rotation(std::shared_ptr<Conn> c);

  void on_pair_success(const std::shared_ptr<Conn>& c, const Node& n);

  void on_success(const std::shared_ptr<Conn>& c, const Node& n);

  asio::awaitable<void> post_login(std::shared_ptr<Conn> c);

  asio::awaitable<Result<void>> upload_prekeys(std::shared_ptr<Conn> c, std::size_t count,
                                               int before);

  asio::awaitable<void> keepalive(std::shared_ptr<Conn> c);

  void handle_notification(const std::shared_ptr<Conn>& c, const Node& n);

  asio::awaitable<void> low_prekeys(std::shared_ptr<Conn> c, int count);

  // --- phone-number pairing (§4.3) -------------------------------------------------------------
  asio::awaitable<void> link_code_hello(std::shared_ptr<Conn> c);

  void on_link_code_notification(const std::shared_ptr<Conn>& c, const Node& n);

  asio::awaitable<void> link_code_finish(std::shared_ptr<Conn> c, crypto::Bytes bundle,
                                         store::Key32 identity_pub);

  // --- public operations (on the strand) ------------------------------------------------------
  void do_connect();

  void do_disconnect();

  void do_pair_phone(const std::string& phone);

  asio::awaitable<Result<void>> do_logout();

  // --- messages: receiving (§6, §7.5, §7.6), defined in messaging.cpp -------------------------
  /// Forgets everything derived from the device (the store was wiped: a new pairing starts over).
  void reset_messaging();

  /// The Signal layer over our store, created on first use (needs the device record).
  signal::SignalProtocol* ensure_signal();

  std::optional<receive::Own> own_identity();

  void on_message(const std::shared_ptr<Conn>& c, const Node& n);

  void on_decrypt_failure(const std::shared_ptr<Conn>& c, const Node& n, const receive::Source& src,
                          const Error& err);

  void on_receipt(const std::shared_ptr<Conn>& c, const Node& n);

  void on_ack(const std::shared_ptr<Conn>& c, const Node& n);

  /// `<notification type=encrypt><identity/>` from a user: their phone re-registered; drop their
  /// sessions and identities under both names so that the next message starts afresh (§5.1).
  void on_identity_change(const Node& n);

  // --- messages: sending (§5.2, §5.3, §7.2, §7.3, §7.5), defined in messaging.cpp ------------
  /// The Signal address of a device: its LID address when the LID of a PN user is known (§6.2).
  store::Address address_for(const Jid& device);

  /// Device ids of each user (non-AD JIDs), from the cache or one usync query (§5.3).
  asio::awaitable<Result<std::map<std::string, std::vector<std::uint16_t>>>> devices_of(
      std::shared_ptr<Conn> c, std::vector<Jid> users);

  /// Fetches and installs bundles for the devices without a session (§5.2). Devices whose bundle
  /// could not be had are returned (they are skipped by the caller).
  asio::awaitable<Result<std::set<std::string>>> ensure_sessions(std::shared_ptr<Conn> c,
                                                                 std::vector<Jid> devices,
                                                                 bool force);

  void remember_sent(std::string id, Jid chat, const send::Composed& composed);

  /// Group metadata, from the cache or a w:g2 query (§7.3 step 1). Records LID↔PN pairs.
  asio::awaitable<Result<GroupInfo>> group_info_of(std::shared_ptr<Conn> c, Jid group,
                                                   bool refresh);

  asio::awaitable<std::optional<Result<GroupInfo>>> do_group_info(Jid group);

  /// Client::lookup_phones on the strand (contacts.cpp).
  asio::awaitable<std::optional<Result<std::vector<PhoneLookup>>>> do_lookup_phones(
      std::vector<std::string> phones);

  /// A group send (§7.3): our sender key's SKDM pairwise to every member device (whatsmeow
  /// style: on every message), the content once as skmsg.
  asio::awaitable<Result<SendResult>> send_group(std::shared_ptr<Conn> c,
                                                 const store::DeviceRecord& dev, Jid group,
                                                 send::Composed composed);

  Result<void> do_send_node(const Node& n);

  asio::awaitable<Result<SendResult>> await_ack(std::shared_ptr<Conn> c, std::string id);

  /// Sends a composed message (1:1 or group) and waits for the server's ack.
  asio::awaitable<Result<SendResult>> do_send(Jid to, send::Composed composed);

  // --- media (§8), defined in media.cpp -------------------------------------------------------
  /// The cached media_conn, or a fresh one from the server (on the strand).
  asio::awaitable<std::optional<Result<media::MediaConn>>> get_media_conn(bool refresh);

  /// Answers a retry receipt for a message we sent (§7.5): a fresh session with the asking device
  /// (from the keys it sent, else a new bundle), the message encrypted again for it alone.
  asio::awaitable<void> answer_retry(std::shared_ptr<Conn> c, receive::RetryRequest r);
};

}  // namespace wa::client

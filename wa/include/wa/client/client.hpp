#pragma once
// The WhatsApp companion client of one device: pairing (QR or phone code), login, prekeys,
// keepalive, reconnect and logout (docs/PROTOCOL.md §2, §4, §5, §9).
//
// One Client per device. It owns one connection at a time and reconnects by itself (with
// exponential backoff and jitter) unless the server said the session is over (logged out,
// replaced, banned). Everything it learns is persisted in the DeviceStore it was given.
//
//   Client c(io.get_executor(), store, options, [](const Event& e) { ... });
//   c.connect();                    // pairs (QrCode events) or logs in (Connected)
//   ...
//   c.disconnect();                 // or co_await c.logout();
//
// Events are delivered in order through the handler, on the client's strand, one at a time.
//
// Thread safety: all state lives on one strand (made from the executor given). The public
// functions may be called from any thread; they post to the strand. The DeviceStore is used on
// that strand only. The handler must not block (it runs on the I/O thread).
// Lifetime: destroying the Client stops it; work still in flight keeps the internals alive until it
// unwinds, but no event is delivered after the destructor returned.
#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "wa/client/disconnect.hpp"
#include "wa/client/messages.hpp"
#include "wa/client/outgoing.hpp"
#include "wa/constants.hpp"
#include "wa/crypto/curve25519.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/media/transfer.hpp"
#include "wa/socket/kill_switch.hpp"
#include "wa/store/device_store.hpp"

namespace wa::client {

using std::chrono::milliseconds;

// --- events ------------------------------------------------------------------------------------

/// A pairing QR code to show. Fires for each ref of the server's <pair-device> while the device is
/// unpaired: the first one valid for 60 s, each later one for 20 s (§4.1). Not fired once
/// pair_phone() was called.
struct QrCode {
  std::string qr;  ///< the full QR string, https://wa.me/settings/linked_devices#ref,…
  std::chrono::seconds expires_in{};
  int index = 0;  ///< 0-based position among the refs of this connection
};
/// The code the user types on the phone. Fires once the server accepted companion_hello (§4.3).
struct PairCode {
  std::string code;  ///< "ABCD-EFGH"
};
/// Pairing succeeded: pair-success verified, persisted and countersigned (§4.2). The server then
/// asks for a restart (515) and the client logs in by itself (Disconnected, then Connected).
struct Paired {
  Jid jid;                 ///< own phone-number JID with device
  std::optional<Jid> lid;  ///< own LID with device
  std::string platform;    ///< the phone's platform ("android", "iphone", …)
  std::string business_name;
};
/// A pairing attempt failed on our side: a pair-success that did not verify (we answered the
/// server with an error), or a phone-code step that failed. The connection stays up.
struct PairError {
  std::string reason;  ///< e.g. "hmac_mismatch: …"
};
/// Logged in and ready: <success> received, prekeys topped up, active, presence sent. Fires after
/// every successful login, including each reconnect.
struct Connected {
  Jid jid;
  std::optional<Jid> lid;
};
/// The connection ended. `will_reconnect` says whether the client retries by itself, after
/// `retry_in` (0 for the restart after pairing).
struct Disconnected {
  DisconnectReason reason = DisconnectReason::transient;
  int code = 0;        ///< the server's code (stream error / failure), else 0
  std::string detail;  ///< conflict type, failure location, or the local error
  bool will_reconnect = false;
  milliseconds retry_in{0};
};
/// The device is gone for good and was wiped from the store: the server removed it (401,
/// device_removed, 403, banned) or logout() succeeded. Fires after the matching Disconnected.
struct LoggedOut {
  DisconnectReason reason = DisconnectReason::logged_out;  ///< user_requested after logout()
};
/// Every QR ref expired without a scan. Fires after Disconnected{qr_timeout}; no reconnect.
struct QrTimeout {};
/// One-time prekeys were uploaded (after login when the server held fewer than 5, or after a
/// low-prekey notification, §5.1).
struct PrekeysUploaded {
  std::size_t count = 0;
  int server_count_before = 0;
};

/// The closed set of events (MessageReceived, ReceiptReceived, UndecryptableMessage: messages.hpp).
using Event =
    std::variant<QrCode, PairCode, Paired, PairError, Connected, Disconnected, LoggedOut, QrTimeout,
                 PrekeysUploaded, MessageReceived, ReceiptReceived, UndecryptableMessage>;
/// A short stable name per event type ("qr", "pair_code", "paired", "pair_error", "connected",
/// "disconnected", "logged_out", "qr_timeout", "prekeys_uploaded", "message", "receipt",
/// "undecryptable").
std::string_view event_name(const Event& e) noexcept;

using EventHandler = std::function<void(const Event&)>;
/// Diagnostics (unknown stanzas, ignored input, retries). Level 0 = info, 1 = warning.
using LogHandler = std::function<void(int level, std::string_view message)>;

// --- options -----------------------------------------------------------------------------------

struct Options {
  std::string url{constants::kDefaultUrl};
  /// Root of the server's Noise certificate chain (the emulator has its own).
  crypto::PublicKey root_key = constants::kCertRootKey;
  std::string extra_ca_file;  ///< PEM trusted besides the system CAs for wss:// (tests)
  /// WhatsApp Web version announced in the ClientPayload (§2.3); outdated -> failure 405.
  std::array<std::uint32_t, 3> version = constants::kWaVersion;
  std::string os_name = "WA Gateway";  ///< DeviceProps.os, shown in the phone's device list
  std::string qr_platform_id = "9";    ///< last QR field / companion_platform_id (§4.1): other web
  std::string platform_display = "WA Gateway (Linux)";  ///< companion_platform_display (§4.3)
  /// Announced with <presence type=available name=…> after login; empty = the stored push name;
  /// no presence is sent without one.
  std::string push_name;

  milliseconds connect_timeout{20'000};  ///< WebSocket connect and each handshake read
  milliseconds iq_timeout{20'000};       ///< default deadline of an IQ
  /// QR windows (§4.1); the server's refs expire on the same schedule.
  milliseconds qr_first{60'000};
  milliseconds qr_next{20'000};
  /// Keepalive (§9): a w:p ping every uniform [min, max]; each must be answered within
  /// `keepalive_timeout`; with no answer for `keepalive_dead_after` the connection is dropped.
  milliseconds keepalive_min{20'000};
  milliseconds keepalive_max{30'000};
  milliseconds keepalive_timeout{10'000};
  milliseconds keepalive_dead_after{180'000};

  bool auto_reconnect = true;
  milliseconds backoff_base{1'000};
  milliseconds backoff_cap{60'000};
  /// Outgoing frames waiting for the writer; beyond this the connection is dropped (too slow).
  std::size_t max_send_queue = 1024;

  /// Media transfers (§8): connect (resolve + TCP + TLS) and idle timeouts of one HTTPS request
  /// to a media host; `extra_ca_file` is trusted there too.
  milliseconds media_connect_timeout{20'000};
  milliseconds media_idle_timeout{30'000};
  /// Cap on an upload's plaintext (a host may announce a lower one in media_conn).
  std::size_t media_max_upload = std::size_t{100} << 20;
  /// Seed of backoff jitter and keepalive intervals; 0 = random.
  std::uint64_t seed = 0;

  LogHandler log;  ///< optional

  /// Optional: stores a received message durably. Called on the client's strand for every
  /// MessageReceived, *inside* the store transaction that holds the Signal state which decrypted
  /// it (before the event handler sees it, before the receipt). Returning false rolls that
  /// transaction back: the message stays unacknowledged and the server redelivers it at the next
  /// login, when it decrypts again. An application whose DeviceStore shares its database can thus
  /// commit the message and the ratchet together (the gateway does). Must not block for long.
  std::function<bool(const MessageReceived&)> persist;
  /// Optional: a received message was left unacknowledged because it could not be stored (a
  /// store error, or persist returned false). Called on the client's strand with the message id.
  /// The server re-sends such messages only when the device logs in again; an application may
  /// reconnect (once its storage works again) to get them sooner.
  std::function<void(const std::string& message_id)> unstored;
  /// Optional: asked on the client's strand before every connection attempt (the first and each
  /// reconnect). False ends the run instead: Disconnected{user_requested, detail "not allowed to
  /// connect", will_reconnect false}. An application that may lose the right to run this device
  /// (another process took it over) uses it so that a stale client never logs in again.
  std::function<bool()> may_connect;
  /// Optional: cuts the client's connection from any thread, even while its strand is busy
  /// (wa/socket/kill_switch.hpp). Once tripped, the run ends as if may_connect had refused.
  std::shared_ptr<socket::KillSwitch> kill_switch;
};

// --- client ------------------------------------------------------------------------------------

class Client {
 public:
  /// `store` must outlive the Client. Nothing happens until connect().
  Client(boost::asio::any_io_executor ex, store::DeviceStore& store, Options options,
         EventHandler on_event);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Starts connecting (and reconnecting). A device without a stored JID registers and pairs; a
  /// paired one logs in. No-op when already running.
  void connect();
  /// Ends the connection and stops reconnecting (Disconnected{user_requested}).
  void disconnect();
  /// Asks for a phone-number pairing code for `phone` (digits, with country code) instead of QR
  /// codes: a PairCode event follows, then Paired once the code was entered on the phone (§4.3).
  /// May be called before connect() or while QR codes are shown; ignored once paired.
  void pair_phone(std::string phone);
  /// Logs out (§9): remove-companion-device, disconnect, wipe the store; LoggedOut{user_requested}
  /// follows. Errors: client_disconnected when not logged in, iq_* when the server refused.
  boost::asio::awaitable<Result<void>> logout();

  /// Sends an end-to-end encrypted text (send_message with out::Text) to a user (phone-number or
  /// LID JID) (§7.2, §7.4): to every device of the recipient and, as deviceSentMessage, to our
  /// other devices; or to a group (§7.3): our sender key distributed pairwise to every member
  /// device, the text as skmsg. Completes on the server's ack with the message id and the server's
  /// timestamp. Errors: client_disconnected (not logged in / connection lost), message_rejected
  /// (detail: the server's code, e.g. "463"), message_undeliverable (no device could be encrypted
  /// to), iq_* (device list / key fetch / group metadata), invalid_argument (broadcast / newsletter
  /// targets).
  boost::asio::awaitable<Result<SendResult>> send_text(Jid to, std::string text,
                                                       SendOptions options = {});
  /// Sends any content type (outgoing.hpp): text, image, video, audio (voice notes with ptt),
  /// document, sticker, location, contact card; with an optional quote (any type) and mentions
  /// (text and captions). An attachment given as bytes is completed (complete_media_fields:
  /// dimensions, thumbnail, page count), encrypted and uploaded first (upload_media, on the
  /// caller's executor); one given as an upload is sent as is. The stanza is `type=media` with
  /// `<enc mediatype>` for attachments and contact cards (§8.4). Completes on the server's ack
  /// like send_text, with its errors plus those of upload_media, and invalid_argument for an
  /// attachment without bytes or upload.
  boost::asio::awaitable<Result<SendResult>> send_message(Jid to, OutgoingMessage message,
                                                          SendOptions options = {});
  /// Marks received messages of one chat read (§6.4): Baileys shows blue ticks. `sender` is the
  /// participant in groups (ignored for 1:1). Completes once queued; client_disconnected when not
  /// logged in, invalid_argument without ids. Called from the event handler, it is sent after the
  /// receipt of the message being handled.
  boost::asio::awaitable<Result<void>> mark_read(Jid chat, std::vector<std::string> ids,
                                                 std::optional<Jid> sender = {});
  /// "typing…" (composing = true) or its end (false) in a chat. Completes once queued.
  boost::asio::awaitable<Result<void>> send_chat_presence(Jid chat, bool composing);
  /// A group's subject, addressing mode and participants, asked from the server (§7.3).
  /// Errors: client_disconnected, iq_error (e.g. 403 not a member, 404 no such group).
  boost::asio::awaitable<Result<GroupInfo>> group_info(Jid group);
  /// Encrypts `bytes` as `type` (§8.2) and uploads the blob to a media host (§8.1, §8.4): the
  /// media_conn answer is cached until its TTL; hosts are tried in order; an upload refused with
  /// 401/403 refreshes media_conn once. Completes with what a message needs to point at it. The
  /// encryption runs on the caller's executor (not the client's strand): call it from a worker when
  /// that matters. `bytes` must stay valid until completion. Errors: client_disconnected (no
  /// connection and no cached media_conn), iq_* (media_conn), media_too_large (beyond
  /// Options::media_max_upload or the host's limit), media_timeout, media_http (the host refused),
  /// transport_* (the host could not be reached).
  boost::asio::awaitable<Result<media::UploadedMedia>> upload_media(
      media::MediaType type, std::span<const std::uint8_t> bytes);
  /// Downloads, verifies and decrypts an attachment (§8.5): its direct path on the media_conn hosts
  /// (tried in order), or its URL when it has no direct path or no media_conn can be had. `type`
  /// chooses the keys (media::media_type_of(content type)); `max_bytes` caps the file size (the
  /// blob may be 26 bytes longer). Nothing partial is ever returned. The verification runs on the
  /// caller's executor. Errors: media_invalid (descriptor without key or path), media_hash_mismatch
  /// / media_mac_mismatch (tampered or garbage blob), media_too_large, media_timeout, media_http
  /// (detail "HTTP 404", …), transport_*, client_disconnected / iq_* (media_conn).
  boost::asio::awaitable<Result<std::vector<std::uint8_t>>> download_media(
      const message::MediaDescriptor& media, media::MediaType type, std::size_t max_bytes);
  /// Asks the account's own phone to upload a received attachment again, when the media host no
  /// longer has it (a download answered 404/410; docs/PROTOCOL.md §8.6), and waits up to
  /// `timeout` for its answer. Returns the new direct path (download it with the same keys).
  /// Errors: media_reupload_failed (the phone answered not found, a decryption or general error;
  /// the detail names the answer and its code), iq_timeout (no answer in time),
  /// client_disconnected (not logged in, or the connection ended while waiting), media_invalid (a
  /// media key that is not 32 bytes, or an answer that does not authenticate with it),
  /// node_invalid (a malformed answer).
  boost::asio::awaitable<Result<std::string>> request_media_reupload(
      media::RetryTarget target, std::vector<std::uint8_t> media_key,
      std::chrono::milliseconds timeout);
  /// Asks the server which of `phones` (digits, country code first) are on WhatsApp (§5.3), in
  /// one query; learned LIDs are stored in the LID map. Errors: client_disconnected, iq_*,
  /// invalid_argument (empty list, or a number that is not 5–20 digits).
  boost::asio::awaitable<Result<std::vector<PhoneLookup>>> lookup_phones(
      std::vector<std::string> phones);
  /// How many received messages could not be decrypted (each got a retry receipt) since start.
  std::uint64_t undecryptable_count() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace wa::client

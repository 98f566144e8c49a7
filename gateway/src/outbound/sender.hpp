#pragma once
// Sending WhatsApp messages from a session: the send API (POST /sessions/:id/send) and the
// replies taken from webhook responses go through here (docs/API.md "Sending messages").
//
//   1. the session must be connected (409 with its status otherwise);
//   2. the per-session send rate limit (SEND_RATE_PER_MINUTE) protects the number from a runaway
//      loop: the API answers 429 + Retry-After, a webhook reply waits for its turn;
//   3. a phone number is looked up on WhatsApp first (404 when it is not there; answers cached);
//   4. a quoted reply names a message of the session's log (incoming or outgoing);
//   5. optionally "typing…" for a time proportional to the text (human-like mode);
//   6. the send completes on WhatsApp's server ack; the message is logged as `sent` (or
//      `failed`) and its later receipts move it on (sessions::Manager::on_receipt).
//
// Thread safety: send() and reply() may run concurrently from any executor; the caches are
// guarded by a mutex never held across a suspension.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/rate_limiter.hpp"
#include "db/database.hpp"
#include "outbound/request.hpp"
#include "sessions/manager.hpp"

namespace gw::outbound {

struct SenderOptions {
  int64_t rate_per_minute = 60;  // SEND_RATE_PER_MINUTE, per session
  bool typing_default = false;   // SEND_TYPING: human-like typing unless a request says otherwise
  std::chrono::milliseconds typing_per_char{50};
  std::chrono::milliseconds typing_min{800};
  std::chrono::milliseconds typing_max{6'000};
  RequestLimits limits;
};

/// What the API answers after WhatsApp's ack.
struct Sent {
  std::string message_id;
  std::string timestamp;  // ISO-8601 UTC (the server's time)
  std::string chat_id;
};

/// A webhook reply: where to answer and what to quote (from the delivery's reply context).
struct Reply {
  std::string session_id;
  wa::Jid chat;
  std::string chat_id;  // the incoming message's chat_id (phone form of a LID chat when known)
  SendRequest request;  // what to send (any type; media as bytes); its `to` is ignored
  std::optional<wa::client::SendOptions::Quote> quote;  // the message answered (in groups)
};

class Sender {
 public:
  Sender(db::Database& db, sessions::Manager& sessions, SenderOptions options);

  [[nodiscard]] const SenderOptions& options() const noexcept { return options_; }

  /// Counts one send against the session's limit if it allows it (what the API answers 429 on).
  auth::RateLimitDecision take_rate(const std::string& session_id);

  /// Sends a validated request from a session the caller owns. Throws http::ApiError: conflict
  /// (409) when not connected, not_found (404) for a number not on WhatsApp, validation (400)
  /// for an unknown quoted message, bad_gateway (502) when WhatsApp refused, gateway_timeout
  /// (504) without an answer. The rate limit is the caller's (take_rate).
  boost::asio::awaitable<Sent> send(const std::string& session_id, const SendRequest& request);

  /// Sends a webhook reply, waiting (up to a minute) for the rate limit instead of refusing.
  /// Returns the message id, or nullopt when it could not be sent (logged as failed).
  boost::asio::awaitable<std::optional<std::string>> reply(const Reply& r);

  [[nodiscard]] uint64_t sent() const noexcept { return sent_.load(); }
  [[nodiscard]] uint64_t failed() const noexcept { return failed_.load(); }

 private:
  struct Target {
    wa::Jid jid;
    std::string chat_id;    // as the API shows chats
    std::string to_number;  // digits, or the group id
  };
  boost::asio::awaitable<Target> resolve(const std::string& session_id, const Recipient& to);
  boost::asio::awaitable<void> type_for(const std::string& session_id, const wa::Jid& chat,
                                        std::size_t text_size);
  // What the API's sends and the webhook replies share: typing (when asked), the mentions, the
  // send, the counters and the log row, whatever the outcome.
  boost::asio::awaitable<wa::Result<wa::client::SendResult>> send_logged(
      const std::string& session_id, const Target& target, const SendRequest& request,
      const wa::client::SendOptions& options);
  // Logs the message (off the caller's thread: the database pool's).
  boost::asio::awaitable<void> log_outcome(const std::string& session_id, const Target& t,
                                           const SendRequest& request,
                                           const std::optional<std::string>& message_id,
                                           const std::string& error);

  db::Database& db_;
  sessions::Manager& sessions_;
  SenderOptions options_;
  auth::RateLimiter limiter_;
  struct Known {
    bool exists = false;
    std::optional<wa::Jid> jid;
    std::chrono::steady_clock::time_point until;
  };
  std::mutex mu_;
  std::map<std::string, Known, std::less<>> numbers_;  // phone -> lookup answer, by mu_
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failed_{0};
};

}  // namespace gw::outbound

#pragma once
// The dashboard's live-event socket: one accepted WebSocket fed from the event hub through a
// bounded queue, with the client's only message ({"type":"ping"}) answered and the caller's
// authorization re-checked while the socket is open. Owns nothing beyond one connection.
//
// Runs on the WebSocket's strand (the UpgradeHandler's executor); the hub delivers from any
// thread and only enqueues.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "events/hub.hpp"
#include "http/websocket.hpp"

namespace gw::ws {

struct EventSocketOptions {
  /// Published messages allowed to wait for the socket; one more closes it with 1013.
  std::size_t max_queued_messages = 256;
  /// How often still_authorized() is asked.
  std::chrono::milliseconds recheck_interval{2000};
  /// Largest client message looked at; a longer one is not a ping (closed with 1003).
  std::size_t max_client_message_bytes = 1024;
};

/// Serves one dashboard connection until it ends; the socket is closed when this returns.
///
/// Subscribes to `hub` for the `sessions` of `user_id` before calling
/// `initial`, so nothing published meanwhile is lost (a message may then arrive twice: once in
/// the current state and once as an event). Sends the `initial` messages, then every published
/// message in publication order. Closes with
///  - 1013 when more than `max_queued_messages` wait (slow consumer; the queue is dropped),
///  - 1008 when `still_authorized()` (asked every `recheck_interval`) returns false,
///  - 1003 when the client sends anything but a JSON object whose "type" is "ping" (answered
///    with {"type":"pong","timestamp":"<ISO-8601 UTC>"}),
///  - 1011 when `initial` throws.
/// Returns when the peer goes away. A throwing `still_authorized` keeps the socket open (a
/// database hiccup must not drop every dashboard) and is asked again at the next interval.
boost::asio::awaitable<void> serve_event_socket(
    std::shared_ptr<http::WebSocket> ws, events::Hub& hub, std::string user_id,
    events::SessionFilter sessions,
    std::function<boost::asio::awaitable<std::vector<std::string>>()> initial,
    std::function<boost::asio::awaitable<bool>()> still_authorized,
    EventSocketOptions options = {});

/// Event sockets closed because their queue overflowed, since start (for /metrics).
std::uint64_t slow_consumer_disconnects() noexcept;

}  // namespace gw::ws

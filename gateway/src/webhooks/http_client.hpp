#pragma once
// The outgoing HTTP/1.1 client that delivers webhooks: one POST per call, plain or TLS, with a
// small keep-alive pool per (scheme, host, port). It is where the SSRF policy meets the network:
// every address a host name resolves to is classified (sessions::classify_address) right before
// connecting, because the URL check at configuration time (sessions::validate_webhook_url) never
// sees what a name resolves to today.
//
// Beast and OpenSSL stay in http_client.cpp: this header only needs Asio's awaitable.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::webhooks {

/// How the client connects and what it accepts back.
struct HttpClientOptions {
  /// WEBHOOK_ALLOW_PRIVATE_NETWORKS: private, loopback and unspecified addresses are allowed.
  /// Link-local / cloud metadata addresses are refused whatever this says.
  bool allow_private_networks = true;
  /// A PEM file of certificates trusted besides the system store (tests, private CAs).
  std::string extra_ca_file;
  /// The User-Agent header; the caller sets "wa-gateway/<version>".
  std::string user_agent = "wa-gateway";
  /// Response bodies are cut at this many bytes (HttpResult::body_truncated).
  std::size_t max_response_bytes = 64 * 1024;
  /// Idle keep-alive connections kept per (scheme, host, port); 0 disables reuse.
  std::size_t max_idle_per_host = 4;
  /// A pooled connection idle for longer than this is closed instead of reused.
  std::chrono::milliseconds idle_keepalive{30'000};
};

/// The outcome of one POST. Network and HTTP problems are values here, never exceptions.
struct HttpResult {
  /// The response's status code; 0 when no complete HTTP response was read (see error).
  int status = 0;
  /// The response body, at most max_response_bytes of it.
  std::string body;
  /// The server sent more than max_response_bytes; body holds the first max_response_bytes.
  bool body_truncated = false;
  /// Retry-After (delta-seconds or HTTP-date, a past date as 0 s), when present and well-formed.
  std::optional<std::chrono::seconds> retry_after;
  /// The response's Content-Type, as sent ("" when absent).
  std::string content_type;
  /// Empty when a response was read. Otherwise one of: "timeout"; "refused address <ip>
  /// (<class>)" (nothing was connected); "connect: …" (DNS or TCP); "tls: …" (handshake or
  /// certificate); "request: …" (a header the caller gave is malformed, or writing failed);
  /// "response: …" (the connection broke or the response was malformed).
  std::string error;
  /// Wall time of the whole exchange, DNS included.
  std::chrono::milliseconds elapsed{0};
};

/// Sends webhook POSTs over HTTP/1.1 and keeps their connections alive between calls.
///
/// Redirects are not followed (a 3xx is a result like any other). A pooled connection that the
/// server closed meanwhile is noticed before use or, at the latest, when the request meets EOF
/// before any response byte; the request is then sent once more on a fresh connection.
///
/// Thread safety: post() and idle_connections() may be called concurrently from any thread and
/// any executor. Each exchange runs on a strand of its own made from the constructor's
/// executor; the pool is guarded by a mutex that is never held across a suspension. The client
/// may be destroyed while exchanges are still running: they finish, and their connections are
/// then closed instead of pooled.
class HttpClient {
 public:
  /// Throws std::runtime_error when extra_ca_file cannot be loaded.
  HttpClient(boost::asio::any_io_executor ex, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// POSTs `body` (Content-Type: application/json) with `headers` to an http or https URL; the
  /// whole exchange (DNS, connect, TLS, write, read) ends within `timeout`. Headers that frame
  /// the message (Host, Content-Length, Transfer-Encoding, Connection and other hop-by-hop
  /// fields) are the client's own and are skipped when given; Content-Type and User-Agent given
  /// here replace the defaults. Throws std::invalid_argument only for a URL it cannot use
  /// (unparseable, not http/https, no host, user info, port out of range).
  boost::asio::awaitable<HttpResult> post(std::string url, std::string body,
                                          std::vector<std::pair<std::string, std::string>> headers,
                                          std::chrono::milliseconds timeout);

  /// Idle keep-alive connections in the pool now (for /metrics).
  [[nodiscard]] std::size_t idle_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared with running exchanges
};

/// Parses a Retry-After value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date in any of its
/// three forms (IMF-fixdate, RFC 850, asctime) taken relative to `now` (a past date gives 0 s).
/// Values are capped at 2^31 seconds (RFC 9111 §1.2.2); nullopt when malformed.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

}  // namespace gw::webhooks

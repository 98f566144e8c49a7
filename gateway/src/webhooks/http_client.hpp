#pragma once
// The outgoing HTTP/1.1 client: webhook POSTs (post) and media downloads (get, for the send
// API's media_url), plain or TLS, with a small keep-alive pool per (scheme, host, port). It is
// where the SSRF policy meets the network: every address a host name resolves to is classified
// (sessions::classify_address) right before connecting, because the URL check at configuration time
// (sessions::validate_webhook_url) never sees what a name resolves to today.
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
  /// The response's Location, as sent ("" when absent).
  std::string location;
  /// Empty when a response was read. Otherwise one of: "timeout"; "refused address <ip>
  /// (<class>)" (nothing was connected); "connect: …" (DNS or TCP); "tls: …" (handshake or
  /// certificate); "request: …" (a header the caller gave is malformed, or writing failed);
  /// "response: …" (the connection broke or the response was malformed).
  std::string error;
  /// Wall time of the whole exchange, DNS included.
  std::chrono::milliseconds elapsed{0};
};

/// Why a get() failed; the send API maps each to an HTTP status (docs/API.md, media_url).
enum class FetchError {
  none,
  /// The URL, or a redirect's Location, cannot be used: unparseable, not http/https, no host,
  /// user info, port out of range.
  invalid_url,
  /// Every address the host resolves to is refused by the SSRF policy (cloud metadata always,
  /// private and loopback ranges unless allowed); nothing was connected.
  refused_address,
  /// The 2xx body is longer than max_bytes (by its Content-Length, or as it arrived).
  too_large,
  /// The whole exchange, redirects included, did not end within the timeout.
  timeout,
  /// DNS, TCP, TLS, or a response that broke off, is malformed, or is shorter than it said.
  network,
  /// The last response was not 2xx and not a followable redirect (FetchResult::status).
  http_status,
  /// More redirects than max_redirects.
  too_many_redirects,
};

/// "none", "invalid_url", "refused_address", … (for logs and error details).
std::string_view fetch_error_name(FetchError e) noexcept;

/// The outcome of one get(): the whole body on success, nothing of it on failure.
struct FetchResult {
  FetchError error = FetchError::none;
  /// Why it failed, for humans ("" on success): "refused address 169.254.169.254 (cloud
  /// metadata)", "too large: the body exceeds 16 bytes", "the server answered HTTP 404", …
  std::string message;
  /// The status of the last response read (0 when none was read).
  int status = 0;
  /// The response body (success only).
  std::string body;
  /// The final response's Content-Type, as sent (success only; "" when absent).
  std::string content_type;
  /// The URL that answered 2xx, after redirects (success only).
  std::string final_url;
  /// Redirects followed.
  int redirects = 0;
  /// Wall time of the whole exchange, redirects and DNS included.
  std::chrono::milliseconds elapsed{0};

  [[nodiscard]] bool ok() const noexcept { return error == FetchError::none; }
};

/// Sends webhook POSTs and media GETs over HTTP/1.1 and keeps their connections alive between
/// calls.
///
/// post() does not follow redirects (a 3xx is a result like any other); get() does, up to a
/// bound, checking every target like the first. A pooled connection that the
/// server closed meanwhile is noticed before use or, at the latest, when the request meets EOF
/// before any response byte; the request is then sent once more on a fresh connection.
///
/// Thread safety: post(), get() and idle_connections() may be called concurrently from any thread
/// and any executor. Each exchange runs on a strand of its own made from the constructor's
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

  /// GETs an http or https URL (the send API's media_url) and returns the whole body, or an
  /// error and no body. Redirects (301, 302, 303, 307, 308) are followed up to `max_redirects`;
  /// every URL, the first and each Location, gets the same SSRF check as webhooks: each address
  /// its host resolves to is classified right before connecting (options' allow_private_networks;
  /// cloud metadata never). A 2xx body over `max_bytes` fails before any of it is read when its
  /// Content-Length says so, or as soon as it grows past the cap; a body shorter than its
  /// Content-Length is a network error. The whole exchange, redirects included, ends within
  /// `timeout`. Only 2xx is success. Never throws for a bad URL (FetchError::invalid_url).
  boost::asio::awaitable<FetchResult> get(std::string url, std::chrono::milliseconds timeout,
                                          std::size_t max_bytes, int max_redirects);

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

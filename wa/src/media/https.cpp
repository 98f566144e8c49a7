// The media hosts' HTTPS client (media/https.hpp); the second translation unit with Boost.Beast
// (compile cost: see deps-notes), kept apart from the WebSocket one so each stays small.
#include "wa/media/https.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace wa::media {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

namespace {

struct Target {
  std::string host;  // for the resolver (IPv6 brackets removed) and SNI
  std::string port;
  std::string host_header;  // host[:port] as in the URL
  std::string target;       // path and query
};

Result<Target> parse_https_url(std::string_view url) {
  auto u = boost::urls::parse_uri(url);
  if (!u || u->scheme() != "https")
    return Error{Errc::invalid_argument, "not an https URL: " + std::string(url.substr(0, 200))};
  Target t;
  t.host = std::string(u->encoded_host());
  if (t.host.empty()) return Error{Errc::invalid_argument, "URL without host"};
  t.port = u->has_port() ? std::string(u->port()) : "443";
  t.host_header = u->has_port() ? t.host + ":" + t.port : t.host;
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.target = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) t.target += "?" + std::string(u->encoded_query());
  return t;
}

// A timed-out tcp_stream operation fails with beast::error::timeout.
bool timed_out(const boost::system::error_code& ec) {
  return ec == beast::error::timeout;
}

}  // namespace

asio::awaitable<Result<HttpsResponse>> https_request(const HttpsRequest& request,
                                                     const HttpsOptions& options) {
  auto target = parse_https_url(request.url);
  if (!target) co_return target.error();
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };

  asio::ssl::context ssl(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ssl.set_default_verify_paths(ec);
  if (!ec && !options.extra_ca_file.empty()) ssl.load_verify_file(options.extra_ca_file, ec);
  if (ec) co_return Error{Errc::transport_connect, "TLS trust store: " + ec.message()};

  auto ex = co_await asio::this_coro::executor;
  beast::ssl_stream<beast::tcp_stream> stream(ex, ssl);
  auto& tcp_layer = beast::get_lowest_layer(stream);

  // Connect: resolve + TCP + TLS under one deadline.
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  tcp::resolver resolver(ex);
  {
    asio::steady_timer guard(ex);
    guard.expires_at(deadline);
    bool fired = false;
    guard.async_wait([&](const boost::system::error_code& e) {
      if (!e) {
        fired = true;
        resolver.cancel();
      }
    });
    auto [rec, endpoints] = co_await resolver.async_resolve(target->host, target->port, kNoThrow);
    guard.cancel();
    if (fired)
      co_return Error{Errc::media_timeout,
                      "resolve timed out after " + ms(options.connect_timeout)};
    if (rec)
      co_return Error{Errc::transport_connect, "resolve " + target->host + ": " + rec.message()};
    tcp_layer.expires_at(deadline);
    auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, kNoThrow);
    if (timed_out(cec))
      co_return Error{Errc::media_timeout,
                      "connect timed out after " + ms(options.connect_timeout)};
    if (cec)
      co_return Error{Errc::transport_connect,
                      "connect " + target->host_header + ": " + cec.message()};
    // The request's last segment must not wait for the ACK of the previous one (Nagle).
    boost::system::error_code ignored;
    tcp_layer.socket().set_option(tcp::no_delay(true), ignored);
  }
  if (!SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str()))
    co_return Error{Errc::transport_connect, "TLS: cannot set SNI"};
  stream.set_verify_mode(asio::ssl::verify_peer);
  stream.set_verify_callback(asio::ssl::host_name_verification(target->host));
  tcp_layer.expires_at(deadline);
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kNoThrow);
  if (timed_out(hec))
    co_return Error{Errc::media_timeout,
                    "TLS handshake timed out after " + ms(options.connect_timeout)};
  if (hec)
    co_return Error{Errc::transport_connect,
                    "TLS handshake with " + target->host_header + ": " + hec.message()};

  // Request: written piece by piece, each piece under the idle timeout.
  http::request<http::buffer_body> req;
  req.method_string(request.method);
  req.target(target->target);
  req.version(11);
  req.set(http::field::host, target->host_header);
  req.set(http::field::user_agent, "wa-gateway");
  req.set(http::field::connection, "close");
  if (!options.origin.empty()) {
    req.set(http::field::origin, options.origin);
    req.set(http::field::referer, options.origin + "/");
  }
  if (!request.body.empty() && !request.content_type.empty())
    req.set(http::field::content_type, request.content_type);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT")
    req.content_length(request.body.size());
  req.body().data = const_cast<std::uint8_t*>(request.body.data());  // only read from
  req.body().size = request.body.size();
  req.body().more = false;
  http::request_serializer<http::buffer_body> sr(req);
  while (!sr.is_done()) {
    tcp_layer.expires_after(options.idle_timeout);
    auto [wec, n] = co_await http::async_write_some(stream, sr, kNoThrow);
    if (timed_out(wec))
      co_return Error{Errc::media_timeout, "no upload progress for " + ms(options.idle_timeout)};
    if (wec) co_return Error{Errc::transport_write, "request: " + wec.message()};
  }

  // Response: read piece by piece under the idle timeout; the body is bounded by max_body.
  beast::flat_buffer buffer;
  http::response_parser<http::vector_body<std::uint8_t>> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(options.max_body);
  while (!parser.is_done()) {
    tcp_layer.expires_after(options.idle_timeout);
    auto [rec, n] = co_await http::async_read_some(stream, buffer, parser, kNoThrow);
    if (rec == http::error::body_limit)
      co_return Error{Errc::media_too_large,
                      "response body beyond " + std::to_string(options.max_body) + " bytes"};
    if (timed_out(rec))
      co_return Error{Errc::media_timeout, "no response progress for " + ms(options.idle_timeout)};
    if (rec == http::error::end_of_stream || rec == http::error::partial_message ||
        rec == asio::error::eof || rec == asio::ssl::error::stream_truncated ||
        rec == asio::error::connection_reset)
      co_return Error{Errc::transport_read, "connection closed before the response was complete"};
    if (rec.category() == beast::http::make_error_code(http::error::bad_target).category())
      co_return Error{Errc::media_http, "not an HTTP response: " + rec.message()};
    if (rec) co_return Error{Errc::transport_read, "response: " + rec.message()};
  }
  HttpsResponse out;
  auto res = parser.release();
  out.status = res.result_int();
  out.content_type = std::string(res[http::field::content_type]);
  out.body = std::move(res.body());
  // "Connection: close" was asked and the response is complete: no TLS shutdown round trip (the
  // hosts close without one, deps-notes).
  tcp_layer.close();
  co_return out;
}

}  // namespace wa::media

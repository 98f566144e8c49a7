#pragma once
// A small HTTPS client for the media hosts (docs/PROTOCOL.md §8.4, §8.5): one request per
// connection, TLS with the system CAs plus an optional extra CA file (the emulator's), host name
// checked, SNI; bounded by a connect timeout, an idle timeout (no byte sent or received for that
// long) and a cap on the response body (announced or received). Nothing partial is returned: a
// response is either complete or an Error. Boost.Beast lives in src/media/https.cpp only.
//
// Thread safety: each call is independent; run it on any executor.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/error.hpp"

namespace wa::media {

struct HttpsOptions {
  std::string extra_ca_file;  ///< PEM trusted in addition to the system CAs (tests)
  std::chrono::milliseconds connect_timeout{20'000};  ///< resolve + TCP + TLS
  std::chrono::milliseconds idle_timeout{30'000};     ///< longest wait for progress once connected
  std::size_t max_body = std::size_t{64} << 20;       ///< cap on the response body
  std::string origin;                                 ///< Origin header when not empty
};

struct HttpsRequest {
  std::string method = "GET";
  std::string url;                     ///< https://host[:port]/path?query
  std::span<const std::uint8_t> body;  ///< must stay valid until the call completes
  std::string content_type;            ///< sent when the body is not empty
};

struct HttpsResponse {
  unsigned status = 0;
  std::string content_type;
  std::vector<std::uint8_t> body;
};

/// Performs one request. Any HTTP status is a response (the caller judges it). Errors:
/// invalid_argument (not an https URL), transport_connect (resolve, connect, TLS verification),
/// media_timeout (connect or idle timeout), media_too_large (body beyond max_body, announced or
/// received), media_http (a response that is not HTTP), transport_read / transport_write (the
/// connection failed or closed before the response was complete).
/// The request is taken by reference: keep it alive while awaiting.
boost::asio::awaitable<Result<HttpsResponse>> https_request(const HttpsRequest& request,
                                                            const HttpsOptions& options);

}  // namespace wa::media

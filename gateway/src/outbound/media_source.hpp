#pragma once
// The media of a send given by URL (`media_url` of the send API and of webhook replies): fetched
// by the gateway before anything is sent, SSRF-checked at connect time, redirects re-checked and
// bounded, size-capped (docs/media.md "Downloading a media_url"). On success the request carries
// the bytes, and a mimetype and file name from the answer when it gave none.
// Thread safety: stateless; the client is the caller's.
#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "outbound/request.hpp"
#include "webhooks/http_client.hpp"

namespace gw::outbound {

/// Fetches request.media_url (which must be set) into request.media_bytes. Returns the fetch
/// result; on failure the request is unchanged.
boost::asio::awaitable<webhooks::FetchResult> fetch_media_url(webhooks::HttpClient& client,
                                                              SendRequest& request,
                                                              std::chrono::milliseconds timeout,
                                                              std::size_t max_bytes);

}  // namespace gw::outbound

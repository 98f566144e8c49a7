#pragma once
// GET and HEAD /media/:id?exp=&sig=: stored media (media/store.hpp) under signed, expiring URLs
// (media/signing.hpp), public so that n8n can download them without logging in; the signature is
// what authorises. Single byte ranges (206/416), the stored Content-Type, Content-Disposition with
// the stored file name. The requested bytes are read whole into the response (the HTTP server
// sends string bodies), at most MEDIA_MAX_BYTES at a time; docs/media.md.
//
// Also the one mapping of a failed media_url download to the send API's error (docs/API.md).
#include <string>
#include <string_view>

#include "app/context.hpp"
#include "http/errors.hpp"
#include "http/router.hpp"
#include "media/signing.hpp"
#include "media/store.hpp"
#include "webhooks/http_client.hpp"

namespace gw::api {

/// Registers GET and HEAD /media/:id. `store` and `signer` outlive the router.
void register_media_routes(http::Router& router, app::Context& ctx, const media::Store& store,
                           const media::UrlSigner& signer);

/// The error the send API answers for a media_url that could not be downloaded: 413 when it is
/// larger than MEDIA_MAX_BYTES, else 400 with the reason as details.media_url.
http::ApiError media_url_error(const webhooks::FetchResult& result, std::size_t max_bytes);

/// Content-Disposition for a stored file: inline for images (JPEG, PNG, GIF, WebP), audio and
/// video, attachment for everything else; filename= an ASCII fallback, filename*= the UTF-8 name
/// (RFC 6266 §4.3, RFC 8187).
std::string content_disposition(std::string_view file_name, std::string_view mimetype);

}  // namespace gw::api

#include "outbound/media_source.hpp"

#include "util/strings.hpp"

namespace gw::outbound {

boost::asio::awaitable<webhooks::FetchResult> fetch_media_url(webhooks::HttpClient& client,
                                                              SendRequest& request,
                                                              std::chrono::milliseconds timeout,
                                                              std::size_t max_bytes) {
  auto got = co_await client.get(*request.media_url, timeout, max_bytes, 3);
  if (!got.ok()) co_return got;
  request.media_bytes = std::move(got.body);
  got.body.clear();
  if (request.mimetype.empty()) {
    auto ct = got.content_type.substr(0, got.content_type.find(';'));
    request.mimetype = util::to_lower(util::trim(ct));
  }
  if (request.filename.empty()) {
    auto path = got.final_url.substr(0, got.final_url.find_first_of("?#"));
    auto name = path.substr(path.rfind('/') + 1);
    if (!name.empty() && name.size() <= 256) request.filename = name;
  }
  co_return got;
}

}  // namespace gw::outbound

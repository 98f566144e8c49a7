// Fuzzes the reading of a webhook response body (the n8n answer sent back to the chat).
// Invariants: no crash; no reply, or a reply the send API would accept (the same consistency as
// send_request_fuzz), or an http::ApiError 400/413 with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/errors.hpp"
#include "outbound/request.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  gw::outbound::RequestLimits limits;
  limits.max_media_bytes = 4096;
  limits.max_text = 2048;
  try {
    auto r = gw::outbound::parse_webhook_reply(in, limits);
    if (!r) return 0;
    using gw::outbound::SendType;
    if (gw::outbound::is_media(r->type)) {
      check(r->media_url.has_value() != r->media_bytes.has_value());
    } else {
      check(!r->media_url && !r->media_bytes);
    }
    if (r->type == SendType::text) check(!r->content.empty() && r->content.size() <= 2048);
    check(!r->quoted_message_id);
  } catch (const gw::http::ApiError& e) {
    check(std::string_view(e.what()).size() > 0);
    check(gw::http::http_status(e.kind()) == 400 || gw::http::http_status(e.kind()) == 413);
  }
  return 0;
}

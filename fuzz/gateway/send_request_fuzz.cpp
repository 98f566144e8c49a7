// Fuzzes the send API's body validation (POST /api/v1/sessions/:id/send).
// Invariants: no crash; a refusal is an http::ApiError with a message (400 with per-field details,
// or 413); an accepted request is self-consistent (media types carry exactly one media source
// within the limit, other types none; text has content; location/contact carry their object).
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "outbound/request.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto body = gw::http::parse_json_body(in, 256 * 1024, 6);
  if (!body) return 0;
  gw::outbound::RequestLimits limits;
  limits.max_media_bytes = 4096;
  limits.max_text = 2048;
  try {
    auto r = gw::outbound::parse_send_request(body.value->as_object(), limits);
    using gw::outbound::SendType;
    if (gw::outbound::is_media(r.type)) {
      check(r.media_url.has_value() != r.media_bytes.has_value());
      if (r.media_bytes) check(!r.media_bytes->empty() && r.media_bytes->size() <= 4096);
    } else {
      check(!r.media_url && !r.media_bytes);
    }
    if (r.type == SendType::text) check(!r.content.empty() && r.content.size() <= 2048);
    check((r.type == SendType::location) == r.location.has_value());
    check((r.type == SendType::contact) == r.contact.has_value());
    check(!r.to.jid.user.empty());
  } catch (const gw::http::ApiError& e) {
    check(std::string_view(e.what()).size() > 0);
    check(gw::http::http_status(e.kind()) == 400 || gw::http::http_status(e.kind()) == 413);
  }
  return 0;
}

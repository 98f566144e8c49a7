// Fuzzes the sandbox's incoming-message body (a simulated contact's message, docs/SANDBOX.md).
// Invariants: no crash; either a body that satisfies every documented rule (and whose driver
// command carries it unchanged), or an http::ApiError 400/413 with a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/errors.hpp"
#include "sandbox/incoming.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  try {
    auto r = gw::sandbox::parse_incoming(in, 64 * 1024);
    check(r.from.size() >= 7 && r.from.size() <= 15);
    check(r.text.size() <= gw::sandbox::kMaxText);
    check(!r.text.empty() || r.media.has_value());
    check(!r.mention_bot || r.group.has_value());
    if (r.media) {
      check(r.media->type == "image" || r.media->type == "document" || r.media->type == "audio");
    }
    auto c = gw::sandbox::to_command(r, "s", "1");
    check(c.at("from").as_string() == r.from);
    check(c.at("text").as_string() == r.text);
    check(c.contains("group") == r.group.has_value());
  } catch (const gw::http::ApiError& e) {
    check(std::string_view(e.what()).size() > 0);
    const int status = gw::http::http_status(e.kind());
    check(status == 400 || status == 413);
  }
  return 0;
}

// Fuzzes what a dashboard client sends on its live-event socket (one text message per input;
// WebSocket framing itself is Beast's, under the server's size limit). Invariants: no crash;
// anything longer than the limit is refused; the answer does not depend on the limit once the
// message fits; a message accepted as a ping is a JSON object with "type":"ping".
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ws/client_message.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool ping = gw::ws::is_ping(text, 1024);
  if (size > 1024) check(!ping);
  check(gw::ws::is_ping(text, size) == gw::ws::is_ping(text, size + 4096));
  if (size <= 1024) check(gw::ws::is_ping(text, size) == ping);
  if (size > 0) check(!gw::ws::is_ping(text, size - 1));
  if (ping) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(text, ec);
    check(!ec && v.is_object() && v.as_object().at("type").as_string() == "ping");
  }
  return 0;
}

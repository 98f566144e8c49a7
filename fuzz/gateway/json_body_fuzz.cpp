// Fuzzes the JSON body reader and the Content-Type check.
// Invariants: no crash or unbounded recursion; a refusal always carries a message; an accepted
// value serialises to JSON that the reader accepts again.
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/json_body.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)gw::http::is_json_content_type(in);

  constexpr std::size_t kMaxBytes = 64 * 1024;
  constexpr int kMaxDepth = 32;
  const auto r = gw::http::parse_json_body(in, kMaxBytes, kMaxDepth, size % 2 == 0);
  if (!r) {
    check(!r.message.empty());
    return 0;
  }
  const std::string again = boost::json::serialize(*r.value);
  const auto r2 = gw::http::parse_json_body(again, again.size(), kMaxDepth, false);
  check(r2.ok());
  return 0;
}

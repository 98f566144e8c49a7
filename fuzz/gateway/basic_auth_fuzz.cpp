// Fuzzes the Authorization header parsers and the strict base64 decoders they rely on.
// Invariants: no crash; a decoded base64 string re-encodes to exactly the input (strictness);
// parsed credentials hold no control characters; a bearer token is a view into the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/basic_auth.hpp"
#include "auth/crypto.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const auto basic = gw::auth::parse_basic_auth(in);
  if (basic) {
    for (const std::string_view s : {std::string_view(basic.credentials->user),
                                     std::string_view(basic.credentials->password)}) {
      for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        check(u >= 0x20 && u != 0x7F);
      }
    }
    check(basic.credentials->user.find(':') == std::string::npos);
  }

  if (const auto token = gw::auth::bearer_token(in)) {
    check(!token->empty());
    check(token->data() >= in.data() && token->data() + token->size() <= in.data() + in.size());
  }

  if (const auto std_dec = gw::auth::base64_decode(in)) {
    check(gw::auth::base64_encode(*std_dec) == in);
  }
  if (const auto url_dec = gw::auth::base64url_decode(in)) {
    check(gw::auth::base64url_encode(*url_dec) == in);
  }
  return 0;
}

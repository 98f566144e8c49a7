// Fuzzes JWT verification. The first byte picks a mode:
//   0: verify the rest as a token, as received from a client;
//   1: treat the rest as "header.payload", sign it with the fuzz secret and verify, so that the
//      claim parsing behind the signature check is reached too;
//   2: sign claims whose `sub` is the rest and verify: the round trip must give them back.
// Invariants: no crash; a signed token always verifies to the same claims.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/crypto.hpp"
#include "auth/jwt.hpp"

namespace {
constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef-0123456789";
constexpr std::int64_t kNow = 1700000000;

void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 3;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  if (mode == 0) {
    (void)gw::auth::jwt::verify(in, kSecret, kNow);
  } else if (mode == 1) {
    if (in.size() > gw::auth::jwt::kMaxTokenLength) return 0;
    const std::string token(std::string(in) + "." +
                            gw::auth::base64url_encode(gw::auth::hmac_sha256(kSecret, in)));
    const auto r = gw::auth::jwt::verify(token, kSecret, kNow);
    // A token we signed can fail for many reasons, but never on its signature.
    check(r.ok() || r.error != gw::auth::jwt::Error::bad_signature);
  } else {
    // Arbitrary bytes would not be valid UTF-8 in JSON: keep printable ASCII (which includes
    // the characters JSON must escape), hex-encode the rest.
    std::string sub;
    for (const char c : in) {
      if (c >= 0x20 && c < 0x7F) {
        sub += c;
      } else {
        sub += gw::auth::hex_encode(std::string_view(&c, 1));
      }
    }
    if (sub.empty() || sub.size() > 1024) return 0;
    const gw::auth::jwt::Claims c{sub, kNow, kNow + 86400, "0123456789abcdef0123456789abcdef"};
    const auto r = gw::auth::jwt::verify(gw::auth::jwt::sign(c, kSecret), kSecret, kNow);
    check(r.ok());
    check(r.claims->sub == c.sub && r.claims->iat == c.iat && r.claims->exp == c.exp &&
          r.claims->jti == c.jti);
  }
  return 0;
}

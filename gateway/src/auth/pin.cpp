#include "auth/pin.hpp"

#include <array>

#include "auth/crypto.hpp"

namespace gw::auth {
namespace {

// 252 = 7 * 36 is the largest multiple of 36 that fits in a byte: bytes >= 252 are rejected so
// that byte % 36 is uniform.
constexpr unsigned kRejectFrom = 256 - (256 % kPinAlphabet.size());
static_assert(kRejectFrom == 252);

}  // namespace

std::string generate_pin(const RandomFill& fill) {
  std::string pin;
  pin.reserve(kPinLength);
  std::array<std::uint8_t, 16> buf{};
  while (pin.size() < kPinLength) {
    fill(buf);
    for (const std::uint8_t b : buf) {
      if (b >= kRejectFrom) continue;
      pin += kPinAlphabet[b % kPinAlphabet.size()];
      if (pin.size() == kPinLength) break;
    }
  }
  return pin;
}

std::string generate_pin() {
  return generate_pin(random_fill);
}

bool is_valid_pin_format(std::string_view pin) noexcept {
  if (pin.size() != kPinLength) return false;
  for (const char c : pin) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string pin_hash(std::string_view key, std::string_view pin) {
  return hex_encode(hmac_sha256(key, pin));
}

}  // namespace gw::auth

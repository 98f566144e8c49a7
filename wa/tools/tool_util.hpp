#pragma once
// Helpers shared by the wa-tool sub-commands and the benchmark drivers.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/crypto/curve25519.hpp"
#include "wa/hex.hpp"

namespace wa_tool {

/// A 32-byte public key from 64 hex digits (e.g. --root-key), or nullopt.
inline std::optional<wa::crypto::PublicKey> parse_key(std::string_view hex) {
  const auto v = wa::hex::decode(hex);
  if (!v || v->size() != 32) return std::nullopt;
  wa::crypto::PublicKey k{};
  std::copy(v->begin(), v->end(), k.begin());
  return k;
}

/// Lower-case hex of bytes.
inline std::string to_hex(std::span<const std::uint8_t> b) {
  return wa::hex::encode(b);
}

/// Bytes from hex digits, or nullopt.
inline std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  return wa::hex::decode(hex);
}

}  // namespace wa_tool

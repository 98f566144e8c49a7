#pragma once
// Helpers shared by the wa-tool sub-commands and the benchmark drivers.
#include <charconv>
#include <optional>
#include <string_view>

#include "wa/crypto/curve25519.hpp"

namespace wa_tool {

/// A 32-byte public key from 64 hex digits (e.g. --root-key), or nullopt.
inline std::optional<wa::crypto::PublicKey> parse_key(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  wa::crypto::PublicKey k{};
  for (std::size_t i = 0; i < k.size(); ++i) {
    const auto r = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, k[i], 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + 2 * i + 2) return std::nullopt;
  }
  return k;
}

}  // namespace wa_tool

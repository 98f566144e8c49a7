#pragma once
// Helpers shared by the wa-tool sub-commands and the benchmark drivers.
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

/// Lower-case hex of bytes.
inline std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (auto x : b) {
    s.push_back(kDigits[x >> 4]);
    s.push_back(kDigits[x & 15]);
  }
  return s;
}

/// Bytes from hex digits, or nullopt.
inline std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto r = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, out[i], 16);
    if (r.ec != std::errc() || r.ptr != hex.data() + 2 * i + 2) return std::nullopt;
  }
  return out;
}

}  // namespace wa_tool

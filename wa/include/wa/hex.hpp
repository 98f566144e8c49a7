#pragma once
// The one hex codec of the project (library, tools, tests and the gateway): lower-case encoding,
// decoding of either case. Header-only; no dependency beyond the standard library.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wa::hex {

inline constexpr char kDigits[] = "0123456789abcdef";

/// Appends the two lower-case hex digits of `b` to `out`.
inline void append(std::string& out, std::uint8_t b) {
  out.push_back(kDigits[b >> 4]);
  out.push_back(kDigits[b & 0xF]);
}

/// Lower-case hex of bytes.
inline std::string encode(std::span<const std::uint8_t> bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (auto b : bytes) append(s, b);
  return s;
}

/// Lower-case hex of the bytes of a string.
inline std::string encode(std::string_view bytes) {
  return encode(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

/// The value of one hex digit (either case), or -1.
inline int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Bytes from an even number of hex digits (either case); nullopt on anything else.
inline std::optional<std::vector<std::uint8_t>> decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(hex[2 * i]);
    const int lo = digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

}  // namespace wa::hex

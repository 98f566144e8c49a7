#pragma once
// Hex helpers for tests.
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wa_test {

inline std::vector<std::uint8_t> unhex(std::string_view s) {
  if (s.size() % 2) throw std::invalid_argument("odd hex length");
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex digit");
  };
  std::vector<std::uint8_t> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(val(s[2 * i]) << 4 | val(s[2 * i + 1]));
  return out;
}

template <std::size_t N>
std::array<std::uint8_t, N> unhex_array(std::string_view s) {
  const auto v = unhex(s);
  if (v.size() != N) throw std::invalid_argument("wrong hex length");
  std::array<std::uint8_t, N> a{};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

inline std::string hex(std::span<const std::uint8_t> b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 0xF];
  }
  return s;
}

}  // namespace wa_test

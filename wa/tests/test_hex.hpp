#pragma once
// Hex helpers for tests.
#include <array>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wa/hex.hpp"

namespace wa_test {

inline std::vector<std::uint8_t> unhex(std::string_view s) {
  auto v = wa::hex::decode(s);
  if (!v) throw std::invalid_argument("bad hex: " + std::string(s));
  return std::move(*v);
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
  return wa::hex::encode(b);
}

/// The bytes of a string, e.g. an ASCII test input.
inline std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

}  // namespace wa_test

#include "media/range.hpp"

#include <limits>

namespace gw::media {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT; values over 2^64-1 saturate (a position that large is past any file's end).
bool read_number(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty()) return false;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    n = n > (kMax - d) / 10 ? kMax : n * 10 + d;
  }
  out = n;
  return true;
}

}  // namespace

RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept {
  RangeRequest whole;
  const auto eq = header.find('=');
  if (eq == std::string_view::npos) return whole;
  const std::string_view unit = header.substr(0, eq);
  if (unit.size() != 5) return whole;
  for (std::size_t i = 0; i < 5; ++i) {
    const char c = static_cast<char>(unit[i] | 0x20);  // ASCII lower case
    if (c != "bytes"[i]) return whole;
  }
  const std::string_view spec = trim_ows(header.substr(eq + 1));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = spec.substr(0, dash);
  const std::string_view b = spec.substr(dash + 1);

  RangeRequest out;
  if (a.empty()) {  // suffix-range: the last n bytes
    std::uint64_t n = 0;
    if (!read_number(b, n)) return whole;
    if (n == 0 || size == 0) {
      out.kind = RangeRequest::Kind::unsatisfiable;
      return out;
    }
    out.kind = RangeRequest::Kind::partial;
    out.first = n >= size ? 0 : size - n;
    out.last = size - 1;
    return out;
  }
  std::uint64_t first = 0;
  std::uint64_t last = kMax;
  if (!read_number(a, first)) return whole;
  if (!b.empty() && !read_number(b, last)) return whole;
  if (last < first) return whole;  // an invalid int-range makes the header invalid
  if (first >= size) {
    out.kind = RangeRequest::Kind::unsatisfiable;
    return out;
  }
  out.kind = RangeRequest::Kind::partial;
  out.first = first;
  out.last = last >= size ? size - 1 : last;
  return out;
}

}  // namespace gw::media

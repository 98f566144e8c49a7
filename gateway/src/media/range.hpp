#pragma once
// The Range header of a media download (RFC 9110 §14.2): one byte range of a file of known size.
// A pure function over outside bytes (fuzzed: fuzz/gateway/media_range_fuzz.cpp).
//
// Thread safety: stateless, safe from any thread.
#include <cstdint>
#include <string_view>

namespace gw::media {

/// What to answer to a Range header.
struct RangeRequest {
  enum class Kind {
    /// Serve the whole file (200): no Range, another unit, a malformed value, or several ranges
    /// (RFC 9110 §14.2 lets a server ignore any Range; we serve single ranges only).
    whole,
    /// Serve bytes first..last, both inclusive (206 with Content-Range).
    partial,
    /// No byte of the file is in the range (416 with "Content-Range: bytes */size").
    unsatisfiable,
  };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;  // partial only
  std::uint64_t last = 0;   // partial only; first <= last < size

  [[nodiscard]] std::uint64_t length() const noexcept { return last - first + 1; }
};

/// Reads "bytes=a-b", "bytes=a-" or "bytes=-n" (unit case-insensitive, optional whitespace
/// around the range as the list syntax allows) against a file of `size` bytes. Positions past the
/// end are cut at the end; numbers too large for 64 bits count as "past the end".
RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept;

}  // namespace gw::media

#pragma once
// Length-prefixed frames over WebSocket messages (docs/PROTOCOL.md §1.2): a 3-byte big-endian
// length then the payload, at most 2^24-1 bytes. WebSocket message boundaries mean nothing: one
// message may carry several frames or part of one, so the reader reassembles by length.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wa/error.hpp"

namespace wa::socket {

using Bytes = std::vector<std::uint8_t>;

/// Reassembles frames from arbitrarily split or joined input.
/// Thread safety: none; one reader per connection.
class FrameReader {
 public:
  /// max_frame bounds the announced payload length (at most 2^24-1, the protocol limit).
  explicit FrameReader(std::size_t max_frame = 0xFFFFFF);

  /// Appends received bytes. Fails (and stays failed) if a frame announces a length over the bound.
  Result<void> feed(std::span<const std::uint8_t> data);
  /// The next complete frame payload, if one is buffered.
  std::optional<Bytes> next();
  /// Call when the stream ends: fails with frame_truncated if a partial frame is buffered.
  Result<void> finish() const;
  /// Bytes buffered but not yet returned as frames.
  std::size_t buffered() const noexcept { return buf_.size() - pos_; }

 private:
  Bytes buf_;
  std::size_t pos_ = 0;      // start of the first unreturned frame
  std::size_t checked_ = 0;  // offset of the first length prefix not yet validated
  std::size_t max_;
  bool failed_ = false;
};

/// Builds outgoing frames; prefixes the connection header to the very first one.
/// Thread safety: none; one writer per connection.
class FrameWriter {
 public:
  /// header: sent once before the first frame (empty for the server side).
  explicit FrameWriter(std::span<const std::uint8_t> header);
  /// The bytes of one WebSocket message carrying this payload.
  Result<Bytes> frame(std::span<const std::uint8_t> payload);

 private:
  Bytes header_;
  bool header_sent_ = false;
};

/// Encodes one frame (length prefix + payload) without any header.
Result<Bytes> encode_frame(std::span<const std::uint8_t> payload);

}  // namespace wa::socket

#include "wa/socket/frame.hpp"

#include <algorithm>
#include <string>

#include "wa/constants.hpp"

namespace wa::socket {

namespace {
void append_frame(Bytes& out, std::span<const std::uint8_t> payload) {
  const auto n = payload.size();
  out.push_back(static_cast<std::uint8_t>(n >> 16));
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n));
  out.insert(out.end(), payload.begin(), payload.end());
}
}  // namespace

FrameReader::FrameReader(std::size_t max_frame)
    : max_(std::min(max_frame, constants::kFrameMaxSize)) {}

Result<void> FrameReader::feed(std::span<const std::uint8_t> data) {
  if (failed_) return {Errc::frame_too_large, "reader failed earlier"};
  // Drop consumed bytes before growing, so the buffer holds at most one partial frame + data.
  if (pos_ > 0) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    checked_ -= pos_;
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
  // Validate every complete length prefix now, so an oversized announcement fails at once.
  std::size_t& p = checked_;
  while (p + constants::kFrameLengthSize <= buf_.size()) {
    const std::size_t len =
        (std::size_t{buf_[p]} << 16) | (std::size_t{buf_[p + 1]} << 8) | buf_[p + 2];
    if (len > max_) {
      failed_ = true;
      return {Errc::frame_too_large, "announced " + std::to_string(len) + " bytes"};
    }
    p += constants::kFrameLengthSize + len;
  }
  return {};
}

std::optional<Bytes> FrameReader::next() {
  if (failed_) return std::nullopt;
  const std::size_t avail = buf_.size() - pos_;
  if (avail < constants::kFrameLengthSize) return std::nullopt;
  const std::size_t len =
      (std::size_t{buf_[pos_]} << 16) | (std::size_t{buf_[pos_ + 1]} << 8) | buf_[pos_ + 2];
  if (avail - constants::kFrameLengthSize < len) return std::nullopt;
  const auto begin = buf_.begin() + static_cast<std::ptrdiff_t>(pos_ + constants::kFrameLengthSize);
  Bytes frame(begin, begin + static_cast<std::ptrdiff_t>(len));
  pos_ += constants::kFrameLengthSize + len;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
    checked_ = 0;
  }
  return frame;
}

Result<void> FrameReader::finish() const {
  if (buffered() != 0) {
    return {Errc::frame_truncated, std::to_string(buffered()) + " bytes of an incomplete frame"};
  }
  return {};
}

Result<Bytes> encode_frame(std::span<const std::uint8_t> payload) {
  if (payload.size() > constants::kFrameMaxSize) {
    return {Errc::frame_too_large, std::to_string(payload.size()) + " bytes"};
  }
  Bytes out;
  out.reserve(constants::kFrameLengthSize + payload.size());
  append_frame(out, payload);
  return out;
}

FrameWriter::FrameWriter(std::span<const std::uint8_t> header)
    : header_(header.begin(), header.end()) {}

Result<Bytes> FrameWriter::frame(std::span<const std::uint8_t> payload) {
  if (payload.size() > constants::kFrameMaxSize) {
    return {Errc::frame_too_large, std::to_string(payload.size()) + " bytes"};
  }
  Bytes out;
  out.reserve(header_.size() + constants::kFrameLengthSize + payload.size());
  if (!header_sent_) {
    out.insert(out.end(), header_.begin(), header_.end());
    header_sent_ = true;
  }
  append_frame(out, payload);
  return out;
}

}  // namespace wa::socket

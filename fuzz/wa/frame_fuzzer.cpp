// libFuzzer target: the frame reader on arbitrary bytes split at input-chosen points.
#include <cstddef>
#include <cstdint>

#include "wa/socket/frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: chunk size for feeding; second: a small frame bound to exercise the limit.
  const std::size_t chunk = 1 + data[0];
  wa::socket::FrameReader reader(data[1] < 128 ? 0xFFFFFF : data[1]);
  std::size_t total = 0;
  for (std::size_t off = 2; off < size; off += chunk) {
    const std::size_t n = std::min(chunk, size - off);
    if (!reader.feed(std::span(data + off, n))) return 0;
    while (auto f = reader.next()) total += f->size();
  }
  (void)reader.finish();
  if (total > size) __builtin_trap();  // frames can never hold more than was fed
  return 0;
}

// libFuzzer target: picture headers, thumbnails and PDF page counts (wa/media/inspect.hpp) of
// attachment bytes handed to the library to send. Decoding is capped at a small pixel count so
// that a header announcing a huge picture is refused instead of allocated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "wa/media/inspect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  const auto info = wa::media::image_info(in);
  auto thumb = wa::media::jpeg_thumbnail(in, 32, 1'000'000);
  // A thumbnail is a JPEG whose header we read back.
  if (thumb && !wa::media::image_info(*thumb)) std::abort();
  if (thumb && !info) std::abort();
  (void)wa::media::pdf_page_count(in);
  return 0;
}

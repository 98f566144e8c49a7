#pragma once
// What the library can tell about an attachment before sending it: picture dimensions
// from the JPEG / PNG / WebP headers, a small JPEG thumbnail of a JPEG or PNG picture
// (libjpeg-turbo and libpng), a blank JPEG thumbnail (for videos: the library has no frame
// grabber), and the page count of a PDF. Pure functions over bytes; untrusted input yields nullopt
// / an Error, never a crash. Thread-safe.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "wa/error.hpp"

namespace wa::media {

enum class ImageFormat { jpeg, png, webp };

struct ImageInfo {
  ImageFormat format = ImageFormat::jpeg;
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

/// Format and dimensions from the header (JPEG: the first SOFn segment; PNG: IHDR; WebP: VP8,
/// VP8L or VP8X). nullopt for anything else or a truncated header.
std::optional<ImageInfo> image_info(std::span<const std::uint8_t> bytes);

/// A JPEG thumbnail of a JPEG or PNG picture whose longer side is at most `max_side` pixels
/// (aspect kept), quality 60: what WhatsApp shows until the picture is downloaded. Errors:
/// media_invalid (not a JPEG or PNG, undecodable, or beyond `max_pixels` decoded pixels).
Result<std::vector<std::uint8_t>> jpeg_thumbnail(std::span<const std::uint8_t> picture,
                                                 unsigned max_side = 72,
                                                 std::uint64_t max_pixels = 40'000'000);

/// A uniformly grey JPEG of width × height (each clamped to [1, 512]): the video thumbnail when no
/// frame can be taken (see docs/wa-library.md, Media).
std::vector<std::uint8_t> blank_jpeg(unsigned width, unsigned height);

/// The number of pages of a PDF (count of `/Type /Page` objects), or nullopt when the bytes are
/// not a PDF or no page object is found (e.g. compressed object streams).
std::optional<std::uint32_t> pdf_page_count(std::span<const std::uint8_t> bytes);

}  // namespace wa::media

#include "wa/media/inspect.hpp"

// clang-format off
#include <cstdio>   // jpeglib.h needs FILE and size_t first
#include <csetjmp>
#include <jpeglib.h>
#include <png.h>
// clang-format on

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string_view>

namespace wa::media {

namespace {

std::uint32_t be16(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0] << 8 | p[1]);
}
std::uint32_t be32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
std::uint32_t le16(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0] | p[1] << 8);
}
std::uint32_t le24(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0] | p[1] << 8 | p[2] << 16);
}

bool starts_with(std::span<const std::uint8_t> b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() &&
         std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::optional<ImageInfo> jpeg_info(std::span<const std::uint8_t> b) {
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return std::nullopt;
    const std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    const auto len = be16(&b[i + 2]);
    if (len < 2) return std::nullopt;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
      if (i + 9 > b.size()) return std::nullopt;
      ImageInfo info{ImageFormat::jpeg, be16(&b[i + 7]), be16(&b[i + 5])};
      if (!info.width || !info.height) return std::nullopt;
      return info;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // end / scan before any SOF
    i += 2 + len;
  }
  return std::nullopt;
}

// --- libjpeg with errors as a longjmp back to the caller (its default handler exits) -----------
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};
extern "C" void jpeg_error_exit(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}
extern "C" void jpeg_silent(j_common_ptr, int) {}

// Decodes into RGB (scaled down by libjpeg by up to 8 on the way). No C++ objects with destructors
// live in this frame across the setjmp.
bool decode_jpeg(std::span<const std::uint8_t> in, unsigned want, std::uint64_t max_pixels,
                 std::vector<std::uint8_t>* rgb, unsigned* w, unsigned* h) {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_silent;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, in.data(), static_cast<unsigned long>(in.size()));
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK ||
      static_cast<std::uint64_t>(cinfo.image_width) * cinfo.image_height > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = JCS_RGB;
  unsigned denom = 1;
  while (denom < 8 && std::max(cinfo.image_width, cinfo.image_height) / (denom * 2) >= want)
    denom *= 2;
  cinfo.scale_num = 1;
  cinfo.scale_denom = denom;
  jpeg_start_decompress(&cinfo);
  *w = cinfo.output_width;
  *h = cinfo.output_height;
  rgb->resize(static_cast<std::size_t>(*w) * *h * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = rgb->data() + static_cast<std::size_t>(cinfo.output_scanline) * *w * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

bool encode_jpeg(const std::uint8_t* rgb, unsigned w, unsigned h, int quality,
                 std::vector<std::uint8_t>* out) {
  jpeg_compress_struct cinfo{};
  JpegError err{};
  unsigned char* mem = nullptr;
  unsigned long size = 0;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_error_exit;
  err.mgr.emit_message = jpeg_silent;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&cinfo);
    std::free(mem);
    return false;
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &mem, &size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row =
        const_cast<std::uint8_t*>(rgb) + static_cast<std::size_t>(cinfo.next_scanline) * w * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  out->assign(mem, mem + size);
  jpeg_destroy_compress(&cinfo);
  std::free(mem);
  return true;
}

bool decode_png(std::span<const std::uint8_t> in, std::uint64_t max_pixels,
                std::vector<std::uint8_t>* rgb, unsigned* w, unsigned* h) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, in.data(), in.size())) return false;
  if (static_cast<std::uint64_t>(image.width) * image.height > max_pixels) {
    png_image_free(&image);
    return false;
  }
  image.format = PNG_FORMAT_RGB;  // alpha composited onto the background below
  *w = image.width;
  *h = image.height;
  rgb->resize(PNG_IMAGE_SIZE(image));
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&image, &white, rgb->data(), 0, nullptr)) {
    png_image_free(&image);
    return false;
  }
  return true;
}

// Box-filter downscale of RGB to fit max_side (never upscales).
std::vector<std::uint8_t> shrink(const std::vector<std::uint8_t>& rgb, unsigned w, unsigned h,
                                 unsigned max_side, unsigned* ow, unsigned* oh) {
  const double scale = std::min(1.0, static_cast<double>(max_side) / std::max(w, h));
  *ow = std::max(1u, static_cast<unsigned>(std::lround(w * scale)));
  *oh = std::max(1u, static_cast<unsigned>(std::lround(h * scale)));
  std::vector<std::uint8_t> out(static_cast<std::size_t>(*ow) * *oh * 3);
  for (unsigned y = 0; y < *oh; ++y) {
    const unsigned y0 = y * h / *oh, y1 = std::max(y0 + 1, (y + 1) * h / *oh);
    for (unsigned x = 0; x < *ow; ++x) {
      const unsigned x0 = x * w / *ow, x1 = std::max(x0 + 1, (x + 1) * w / *ow);
      unsigned long sum[3] = {0, 0, 0};
      for (unsigned yy = y0; yy < y1; ++yy)
        for (unsigned xx = x0; xx < x1; ++xx)
          for (int c = 0; c < 3; ++c)
            sum[c] += rgb[(static_cast<std::size_t>(yy) * w + xx) * 3 + c];
      const unsigned long n = static_cast<unsigned long>(y1 - y0) * (x1 - x0);
      for (int c = 0; c < 3; ++c)
        out[(static_cast<std::size_t>(y) * *ow + x) * 3 + c] =
            static_cast<std::uint8_t>(sum[c] / n);
    }
  }
  return out;
}

}  // namespace

std::optional<ImageInfo> image_info(std::span<const std::uint8_t> b) {
  if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return jpeg_info(b);
  if (starts_with(b, "\x89PNG\r\n\x1a\n") && starts_with(b, "IHDR", 12) && b.size() >= 24) {
    ImageInfo info{ImageFormat::png, be32(&b[16]), be32(&b[20])};
    if (!info.width || !info.height) return std::nullopt;
    return info;
  }
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8) && b.size() >= 30) {
    ImageInfo info{ImageFormat::webp, 0, 0};
    if (starts_with(b, "VP8X", 12)) {
      info.width = le24(&b[24]) + 1;
      info.height = le24(&b[27]) + 1;
    } else if (starts_with(b, "VP8L", 12) && b[20] == 0x2f) {
      const std::uint32_t bits = le16(&b[21]) | static_cast<std::uint32_t>(b[23]) << 16 |
                                 static_cast<std::uint32_t>(b[24]) << 24;
      info.width = (bits & 0x3fff) + 1;
      info.height = ((bits >> 14) & 0x3fff) + 1;
    } else if (starts_with(b, "VP8 ", 12) && b[23] == 0x9d && b[24] == 0x01 && b[25] == 0x2a) {
      info.width = le16(&b[26]) & 0x3fff;
      info.height = le16(&b[28]) & 0x3fff;
    } else {
      return std::nullopt;
    }
    if (!info.width || !info.height) return std::nullopt;
    return info;
  }
  return std::nullopt;
}

Result<std::vector<std::uint8_t>> jpeg_thumbnail(std::span<const std::uint8_t> picture,
                                                 unsigned max_side, std::uint64_t max_pixels) {
  const auto info = image_info(picture);
  if (!info || info->format == ImageFormat::webp)
    return Error{Errc::media_invalid, "thumbnails are made of JPEG and PNG pictures only"};
  if (static_cast<std::uint64_t>(info->width) * info->height > max_pixels)
    return Error{Errc::media_invalid, "picture too large to decode for a thumbnail"};
  std::vector<std::uint8_t> rgb;
  unsigned w = 0, h = 0;
  const bool ok = info->format == ImageFormat::jpeg
                      ? decode_jpeg(picture, std::max(1u, max_side), max_pixels, &rgb, &w, &h)
                      : decode_png(picture, max_pixels, &rgb, &w, &h);
  if (!ok || !w || !h) return Error{Errc::media_invalid, "undecodable picture"};
  unsigned tw = 0, th = 0;
  const auto small = shrink(rgb, w, h, std::max(1u, max_side), &tw, &th);
  std::vector<std::uint8_t> out;
  if (!encode_jpeg(small.data(), tw, th, 60, &out))
    return Error{Errc::media_invalid, "JPEG encoding failed"};
  return out;
}

std::vector<std::uint8_t> blank_jpeg(unsigned width, unsigned height) {
  width = std::clamp(width, 1u, 512u);
  height = std::clamp(height, 1u, 512u);
  const std::vector<std::uint8_t> grey(static_cast<std::size_t>(width) * height * 3, 0x80);
  std::vector<std::uint8_t> out;
  encode_jpeg(grey.data(), width, height, 60, &out);
  return out;
}

std::optional<std::uint32_t> pdf_page_count(std::span<const std::uint8_t> b) {
  if (!starts_with(b, "%PDF-")) return std::nullopt;
  const std::string_view s(reinterpret_cast<const char*>(b.data()), b.size());
  std::uint32_t pages = 0;
  for (std::size_t at = s.find("/Type"); at != std::string_view::npos;
       at = s.find("/Type", at + 5)) {
    std::size_t i = at + 5;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\r' || s[i] == '\n' || s[i] == '\t')) ++i;
    if (s.compare(i, 5, "/Page") != 0) continue;
    const std::size_t after = i + 5;
    // "/Pages" is the page tree, not a page.
    if (after < s.size() &&
        ((s[after] >= 'a' && s[after] <= 'z') || (s[after] >= 'A' && s[after] <= 'Z')))
      continue;
    ++pages;
  }
  if (!pages) return std::nullopt;
  return pages;
}

}  // namespace wa::media

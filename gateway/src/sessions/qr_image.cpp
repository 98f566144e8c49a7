#include "sessions/qr_image.hpp"

#include <png.h>
#include <qrencode.h>

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "auth/crypto.hpp"

namespace gw::sessions {

namespace {

struct QrFree {
  void operator()(QRcode* q) const noexcept { QRcode_free(q); }
};

// libpng reports errors by longjmp to the setjmp in write_png(); returning from here would make it
// print to stderr first.
[[noreturn]] void png_error_fn(png_structp png, png_const_charp /*message*/) {
  png_longjmp(png, 1);
}
void png_warning_fn(png_structp /*png*/, png_const_charp /*message*/) {}

struct Sink {
  std::string* out;
  bool failed;
};

void png_write_fn(png_structp png, png_bytep data, png_size_t size) {
  auto* sink = static_cast<Sink*>(png_get_io_ptr(png));
  try {
    sink->out->append(reinterpret_cast<const char*>(data), size);
  } catch (...) {
    sink->failed = true;
  }
  // Outside the catch block: png_error longjmps, which must not skip a handler's cleanup.
  if (sink->failed) png_error(png, "out of memory");
}

void png_flush_fn(png_structp /*png*/) {}

// Writes a square 1-bit image whose row y is rows[y / scale]. Holds nothing with a destructor:
// libpng errors longjmp back into this frame.
bool write_png(png_structp png, png_infop info, png_uint_32 side, int scale,
               const std::vector<std::vector<png_byte>>* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_IHDR(png, info, side, side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < side; ++y) {
    png_write_row(png, (*rows)[y / static_cast<png_uint_32>(scale)].data());
  }
  png_write_end(png, info);
  return true;
}

}  // namespace

std::string qr_png_data_url(std::string_view text) {
  if (text.empty()) throw std::runtime_error("QR code: empty text");
  if (text.find('\0') != std::string_view::npos) throw std::runtime_error("QR code: NUL in text");
  const std::string c_text(text);
  // Mixed modes (hint 8-bit, case-sensitive): runs of digits or upper-case letters take fewer
  // bits, so the code gets a smaller version and larger modules.
  errno = 0;
  std::unique_ptr<QRcode, QrFree> qr(
      QRcode_encodeString(c_text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1));
  if (!qr) {
    if (errno == ERANGE) throw std::runtime_error("QR code: text too long for a QR code");
    throw std::runtime_error("QR code: encoding failed");
  }

  const int modules = qr->width + 2 * kQrQuietZoneModules;
  const auto side = static_cast<png_uint_32>(modules * kQrModulePixels);
  const std::size_t row_bytes = (side + 7) / 8;
  // One packed row per module row (1 bit per pixel, MSB first, 1 = white), repeated
  // kQrModulePixels times when written.
  std::vector<std::vector<png_byte>> rows(static_cast<std::size_t>(modules),
                                          std::vector<png_byte>(row_bytes, 0xFF));
  for (int my = 0; my < qr->width; ++my) {
    auto& row = rows[static_cast<std::size_t>(my) + static_cast<std::size_t>(kQrQuietZoneModules)];
    for (int mx = 0; mx < qr->width; ++mx) {
      if ((qr->data[my * qr->width + mx] & 1) == 0) continue;  // bit 0: dark module
      const int x0 = (mx + kQrQuietZoneModules) * kQrModulePixels;
      for (int x = x0; x < x0 + kQrModulePixels; ++x) {
        row[static_cast<std::size_t>(x / 8)] &= static_cast<png_byte>(~(0x80U >> (x % 8)));
      }
    }
  }

  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, png_error_fn, png_warning_fn);
  if (png == nullptr) throw std::bad_alloc();
  png_infop info = png_create_info_struct(png);
  struct PngFree {
    png_structp& png;
    png_infop& info;
    ~PngFree() { png_destroy_write_struct(&png, &info); }
  } png_free_guard{png, info};
  if (info == nullptr) throw std::bad_alloc();

  std::string png_bytes;
  Sink sink{&png_bytes, false};
  png_set_write_fn(png, &sink, png_write_fn, png_flush_fn);
  if (!write_png(png, info, side, kQrModulePixels, &rows)) {
    if (sink.failed) throw std::bad_alloc();
    throw std::runtime_error("QR code: PNG encoding failed");
  }
  return "data:image/png;base64," + auth::base64_encode(png_bytes);
}

}  // namespace gw::sessions

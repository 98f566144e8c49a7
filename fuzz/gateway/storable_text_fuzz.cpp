// Fuzzes the text sanitizer applied to what WhatsApp senders write (message text, push names,
// quoted text) before it is stored and forwarded. Invariants: the output is valid UTF-8 without
// NUL (checked by an independent decoder below); valid NUL-free input comes back unchanged;
// sanitizing twice changes nothing; the output is at most three times the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/strings.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Decodes code point by code point; false on any invalid form, surrogate, value above U+10FFFF
// or NUL.
bool valid_utf8_without_nul(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = 0;
    std::size_t n = 0;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto out = gw::util::to_storable_text(in);
  check(valid_utf8_without_nul(out));
  if (valid_utf8_without_nul(in)) check(out == in);
  check(gw::util::to_storable_text(out) == out);
  check(out.size() <= 3 * size);
  return 0;
}

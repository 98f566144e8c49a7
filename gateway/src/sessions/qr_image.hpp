#pragma once
// The QR code of a pairing string as a PNG data URL, for the API's qr_code field and the
// qr_update event (qr_code is the PNG, qr_text the raw string).
//
// Thread safety: stateless; safe from any thread (libqrencode is built thread-safe on Debian).
#include <string>
#include <string_view>

namespace gw::sessions {

/// Pixels per QR module: large enough for a phone camera at arm's length or zbarimg.
inline constexpr int kQrModulePixels = 6;
/// Light modules around the code, as ISO/IEC 18004 requires for readers to find it.
inline constexpr int kQrQuietZoneModules = 4;

/// "data:image/png;base64,..." of `text` as a QR code: error correction level M, the smallest
/// version that fits, a 4-module quiet zone, 1-bit grayscale. About 1-2 KB for a WhatsApp
/// pairing string. Throws std::runtime_error when the text is empty, holds a NUL byte, is too
/// long for a QR code (about 2300 bytes at level M), or encoding fails.
std::string qr_png_data_url(std::string_view text);

}  // namespace gw::sessions

#pragma once
// Named protocol constants of WhatsApp Web multi-device, in one place (docs/PROTOCOL.md §1-§3).
// Following a protocol change should be a one-line diff here plus a test.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wa::constants {

// --- WebSocket (§1.1) -------------------------------------------------------------------------
inline constexpr std::string_view kDefaultUrl = "wss://web.whatsapp.com/ws/chat";
inline constexpr std::string_view kOrigin = "https://web.whatsapp.com";

// --- Framing (§1.2) ---------------------------------------------------------------------------
inline constexpr std::uint8_t kMagicValue = 6;   ///< protocol value in the header
inline constexpr std::uint8_t kDictVersion = 3;  ///< binary dictionary version in the header
/// Sent once per connection by the client before its first frame; also the Noise prologue.
inline constexpr std::array<std::uint8_t, 4> kConnHeader = {'W', 'A', kMagicValue, kDictVersion};
inline constexpr std::size_t kFrameLengthSize = 3;
inline constexpr std::size_t kFrameMaxSize = (std::size_t{1} << 24) - 1;

// --- Noise (§1.3) -----------------------------------------------------------------------------
/// 32 bytes with the NUL padding: used as the initial h and ck without hashing.
inline constexpr std::string_view kNoiseName{"Noise_XX_25519_AESGCM_SHA256\0\0\0\0", 32};

// --- Certificates (§1.4) ----------------------------------------------------------------------
/// WhatsApp's production root (Curve25519 public key) of the Noise certificate chain.
inline constexpr std::array<std::uint8_t, 32> kCertRootKey = {
    0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64, 0x37,
    0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8, 0xee, 0x6b};
inline constexpr std::uint32_t kCertRootIssuerSerial = 0;

// --- ClientPayload (§2.3) --------------------------------------------------------------------
/// WhatsApp Web version announced in the ClientPayload; outdated ones get <failure reason="405"/>.
inline constexpr std::array<std::uint32_t, 3> kWaVersion = {2, 3000, 1045649367};

// --- Transport plaintext (§1.5) ---------------------------------------------------------------
inline constexpr std::uint8_t kFlagCompressed = 0x02;  ///< rest of the payload is a zlib stream

// --- Binary XML tags (§3) ---------------------------------------------------------------------
namespace tag {
inline constexpr std::uint8_t kListEmpty = 0;
inline constexpr std::uint8_t kDictionary0 = 236;  ///< ..239: double-byte token dictionaries
inline constexpr std::uint8_t kDictionary3 = 239;
inline constexpr std::uint8_t kInteropJid = 245;
inline constexpr std::uint8_t kFbJid = 246;
inline constexpr std::uint8_t kAdJid = 247;
inline constexpr std::uint8_t kList8 = 248;
inline constexpr std::uint8_t kList16 = 249;
inline constexpr std::uint8_t kJidPair = 250;
inline constexpr std::uint8_t kHex8 = 251;
inline constexpr std::uint8_t kBinary8 = 252;
inline constexpr std::uint8_t kBinary20 = 253;
inline constexpr std::uint8_t kBinary32 = 254;
inline constexpr std::uint8_t kNibble8 = 255;
}  // namespace tag
inline constexpr std::size_t kPackedMax = 127;  ///< longest string packed as NIBBLE_8 / HEX_8

// --- JID servers (§3.3, §4) -------------------------------------------------------------------
namespace server {
inline constexpr std::string_view kUser = "s.whatsapp.net";
inline constexpr std::string_view kLegacyUser = "c.us";
inline constexpr std::string_view kGroup = "g.us";
inline constexpr std::string_view kBroadcast = "broadcast";
inline constexpr std::string_view kLid = "lid";
inline constexpr std::string_view kHosted = "hosted";
inline constexpr std::string_view kHostedLid = "hosted.lid";
inline constexpr std::string_view kNewsletter = "newsletter";
inline constexpr std::string_view kMessenger = "msgr";
inline constexpr std::string_view kInterop = "interop";
inline constexpr std::string_view kBot = "bot";
}  // namespace server
/// AD_JID domain bytes.
namespace domain {
inline constexpr std::uint8_t kWhatsApp = 0;
inline constexpr std::uint8_t kLid = 1;
inline constexpr std::uint8_t kHosted = 128;
inline constexpr std::uint8_t kHostedLid = 129;
}  // namespace domain

// --- media (docs/PROTOCOL.md §8) ----------------------------------------------------------------
/// HKDF info strings of the media keys (§8.3); stickers use the image string.
inline constexpr std::string_view kMediaInfoImage = "WhatsApp Image Keys";
inline constexpr std::string_view kMediaInfoVideo = "WhatsApp Video Keys";
inline constexpr std::string_view kMediaInfoAudio = "WhatsApp Audio Keys";
inline constexpr std::string_view kMediaInfoDocument = "WhatsApp Document Keys";
inline constexpr std::string_view kMediaInfoHistory = "WhatsApp History Keys";
inline constexpr std::string_view kMediaInfoAppState = "WhatsApp App State Keys";
inline constexpr std::string_view kMediaInfoLinkThumbnail = "WhatsApp Link Thumbnail Keys";

}  // namespace wa::constants

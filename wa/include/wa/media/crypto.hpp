#pragma once
// Media encryption of WhatsApp attachments (docs/PROTOCOL.md §8.2, §8.3): a random 32-byte media
// key expanded by HKDF-SHA256 (empty salt, an info string per media type) to 112 bytes — IV,
// cipher key, MAC key, ref key —, AES-256-CBC with PKCS#7 padding, and a 10-byte truncated
// HMAC-SHA256 over IV‖ciphertext appended to the ciphertext. The uploaded blob is
// ciphertext‖mac; `fileEncSha256` is SHA-256(blob), `fileSha256` SHA-256(plaintext).
//
// Pure functions over bytes: no socket, no store. Thread-safe (no shared state).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "wa/crypto/primitives.hpp"
#include "wa/error.hpp"
#include "wa/message/content.hpp"

namespace wa::media {

/// The kinds of media the library encrypts, each with its HKDF info string and upload path.
enum class MediaType {
  image,
  video,
  audio,
  document,
  sticker,         ///< keys of an image, uploaded under /mms/image
  history,         ///< history-sync blobs (md-msg-hist)
  app_state,       ///< app-state sync blobs (md-app-state)
  link_thumbnail,  ///< link-preview thumbnails (thumbnail-link)
};

/// "image", "video", … "link_thumbnail": a stable name (the wa-tool flag values).
std::string_view to_string(MediaType t) noexcept;
/// The inverse of to_string; nullopt for unknown names.
std::optional<MediaType> media_type_from_string(std::string_view name) noexcept;
/// The HKDF info string (§8.3), e.g. "WhatsApp Image Keys" (stickers use the image keys).
std::string_view hkdf_info(MediaType t) noexcept;
/// The mms type of the upload path /mms/<type>/ (§8.4): "image" (also for stickers), "video",
/// "audio", "document", "md-msg-hist", "md-app-state", "thumbnail-link".
std::string_view mms_type(MediaType t) noexcept;
/// The media type of a message content type: image, video, audio, document, sticker; nullopt for
/// content that has no attachment (text, location, contact, …).
std::optional<MediaType> media_type_of(message::ContentType t) noexcept;

inline constexpr std::size_t kMediaKeySize = 32;
inline constexpr std::size_t kMacSize = 10;  ///< truncated HMAC-SHA256 at the end of the blob

/// The 112 bytes expanded from a media key (§8.2).
struct MediaKeys {
  std::array<std::uint8_t, 16> iv{};
  crypto::Key32 cipher_key{};
  crypto::Key32 mac_key{};
  crypto::Key32 ref_key{};
};

/// HKDF-SHA256(media_key, salt = empty, info = hkdf_info(type), 112 bytes) split into the keys.
/// Errors: media_invalid when the media key is not 32 bytes.
Result<MediaKeys> derive_keys(std::span<const std::uint8_t> media_key, MediaType type);

/// An encrypted attachment, ready for upload.
struct Encrypted {
  std::vector<std::uint8_t> blob;       ///< AES-256-CBC(plaintext) ‖ 10-byte MAC
  std::vector<std::uint8_t> media_key;  ///< 32 bytes
  crypto::Digest32 file_sha256{};       ///< SHA-256(plaintext)
  crypto::Digest32 file_enc_sha256{};   ///< SHA-256(blob)
  std::uint64_t file_length = 0;        ///< plaintext length
};

/// Encrypts with a fresh random media key.
Result<Encrypted> encrypt(std::span<const std::uint8_t> plaintext, MediaType type);
/// Encrypts with the given media key (deterministic; for tests and re-encryption).
/// Errors: media_invalid (key size).
Result<Encrypted> encrypt_with_key(std::span<const std::uint8_t> plaintext,
                                   std::span<const std::uint8_t> media_key, MediaType type);

/// Verifies and decrypts a downloaded blob, in this order: SHA-256(blob) equals
/// `file_enc_sha256` (media_hash_mismatch), the MAC (media_mac_mismatch), AES-CBC and its padding
/// (media_invalid), SHA-256(plaintext) equals `file_sha256` (media_hash_mismatch). An empty
/// expected hash is not checked (some senders omit it); one of another size is media_invalid.
/// Nothing is returned unless every check passed.
Result<std::vector<std::uint8_t>> decrypt(std::span<const std::uint8_t> blob,
                                          std::span<const std::uint8_t> media_key, MediaType type,
                                          std::span<const std::uint8_t> file_enc_sha256,
                                          std::span<const std::uint8_t> file_sha256);

}  // namespace wa::media

#pragma once
// What Client::send_message sends (docs/PROTOCOL.md §7, §8.4): one content type
// per struct, closed in the OutgoingMessage variant. Plain value types.
//
// Media content carries either the raw bytes (the client encrypts and uploads them, reads the
// picture's dimensions and makes the JPEG thumbnail when none is given) or a descriptor of an
// upload made before (Client::upload_media; then nothing is read from bytes unless they are given
// too). Fields left 0 / empty are filled where the library can (see each struct) or omitted.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "wa/media/transfer.hpp"

namespace wa::client {

/// The bytes to upload, or an upload already done (which then wins).
struct MediaInput {
  std::vector<std::uint8_t> bytes;
  std::optional<media::UploadedMedia> uploaded;
};

namespace out {

/// Plain text (`conversation`, or `extendedTextMessage` with quote / mentions).
struct Text {
  std::string text;
};
/// A picture. width/height: read from the JPEG/PNG/WebP header of `media.bytes` when 0.
/// jpeg_thumbnail: made from a JPEG or PNG when empty (72 px on the longer side).
struct Image {
  MediaInput media;
  std::string mimetype = "image/jpeg";
  std::string caption;
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> jpeg_thumbnail;
};
/// A video (gif_playback: shown as a looping GIF). jpeg_thumbnail: a small blank JPEG when empty
/// (the library has no frame grabber). width/height/seconds: as given (0 = omitted).
struct Video {
  MediaInput media;
  std::string mimetype = "video/mp4";
  std::string caption;
  std::uint32_t seconds = 0;
  bool gif_playback = false;
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint8_t> jpeg_thumbnail;
};
/// Audio; ptt = a voice note (WhatsApp expects Opus in Ogg for those). waveform: up to 64 samples
/// 0-100 as given (empty = omitted).
struct Audio {
  MediaInput media;
  std::string mimetype = "audio/ogg; codecs=opus";
  std::uint32_t seconds = 0;
  bool ptt = false;
  std::vector<std::uint8_t> waveform;
};
/// A file. page_count: counted for PDFs when 0 (media::pdf_page_count); title defaults to the
/// file name.
struct Document {
  MediaInput media;
  std::string mimetype = "application/octet-stream";
  std::string file_name;
  std::string caption;
  std::uint32_t page_count = 0;
  std::vector<std::uint8_t> jpeg_thumbnail;
};
/// A sticker (WebP). width/height: read from the WebP header when 0.
struct Sticker {
  MediaInput media;
  std::string mimetype = "image/webp";
  std::uint32_t width = 0, height = 0;
  bool animated = false;
};
/// A pinned location.
struct Location {
  double latitude = 0;
  double longitude = 0;
  std::string name;
  std::string address;
};
/// A contact card: the name shown and the vCard (BEGIN:VCARD … END:VCARD).
struct Contact {
  std::string display_name;
  std::string vcard;
};

}  // namespace out

using OutgoingMessage = std::variant<out::Text, out::Image, out::Video, out::Audio, out::Document,
                                     out::Sticker, out::Location, out::Contact>;

/// The media input of a message, or nullptr for text, location and contact.
const MediaInput* media_input(const OutgoingMessage& m) noexcept;
MediaInput* media_input(OutgoingMessage& m) noexcept;
/// The attachment type of a message (its keys and upload path), nullopt without attachment.
std::optional<media::MediaType> media_type(const OutgoingMessage& m) noexcept;
/// The content type, as MessageReceived would report it.
message::ContentType content_type(const OutgoingMessage& m) noexcept;
/// Fills what the bytes tell and the caller left empty (send_message calls it): an image's
/// dimensions (JPEG/PNG/WebP header) and JPEG thumbnail (of a JPEG or PNG; a PNG's transparency
/// on white); a sticker's dimensions; a video's thumbnail (a blank grey JPEG fitted to the given
/// dimensions, else 72×72: no frame grabber); a PDF document's page count. Undecodable bytes
/// leave the fields empty.
void complete_media_fields(OutgoingMessage& m);

}  // namespace wa::client

#pragma once
// What a decrypted WhatsApp message says, normalized (docs/PROTOCOL.md §6.2–§6.5): containers
// unwrapped (ephemeral, view-once, document-with-caption, edited; device-sent reported apart),
// one content type, the text or caption, mentions exactly as received, the quoted message and a
// media descriptor for a later download. Pure functions over bytes; no socket, no store.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/error.hpp"

namespace wa::message {

enum class ContentType {
  text,
  image,
  document,
  audio,
  video,
  sticker,
  location,
  contact,
  reaction,
  poll,
  protocol,  // protocol/system messages (revoke, history sync, key shares…): never user content
  none,      // nothing but a sender-key distribution or context info
  unknown,   // a content field this library does not model
};
std::string_view to_string(ContentType t) noexcept;

/// Where to fetch and how to decrypt an attachment (§8).
struct MediaDescriptor {
  std::string url;
  std::string direct_path;
  std::vector<std::uint8_t> media_key;
  std::vector<std::uint8_t> file_sha256;
  std::vector<std::uint8_t> file_enc_sha256;
  std::string mimetype;
  std::uint64_t file_length = 0;
  std::string file_name;  // documents
};

struct QuotedMessage {
  std::string id;           // ContextInfo.stanzaId
  std::string participant;  // the quoted message's sender, as received
  ContentType type = ContentType::unknown;
  std::string text;
};

/// A sender-key distribution carried inside a message (processed before any skmsg).
struct SenderKeyDistribution {
  std::string group_id;
  std::vector<std::uint8_t> payload;
};

struct Content {
  ContentType type = ContentType::none;
  std::string text;  // conversation, extended text, caption, reaction emoji, poll name, …
  std::vector<std::string> mentioned_jids;  // ContextInfo.mentionedJid, exactly as received
  std::optional<QuotedMessage> quoted;
  std::optional<MediaDescriptor> media;
  std::optional<SenderKeyDistribution> sender_key_distribution;
  /// Set when this came from one of our own devices: the chat it was sent to.
  std::optional<std::string> device_sent_destination;
  bool edited = false;
  bool view_once = false;
};

/// Parses a decrypted, unpadded `Message` protobuf. Errors: proto_invalid; containers nested
/// deeper than a small bound are refused as proto_invalid too.
Result<Content> parse_content(std::span<const std::uint8_t> message_bytes);

/// True when any mentioned JID's user part (device and agent ignored) equals our own phone-number
/// user or our own LID user (docs/PROTOCOL.md §6.5). Empty own users never match.
bool mentions(const std::vector<std::string>& mentioned_jids, std::string_view own_pn_user,
              std::string_view own_lid_user);

/// The user part of a JID string: "123:4@s.whatsapp.net" -> "123", "55_1:2@lid" -> "55".
std::string_view jid_user(std::string_view jid) noexcept;

}  // namespace wa::message

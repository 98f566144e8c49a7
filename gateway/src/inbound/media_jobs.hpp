#pragma once
// Incoming media as durable jobs (migration 0012, docs/API.md "Incoming media"). A received
// message with an attachment gets an `incoming_media` row in its own transaction (queue()), so
// the download survives a crash like the message does. The fetcher (inbound/media_fetcher.hpp)
// takes the pending rows of a connected session, downloads and stores the file, and finishes the
// row here (finish_stored / finish_failed): the message log learns the file or the error, and the
// message's webhook, held back until then, becomes due at once.
//
// Thread safety: stateless functions on the caller's connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/connection.hpp"
#include "wa/client/messages.hpp"
#include "wa/media/crypto.hpp"
#include "wa/media/transfer.hpp"

namespace gw::inbound {

/// One download to do.
struct MediaJob {
  int64_t id = 0;
  std::string session_id;
  std::string message_id;
  wa::media::MediaType type = wa::media::MediaType::image;
  wa::message::MediaDescriptor descriptor;
  int attempts = 0;
  int64_t created_ms = 0;
};

/// The descriptor as stored (JSON; binary fields in hex) and back. parse_descriptor returns
/// nullopt for text that is not such a JSON object.
std::string descriptor_json(const wa::message::MediaDescriptor& d);
std::optional<wa::message::MediaDescriptor> parse_descriptor(std::string_view text);

/// Writes the job of a received message when it has an attachment of a downloadable type
/// (image, video, audio, document, sticker); returns whether it did. A message already queued
/// (redelivered) is not queued twice. Throws DbError.
bool queue_media(db::Connection& c, const std::string& session_id,
                 const wa::client::MessageReceived& m, int64_t now_ms);

/// Up to `limit` pending jobs of a session, oldest first. A row whose descriptor cannot be read
/// is failed on the spot. Throws DbError.
std::vector<MediaJob> pending_media(db::Connection& c, const std::string& session_id, int limit);

/// Counts one more attempt of a job. Throws DbError.
void count_media_attempt(db::Connection& c, int64_t job_id);

/// The file is stored as `media_id`: the job, the message log and the held-back webhook say so.
/// Throws DbError.
void finish_stored(db::Connection& c, const MediaJob& job, const std::string& media_id,
                   int64_t now_ms);
/// The download failed for good (`error`: "media_hash_mismatch: …", …). Throws DbError.
void finish_failed(db::Connection& c, const MediaJob& job, const std::string& error,
                   int64_t now_ms);

/// What the phone needs to find the message when asked to upload its file again (the chat and,
/// in a group, the sender, from the message log); nullopt when the log has no such message.
/// Throws DbError.
std::optional<wa::media::RetryTarget> retry_target(db::Connection& c, const MediaJob& job);
/// Stores the job's descriptor as it is now (after the phone uploaded the file again, its new
/// direct path), so that a restart downloads from there. Throws DbError.
void save_descriptor(db::Connection& c, const MediaJob& job);

/// What a webhook of the message says about its attachment.
struct MediaOutcome {
  std::string state;  // pending | stored | failed
  std::optional<std::string> media_id;
  std::optional<std::string> error;
};
/// The job of a message, or nullopt when it has none. Throws DbError.
std::optional<MediaOutcome> media_outcome(db::Connection& c, const std::string& session_id,
                                          const std::string& message_id);

}  // namespace gw::inbound

#pragma once
// Media retry (docs/PROTOCOL.md §8.6): when the media host no longer has a received file, the
// account's own phone is asked to upload it again. Pure functions: the server-error receipt that
// asks, and the reading of the mediaretry notification that answers. The client sends and waits
// (Client::request_media_reupload).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "wa/binary/node.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/media/transfer.hpp"

namespace wa::media {

/// The phone's answer, decrypted.
struct RetryAnswer {
  enum class Result { general_error = 0, success = 1, not_found = 2, decryption_error = 3 };
  std::string message_id;
  Result result = Result::general_error;
  std::string direct_path;  // on success
};

/// HKDF-SHA256(media key, no salt, "WhatsApp Media Retry Notification", 32).
Result<std::array<std::uint8_t, 32>> retry_key(std::span<const std::uint8_t> media_key);

/// `<receipt id to=<me, no device> type=server-error><encrypt><enc_p/><enc_iv/></encrypt><rmr/>`
/// with `iv` as enc_iv (12 random bytes in production; fixed in tests). Errors: media_invalid for
/// a media key that is not 32 bytes, invalid_argument for an empty message id.
Result<binary::Node> media_retry_receipt(const RetryTarget& target, const Jid& me,
                                         std::span<const std::uint8_t> media_key,
                                         std::span<const std::uint8_t, 12> iv);

/// The message id a `<notification type=mediaretry id=…>` answers, or nullopt.
std::optional<std::string> media_retry_id(const binary::Node& notification);

/// Reads a mediaretry notification with the message's media key. Errors: node_invalid (no id, no
/// encrypt or error child, a malformed payload), media_invalid (bad key size, a payload that does
/// not authenticate or names another message), media_unavailable (an `<error code>` answer or a
/// result other than success; the detail names the result and code).
Result<RetryAnswer> read_media_retry(const binary::Node& notification,
                                     std::span<const std::uint8_t> media_key);

const char* to_string(RetryAnswer::Result r);

}  // namespace wa::media

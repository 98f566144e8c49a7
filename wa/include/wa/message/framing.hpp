#pragma once
// Byte-level helpers around message plaintexts and stanzas (docs/PROTOCOL.md §6.2, §7.1, §7.2):
// the v2 padding, message ids in WhatsApp's format, and the participant hash (phash).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/error.hpp"

namespace wa::message {

/// Appends `n` (1..16) bytes of value `n`.
std::vector<std::uint8_t> pad(std::span<const std::uint8_t> plaintext, std::uint8_t n);
/// Appends 1..15 bytes chosen at random (as whatsmeow does).
std::vector<std::uint8_t> pad_random(std::span<const std::uint8_t> plaintext);
/// Strips the padding: the last byte N (1..size), all N bytes equal to N. Error: invalid_argument.
Result<std::vector<std::uint8_t>> unpad(std::span<const std::uint8_t> padded);
/// unpad() without the copy: the unpadded part of `padded`, which it views.
Result<std::span<const std::uint8_t>> unpadded(std::span<const std::uint8_t> padded);

/// "3EB0" + upper-case hex of the first 9 bytes of SHA-256(8-byte BE unix seconds ‖ own user ‖
/// "@c.us" ‖ 16 random bytes): 22 characters.
std::string message_id(std::int64_t unix_seconds, std::string_view own_user,
                       std::span<const std::uint8_t, 16> random);
/// message_id() with the clock and fresh random bytes.
std::string new_message_id(std::string_view own_user);

/// "2:" + unpadded base64 of the first 6 bytes of SHA-256 over the sorted, concatenated device
/// JID strings (whatsmeow's participant hash).
std::string participant_hash(std::vector<std::string> device_jids);

}  // namespace wa::message

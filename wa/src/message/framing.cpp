#include "wa/message/framing.hpp"

#include <algorithm>
#include <chrono>

#include "wa/crypto/primitives.hpp"

namespace wa::message {

std::vector<std::uint8_t> pad(std::span<const std::uint8_t> plaintext, std::uint8_t n) {
  std::vector<std::uint8_t> out(plaintext.begin(), plaintext.end());
  out.insert(out.end(), n, n);
  return out;
}

std::vector<std::uint8_t> pad_random(std::span<const std::uint8_t> plaintext) {
  std::uint8_t r = 0;
  crypto::random_bytes(std::span<std::uint8_t>(&r, 1));
  return pad(plaintext, static_cast<std::uint8_t>(1 + r % 15));
}

Result<std::span<const std::uint8_t>> unpadded(std::span<const std::uint8_t> padded) {
  if (padded.empty()) return Error{Errc::invalid_argument, "empty plaintext"};
  std::size_t n = padded.back();
  if (n == 0 || n > padded.size()) {
    return Error{Errc::invalid_argument, "padding length " + std::to_string(n) + " invalid"};
  }
  for (std::size_t i = padded.size() - n; i < padded.size(); ++i) {
    if (padded[i] != n) return Error{Errc::invalid_argument, "padding bytes differ"};
  }
  return padded.first(padded.size() - n);
}

Result<std::vector<std::uint8_t>> unpad(std::span<const std::uint8_t> padded) {
  auto body = unpadded(padded);
  if (!body) return std::move(body).error();
  return std::vector<std::uint8_t>(body->begin(), body->end());
}

std::string message_id(std::int64_t unix_seconds, std::string_view own_user,
                       std::span<const std::uint8_t, 16> random) {
  std::array<std::uint8_t, 8> ts{};
  for (int i = 0; i < 8; ++i) {
    ts[static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(static_cast<std::uint64_t>(unix_seconds) >> (56 - 8 * i));
  }
  constexpr std::string_view kSuffix = "@c.us";
  auto as_bytes = [](std::string_view s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  auto digest = crypto::sha256({ts, as_bytes(own_user), as_bytes(kSuffix), random});
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string id = "3EB0";
  for (std::size_t i = 0; i < 9; ++i) {
    id += kHex[digest[i] >> 4];
    id += kHex[digest[i] & 0xf];
  }
  return id;
}

std::string new_message_id(std::string_view own_user) {
  std::array<std::uint8_t, 16> random{};
  crypto::random_bytes(random);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return message_id(now, own_user, random);
}

std::string participant_hash(std::vector<std::string> device_jids) {
  std::sort(device_jids.begin(), device_jids.end());
  std::string joined;
  for (const auto& j : device_jids) joined += j;
  auto digest = crypto::sha256({std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size())});
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "2:";
  // 6 bytes = 48 bits = exactly 8 base64 characters, no padding.
  for (std::size_t i = 0; i < 6; i += 3) {
    std::uint32_t v = (digest[i] << 16) | (digest[i + 1] << 8) | digest[i + 2];
    for (int k = 3; k >= 0; --k) out += kB64[(v >> (6 * k)) & 63];
  }
  return out;
}

}  // namespace wa::message

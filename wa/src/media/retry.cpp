#include "media/retry.hpp"

#include <algorithm>
#include <string_view>

#include "wa/crypto/primitives.hpp"
#include "wa/media/crypto.hpp"
#include "wa/proto/wa.pb.h"

namespace wa::media {

namespace {

using binary::Node;

constexpr std::string_view kRetryInfo = "WhatsApp Media Retry Notification";

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Node rmr_node(const RetryTarget& t) {
  Node rmr{"rmr", {{"jid", t.chat.to_string()}, {"from_me", t.from_me ? "true" : "false"}}, {}};
  if (t.participant) rmr.attrs.emplace_back("participant", t.participant->to_string());
  return rmr;
}

Result<RetryAnswer::Result> result_of(long long code) {
  if (code < 0 || code > 3)
    return Error{Errc::node_invalid, "unknown media retry result " + std::to_string(code)};
  return static_cast<RetryAnswer::Result>(code);
}

}  // namespace

const char* to_string(RetryAnswer::Result r) {
  switch (r) {
    case RetryAnswer::Result::general_error:
      return "general error";
    case RetryAnswer::Result::success:
      return "success";
    case RetryAnswer::Result::not_found:
      return "not found";
    case RetryAnswer::Result::decryption_error:
      return "decryption error";
  }
  return "unknown";
}

Result<std::array<std::uint8_t, 32>> retry_key(std::span<const std::uint8_t> media_key) {
  if (media_key.size() != kMediaKeySize)
    return Error{Errc::media_invalid, "media key of " + std::to_string(media_key.size()) +
                                          " bytes, want " + std::to_string(kMediaKeySize)};
  auto okm = crypto::hkdf_sha256(media_key, {}, bytes_of(kRetryInfo), 32);
  std::array<std::uint8_t, 32> key{};
  std::copy_n(okm.begin(), key.size(), key.begin());
  return key;
}

Result<Node> media_retry_receipt(const RetryTarget& target, const Jid& me,
                                 std::span<const std::uint8_t> media_key,
                                 std::span<const std::uint8_t, 12> iv) {
  if (target.message_id.empty())
    return Error{Errc::invalid_argument, "media retry without a message id"};
  auto key = retry_key(media_key);
  if (!key) return key.error();
  proto::ServerErrorReceipt receipt;
  receipt.set_stanza_id(target.message_id);
  const auto plain = receipt.SerializeAsString();
  auto sealed = crypto::aes_gcm_encrypt(*key, iv, bytes_of(plain), bytes_of(target.message_id));
  if (!sealed) return sealed.error();
  Node encrypt{"encrypt",
               {},
               std::vector<Node>{Node{"enc_p", {}, std::move(*sealed)},
                                 Node{"enc_iv", {}, binary::Bytes(iv.begin(), iv.end())}}};
  return Node{
      "receipt",
      {{"id", target.message_id}, {"to", me.to_non_ad().to_string()}, {"type", "server-error"}},
      std::vector<Node>{std::move(encrypt), rmr_node(target)}};
}

std::optional<std::string> media_retry_id(const Node& n) {
  const auto* type = n.attr("type");
  const auto* id = n.attr("id");
  if (n.tag != "notification" || !type || *type != "mediaretry" || !id || id->empty())
    return std::nullopt;
  return *id;
}

Result<RetryAnswer> read_media_retry(const Node& n, std::span<const std::uint8_t> media_key) {
  auto id = media_retry_id(n);
  if (!id) return Error{Errc::node_invalid, "not a mediaretry notification with an id"};
  RetryAnswer answer;
  answer.message_id = *id;
  if (const auto* err = n.child("error")) {
    const auto* code = err->attr("code");
    long long v = -1;
    if (code) {
      try {
        v = std::stoll(*code);
      } catch (...) {
        v = -1;
      }
    }
    auto r = result_of(v);
    const auto what = r ? std::string(to_string(*r)) : std::string("unknown");
    return Error{Errc::media_reupload_failed,
                 "the phone answered " + what + " (code " + (code ? *code : "?") + ")"};
  }
  const auto* enc = n.child("encrypt");
  const auto* p = enc ? enc->child("enc_p") : nullptr;
  const auto* iv = enc ? enc->child("enc_iv") : nullptr;
  if (!p || !iv) return Error{Errc::node_invalid, "mediaretry without encrypt/enc_p/enc_iv"};
  const auto iv_bytes = bytes_of(iv->content_view());
  if (iv_bytes.size() != crypto::kGcmIvSize)
    return Error{Errc::node_invalid,
                 "mediaretry enc_iv of " + std::to_string(iv_bytes.size()) + " bytes"};
  auto key = retry_key(media_key);
  if (!key) return key.error();
  auto plain = crypto::aes_gcm_decrypt(*key, iv_bytes.first<crypto::kGcmIvSize>(),
                                       bytes_of(p->content_view()), bytes_of(*id));
  if (!plain)
    return Error{Errc::media_invalid, "mediaretry payload does not authenticate with this key"};
  proto::MediaRetryNotification m;
  if (!m.ParseFromArray(plain->data(), static_cast<int>(plain->size())))
    return Error{Errc::node_invalid, "mediaretry payload is not a MediaRetryNotification"};
  if (m.has_stanza_id() && m.stanza_id() != *id)
    return Error{Errc::media_invalid, "mediaretry payload names message " + m.stanza_id()};
  auto r = result_of(m.result());
  if (!r) return r.error();
  answer.result = *r;
  if (*r != RetryAnswer::Result::success)
    return Error{Errc::media_reupload_failed, std::string("the phone answered ") + to_string(*r) +
                                                  " (code " + std::to_string(static_cast<int>(*r)) +
                                                  ")"};
  if (m.direct_path().empty())
    return Error{Errc::node_invalid, "mediaretry success without a direct path"};
  answer.direct_path = m.direct_path();
  return answer;
}

}  // namespace wa::media

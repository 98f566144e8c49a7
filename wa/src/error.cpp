#include "wa/error.hpp"

namespace wa {

const char* errc_name(Errc e) noexcept {
  switch (e) {
#define WA_ERRC_NAME(x) \
  case Errc::x:         \
    return #x;
    WA_ERRC_NAME(ok)
    WA_ERRC_NAME(frame_too_large)
    WA_ERRC_NAME(frame_truncated)
    WA_ERRC_NAME(node_eof)
    WA_ERRC_NAME(node_invalid_tag)
    WA_ERRC_NAME(node_invalid_token)
    WA_ERRC_NAME(node_invalid_packed)
    WA_ERRC_NAME(node_invalid_jid)
    WA_ERRC_NAME(node_invalid)
    WA_ERRC_NAME(node_too_deep)
    WA_ERRC_NAME(node_trailing_bytes)
    WA_ERRC_NAME(node_decompress)
    WA_ERRC_NAME(node_encode)
    WA_ERRC_NAME(attr_missing)
    WA_ERRC_NAME(attr_invalid)
    WA_ERRC_NAME(jid_invalid)
    WA_ERRC_NAME(proto_invalid)
    WA_ERRC_NAME(noise_bad_message)
    WA_ERRC_NAME(noise_decrypt)
    WA_ERRC_NAME(noise_crypto)
    WA_ERRC_NAME(noise_counter_exhausted)
    WA_ERRC_NAME(cert_missing)
    WA_ERRC_NAME(cert_bad_signature_length)
    WA_ERRC_NAME(cert_intermediate_signature)
    WA_ERRC_NAME(cert_intermediate_issuer)
    WA_ERRC_NAME(cert_intermediate_key_length)
    WA_ERRC_NAME(cert_leaf_signature)
    WA_ERRC_NAME(cert_intermediate_expired)
    WA_ERRC_NAME(cert_leaf_expired)
    WA_ERRC_NAME(cert_leaf_issuer)
    WA_ERRC_NAME(cert_leaf_key_mismatch)
    WA_ERRC_NAME(cert_details_invalid)
    WA_ERRC_NAME(transport_connect)
    WA_ERRC_NAME(transport_read)
    WA_ERRC_NAME(transport_write)
    WA_ERRC_NAME(transport_closed)
    WA_ERRC_NAME(invalid_argument)
    WA_ERRC_NAME(client_disconnected)
    WA_ERRC_NAME(iq_timeout)
    WA_ERRC_NAME(iq_error)
    WA_ERRC_NAME(message_rejected)
    WA_ERRC_NAME(message_undeliverable)
    WA_ERRC_NAME(media_invalid)
    WA_ERRC_NAME(media_hash_mismatch)
    WA_ERRC_NAME(media_mac_mismatch)
    WA_ERRC_NAME(media_too_large)
    WA_ERRC_NAME(media_timeout)
    WA_ERRC_NAME(media_http)
    WA_ERRC_NAME(media_unavailable)
    WA_ERRC_NAME(media_reupload_failed)
#undef WA_ERRC_NAME
  }
  return "unknown";
}

namespace {
class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "wa"; }
  std::string message(int ev) const override { return errc_name(static_cast<Errc>(ev)); }
};
}  // namespace

const std::error_category& error_category() noexcept {
  static const Category cat;
  return cat;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

std::string Error::message() const {
  std::string s = errc_name(code);
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  return s;
}

}  // namespace wa

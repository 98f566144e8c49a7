#pragma once
// Typed errors of the WhatsApp protocol library. Untrusted input never throws or crashes: every
// parser returns a wa::Result carrying either the value or an Error (a code plus a short detail).
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "wa/basic_result.hpp"

namespace wa {

/// Every failure the wire layer can report. Grouped by protocol layer.
enum class Errc {
  ok = 0,
  // frames (socket layer)
  frame_too_large = 1,  ///< a frame longer than 2^24-1 bytes was offered or announced
  frame_truncated,      ///< the stream ended inside a frame
  // binary nodes
  node_eof = 20,        ///< read past the end of the node bytes
  node_invalid_tag,     ///< a byte that is not valid in this position
  node_invalid_token,   ///< token index outside the dictionary
  node_invalid_packed,  ///< a nibble/hex digit that has no meaning
  node_invalid_jid,     ///< a JID pair without a server
  node_invalid,         ///< structurally invalid node (empty list, empty tag, ...)
  node_too_deep,        ///< nesting beyond the decoder's limit
  node_trailing_bytes,  ///< bytes left over after the top-level node
  node_decompress,      ///< the zlib stream of a compressed node is corrupt or too large
  node_encode,          ///< a node that cannot be encoded (too long string, empty tag, ...)
  attr_missing,         ///< a required attribute is absent (attribute reader)
  attr_invalid,         ///< an attribute does not parse as the requested type
  // JIDs
  jid_invalid = 40,
  // protobuf
  proto_invalid = 50,  ///< bytes that do not parse as the expected protobuf message
  // noise
  noise_bad_message = 60,   ///< a handshake message misses fields or has wrong sizes
  noise_decrypt,            ///< AES-GCM authentication failed
  noise_crypto,             ///< an OpenSSL primitive failed
  noise_counter_exhausted,  ///< a nonce counter would wrap
  cert_missing,             ///< the certificate chain lacks the leaf or intermediate
  cert_bad_signature_length,
  cert_intermediate_signature,   ///< intermediate not signed by the root key
  cert_intermediate_issuer,      ///< intermediate issuer serial is not the root's (0)
  cert_intermediate_key_length,  ///< intermediate key is not 32 bytes
  cert_leaf_signature,           ///< leaf not signed by the intermediate key
  cert_intermediate_expired,     ///< now outside the intermediate validity window
  cert_leaf_expired,             ///< now outside the leaf validity window
  cert_leaf_issuer,              ///< leaf issuer serial is not the intermediate's serial
  cert_leaf_key_mismatch,        ///< leaf key differs from the server static key
  cert_details_invalid,          ///< signed certificate details do not parse
  // transport
  transport_connect = 90,  ///< TCP/TLS/WebSocket connect failed or timed out
  transport_read,          ///< read failed or timed out
  transport_write,
  transport_closed,  ///< the peer closed the connection
  invalid_argument = 100,
  // client
  client_disconnected = 110,  ///< the connection ended while waiting (every IQ waiter fails)
  iq_timeout,                 ///< no answer to an IQ within its timeout
  iq_error,                   ///< the server answered an IQ with type=error (detail: code text)
  message_rejected,           ///< the server's <ack> refused a sent message (detail: its code)
  message_undeliverable,      ///< no device of the recipient could be encrypted to
  // media (wa-protocol.md §8)
  media_invalid = 130,  ///< a media key, blob or descriptor of the wrong shape (size, padding)
  media_hash_mismatch,  ///< SHA-256 of the downloaded blob or of the plaintext is not the expected
  media_mac_mismatch,   ///< the blob's 10-byte HMAC does not verify
  media_too_large,      ///< the body (announced or received) exceeds the byte cap
  media_timeout,        ///< the media host did not connect or send within the timeout
  media_http,           ///< the media host answered with an HTTP error or garbage (detail: status)
  media_unavailable,    ///< no media host known (media_conn answered without hosts)
  media_reupload_failed,  ///< the phone did not upload the file again (detail: its answer)
};

/// The std::error_category of wa::Errc ("wa").
const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;
/// A short stable name of the code, e.g. "cert_leaf_expired".
const char* errc_name(Errc e) noexcept;

/// A failure: the code says which check failed, the detail carries context for humans.
struct Error {
  Errc code = Errc::ok;
  std::string detail;
  /// "code_name: detail".
  std::string message() const;
};

/// A value or an Error (see basic_result.hpp).
template <class T>
using Result = BasicResult<T, Error>;

}  // namespace wa

template <>
struct std::is_error_code_enum<wa::Errc> : std::true_type {};

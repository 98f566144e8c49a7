#pragma once
// Where media goes and comes from (wa-protocol.md §8.1, §8.4, §8.5): the `media_conn` IQ and its
// answer (hosts, auth, TTL), the upload URL and the upload answer, the download URL of a received
// attachment. Pure functions: no socket (the HTTPS client is media/https.hpp), no store.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wa/binary/node.hpp"
#include "wa/error.hpp"
#include "wa/jid.hpp"
#include "wa/media/crypto.hpp"
#include "wa/message/content.hpp"

namespace wa::media {

/// A received message whose file the phone is asked to upload again (docs/PROTOCOL.md §8.6): its
/// id, its chat, whether we sent it, and its sender in a group (empty otherwise).
struct RetryTarget {
  std::string message_id;
  Jid chat;
  bool from_me = false;
  std::optional<Jid> participant;
};

/// The server's media hosts and upload credential (§8.1), valid for `ttl`.
struct MediaConn {
  std::string auth;
  std::chrono::seconds ttl{0};
  struct Host {
    std::string hostname;                  ///< host[:port]
    std::uint64_t max_content_length = 0;  ///< 0 when not announced
  };
  std::vector<Host> hosts;
};

/// `<iq xmlns=w:m type=set to=s.whatsapp.net><media_conn/></iq>` (the id is added when sent).
binary::Node media_conn_query();
/// Reads the `<media_conn auth ttl><host hostname/>…` answer. Errors: node_invalid (no
/// media_conn child, no auth), media_unavailable (no host). A missing or bad ttl counts as 0.
Result<MediaConn> parse_media_conn(const binary::Node& iq);

/// Unpadded base64url (RFC 4648 §5).
std::string base64url(std::span<const std::uint8_t> bytes);

/// `https://<host>/mms/<mms type>/<token>?auth=<auth>&token=<token>` with token =
/// base64url(file_enc_sha256) (§8.4); auth is percent-encoded.
std::string upload_url(std::string_view host, MediaType type,
                       std::span<const std::uint8_t> file_enc_sha256, std::string_view auth);

/// An uploaded attachment: everything a message needs to point at it (§8.4).
struct UploadedMedia {
  std::string url;          ///< the host's answer `url`
  std::string direct_path;  ///< the host's answer `direct_path`
  std::vector<std::uint8_t> media_key;
  std::vector<std::uint8_t> file_sha256;
  std::vector<std::uint8_t> file_enc_sha256;
  std::uint64_t file_length = 0;
  std::int64_t media_key_timestamp = 0;  ///< unix seconds of the upload
};

/// The upload answer's JSON `{url, direct_path, …}`. Errors: media_http (not JSON, or neither
/// field present).
struct UploadAnswer {
  std::string url;
  std::string direct_path;
};
Result<UploadAnswer> parse_upload_answer(std::string_view body);

/// The URL of `direct_path` on `host` (§8.5): `https://<host><direct_path>` plus the
/// `hash=<base64url enc sha>&mms-type=<type>&__wa-mms=` query that WhatsApp's hosts expect.
/// Errors: media_invalid when the direct path does not start with '/'.
Result<std::string> download_url(std::string_view host, const message::MediaDescriptor& media,
                                 MediaType type);

}  // namespace wa::media

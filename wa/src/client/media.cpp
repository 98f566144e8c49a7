// Media transfers of the client (wa-protocol.md §8; issue 12): media_conn on the client's strand
// (cached until its TTL), encryption and HTTPS on the caller's executor, so that neither the CPU
// work nor a slow host holds up the session's strand. The pure parts are wa/media/.
#include <chrono>
#include <cstdint>

#include "client_impl.hpp"
#include "media/retry.hpp"
#include "wa/media/https.hpp"

namespace wa::client {

asio::awaitable<std::optional<Result<media::MediaConn>>> Client::Impl::get_media_conn(
    bool refresh) {
  auto self = shared_from_this();
  if (!refresh && media_conn && Clock::now() < media_conn_expires) co_return *media_conn;
  // Logged in is enough (messages received before Connected may need their media at once).
  auto c = conn;
  if (!c || !c->logged_in || c->ending) {
    co_return Result<media::MediaConn>(Errc::client_disconnected,
                                       "not logged in (media_conn needed)");
  }
  auto r = co_await iq(c, media::media_conn_query());
  if (!r) co_return Result<media::MediaConn>(r.error());
  auto mc = media::parse_media_conn(*r);
  if (!mc) co_return Result<media::MediaConn>(mc.error());
  media_conn = *mc;
  // A TTL of 0 means "do not cache"; keep a margin so that an auth never expires mid-upload.
  const auto ttl =
      mc->ttl > std::chrono::seconds(30) ? mc->ttl - std::chrono::seconds(10) : mc->ttl;
  media_conn_expires = Clock::now() + ttl;
  co_return std::move(*mc);
}

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

media::HttpsOptions https_options(const Options& o, std::size_t max_body) {
  media::HttpsOptions h;
  h.extra_ca_file = o.extra_ca_file;
  h.connect_timeout = o.media_connect_timeout;
  h.idle_timeout = o.media_idle_timeout;
  h.max_body = max_body;
  h.origin = std::string(constants::kOrigin);
  return h;
}

// The media_conn answer from the strand (co_spawn needs a default-constructible value).
asio::awaitable<Result<media::MediaConn>> media_conn_of(std::shared_ptr<Client::Impl> impl,
                                                        bool refresh) {
  auto r =
      co_await asio::co_spawn(impl->strand, impl->get_media_conn(refresh), asio::use_awaitable);
  co_return std::move(*r);
}

Error http_error(unsigned status, const std::vector<std::uint8_t>& body) {
  std::string detail = "HTTP " + std::to_string(status);
  if (!body.empty())
    detail +=
        ": " + std::string(body.begin(), body.begin() + std::min<std::size_t>(body.size(), 120));
  return Error{Errc::media_http, detail};
}

}  // namespace

asio::awaitable<Result<media::UploadedMedia>> Client::upload_media(
    media::MediaType type, std::span<const std::uint8_t> bytes) {
  auto impl = impl_;
  if (bytes.size() > impl->opt.media_max_upload)
    co_return Error{Errc::media_too_large, std::to_string(bytes.size()) + " bytes to upload, cap " +
                                               std::to_string(impl->opt.media_max_upload)};
  auto enc = media::encrypt(bytes, type);
  if (!enc) co_return enc.error();
  Error last{Errc::media_unavailable, "no media host"};
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto mc = co_await media_conn_of(impl, attempt > 0);
    if (!mc) co_return mc.error();
    bool refused_auth = false;
    for (const auto& host : mc->hosts) {
      if (host.max_content_length && enc->blob.size() > host.max_content_length) {
        last = Error{Errc::media_too_large, "blob of " + std::to_string(enc->blob.size()) +
                                                " bytes beyond " + host.hostname + "'s limit"};
        continue;
      }
      media::HttpsRequest req;
      req.method = "POST";
      req.url = media::upload_url(host.hostname, type, enc->file_enc_sha256, mc->auth);
      req.body = enc->blob;
      req.content_type = "application/octet-stream";
      const auto hopt = https_options(impl->opt, 64 * 1024);
      auto res = co_await media::https_request(req, hopt);
      if (!res) {
        last = res.error();
        continue;
      }
      if (res->status != 200) {
        last = http_error(res->status, res->body);
        refused_auth = refused_auth || res->status == 401 || res->status == 403;
        continue;
      }
      auto answer = media::parse_upload_answer(
          std::string_view(reinterpret_cast<const char*>(res->body.data()), res->body.size()));
      if (!answer) {
        last = answer.error();
        continue;
      }
      media::UploadedMedia up;
      up.url = std::move(answer->url);
      up.direct_path = std::move(answer->direct_path);
      up.media_key = std::move(enc->media_key);
      up.file_sha256.assign(enc->file_sha256.begin(), enc->file_sha256.end());
      up.file_enc_sha256.assign(enc->file_enc_sha256.begin(), enc->file_enc_sha256.end());
      up.file_length = enc->file_length;
      up.media_key_timestamp = unix_now();
      co_return up;
    }
    if (!refused_auth) break;
  }
  co_return last;
}

asio::awaitable<Result<std::vector<std::uint8_t>>> Client::download_media(
    const message::MediaDescriptor& m, media::MediaType type, std::size_t max_bytes) {
  auto impl = impl_;
  if (m.media_key.size() != media::kMediaKeySize)
    co_return Error{Errc::media_invalid, "descriptor without a 32-byte media key"};
  if (m.direct_path.empty() && m.url.empty())
    co_return Error{Errc::media_invalid, "descriptor without direct path or URL"};
  if (m.file_length > max_bytes)
    co_return Error{Errc::media_too_large, "file of " + std::to_string(m.file_length) +
                                               " bytes announced, cap " +
                                               std::to_string(max_bytes)};
  // PKCS#7 adds at most one block, the MAC 10 bytes.
  constexpr std::size_t kOverhead = 16 + media::kMacSize;
  const auto cap = max_bytes > SIZE_MAX - kOverhead ? SIZE_MAX : max_bytes + kOverhead;
  const auto hopt = https_options(impl->opt, cap);
  std::vector<std::string> urls;
  if (!m.direct_path.empty()) {
    auto mc = co_await media_conn_of(impl, false);
    // Without media_conn (not logged in, no cached answer) the message's own URL is the fallback.
    if (!mc && m.url.empty()) co_return mc.error();
    if (mc) {
      for (const auto& host : mc->hosts) {
        auto u = media::download_url(host.hostname, m, type);
        if (!u) co_return u.error();
        urls.push_back(std::move(*u));
      }
    }
  }
  if (urls.empty()) urls.push_back(m.url);
  Error last{Errc::media_unavailable, "no media host"};
  for (const auto& url : urls) {
    media::HttpsRequest req;
    req.url = url;
    auto res = co_await media::https_request(req, hopt);
    if (!res) {
      last = res.error();
      // Beyond the cap stays beyond it on the next host; a refused URL does not get better.
      if (last.code == Errc::media_too_large || last.code == Errc::invalid_argument) break;
      continue;
    }
    if (res->status != 200) {
      last = http_error(res->status, {});
      continue;
    }
    // A verified blob is final; a tampered one is too (the keys and hashes came with the message).
    co_return media::decrypt(res->body, m.media_key, type, m.file_enc_sha256, m.file_sha256);
  }
  co_return last;
}

namespace {

// On the strand: sends the server-error receipt and waits for the phone's mediaretry answer. The
// result is wrapped in an optional because co_spawn needs a default-constructible value. The
// target is passed as an lvalue (an aggregate prvalue trips the g++ 12 coroutine defect).
asio::awaitable<std::optional<Result<Node>>> media_retry_task(std::shared_ptr<Client::Impl> impl,
                                                              media::RetryTarget target,
                                                              std::vector<std::uint8_t> media_key,
                                                              std::chrono::milliseconds timeout) {
  auto c = impl->conn;
  if (!c || !c->logged_in || c->ending)
    co_return Result<Node>(Errc::client_disconnected, "not logged in (media retry)");
  auto dev = impl->load_device();
  if (!dev || !*dev || !(*dev)->jid)
    co_return Result<Node>(Errc::client_disconnected, "no own JID stored (media retry)");
  std::array<std::uint8_t, crypto::kGcmIvSize> iv{};
  crypto::random_bytes(iv);
  auto receipt = media::media_retry_receipt(target, *(*dev)->jid, media_key, iv);
  if (!receipt) co_return Result<Node>(receipt.error());
  // The answer is handled on this strand, so it cannot arrive before the wait below registers.
  if (!impl->send(c, *receipt))
    co_return Result<Node>(Errc::client_disconnected, "connection ending (media retry)");
  co_return co_await c->media_retries.wait(target.message_id, timeout);
}

}  // namespace

asio::awaitable<Result<std::string>> Client::request_media_reupload(
    media::RetryTarget target, std::vector<std::uint8_t> media_key,
    std::chrono::milliseconds timeout) {
  auto impl = impl_;
  if (media_key.size() != media::kMediaKeySize)
    co_return Error{Errc::media_invalid, "media retry needs the message's 32-byte media key"};
  auto answer = co_await asio::co_spawn(
      impl->strand, media_retry_task(impl, target, media_key, timeout), asio::use_awaitable);
  if (!*answer) co_return answer->error();
  auto read = media::read_media_retry(**answer, media_key);
  if (!read) co_return read.error();
  co_return std::move(read->direct_path);
}

}  // namespace wa::client

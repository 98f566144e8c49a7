#include "outbound/sender.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>

#include "auth/crypto.hpp"
#include "http/errors.hpp"
#include "log/log.hpp"
#include "outbound/message_log.hpp"
#include "util/time.hpp"

namespace gw::outbound {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr auto kKnownFor = std::chrono::hours(1);      // a number that is on WhatsApp
constexpr auto kUnknownFor = std::chrono::minutes(1);  // one that is not (it may register)
constexpr std::size_t kMaxKnown = 10'000;
constexpr auto kReplyWaitMax = std::chrono::seconds(60);

asio::awaitable<void> sleep_for(milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

[[noreturn]] void not_connected(const std::optional<sessions::Snapshot>& s) {
  std::string status = s ? s->status : "disconnected";
  std::string msg = "the session is not connected (status: " + status;
  if (s && s->reason) msg += ", " + *s->reason;
  msg += "); start it and link it first";
  json::object details{{"status", status}};
  if (s && s->reason) details["status_reason"] = *s->reason;
  throw http::ApiError(http::ErrorKind::conflict, msg, details);
}

// The library's error as the API's.
[[noreturn]] void send_failed(const wa::Error& e, const std::optional<sessions::Snapshot>& s) {
  switch (e.code) {
    case wa::Errc::client_disconnected:
      not_connected(s);
    case wa::Errc::iq_timeout:
      throw http::ApiError(http::ErrorKind::gateway_timeout,
                           "WhatsApp did not confirm the message in time: " + e.message());
    case wa::Errc::invalid_argument:
      throw http::ApiError(http::ErrorKind::bad_request, "cannot send: " + e.message());
    case wa::Errc::media_invalid:
      throw http::ApiError(http::ErrorKind::bad_request,
                           "the media cannot be sent: " + e.message());
    case wa::Errc::media_too_large:
      throw http::ApiError(http::ErrorKind::payload_too_large,
                           "the media is too large: " + e.message());
    case wa::Errc::media_timeout:
      throw http::ApiError(http::ErrorKind::gateway_timeout,
                           "uploading the media to WhatsApp timed out: " + e.message());
    case wa::Errc::message_undeliverable:
      throw http::ApiError(http::ErrorKind::bad_gateway,
                           "no device of the recipient could be reached: " + e.message());
    default:
      throw http::ApiError(http::ErrorKind::bad_gateway,
                           "WhatsApp refused the message: " + e.message());
  }
  std::abort();  // unreachable: every case throws
}

wa::message::ContentType content_type_of(std::string_view type) {
  using wa::message::ContentType;
  static constexpr std::pair<std::string_view, ContentType> kTypes[] = {
      {"text", ContentType::text},         {"image", ContentType::image},
      {"document", ContentType::document}, {"audio", ContentType::audio},
      {"video", ContentType::video},       {"sticker", ContentType::sticker},
      {"location", ContentType::location}, {"contact", ContentType::contact}};
  for (const auto& [name, t] : kTypes)
    if (name == type) return t;
  return ContentType::text;
}

std::vector<std::uint8_t> bytes_of(const std::optional<std::string>& s) {
  if (!s) return {};
  return {s->begin(), s->end()};
}

// The library's message for a validated request (media bytes already fetched or decoded).
wa::client::OutgoingMessage outgoing_message(const SendRequest& r) {
  namespace out = wa::client::out;
  auto media = wa::client::MediaInput{bytes_of(r.media_bytes), std::nullopt};
  auto mime = [&r](const char* fallback) { return r.mimetype.empty() ? fallback : r.mimetype; };
  switch (r.type) {
    case SendType::text:
      return out::Text{r.content};
    case SendType::image: {
      out::Image m;
      m.media = std::move(media);
      m.mimetype = mime("image/jpeg");
      m.caption = r.content;
      return m;
    }
    case SendType::video: {
      out::Video m;
      m.media = std::move(media);
      m.mimetype = mime("video/mp4");
      m.caption = r.content;
      return m;
    }
    case SendType::audio: {
      out::Audio m;
      m.media = std::move(media);
      m.mimetype = mime(r.ptt ? "audio/ogg; codecs=opus" : "audio/mpeg");
      m.ptt = r.ptt;
      return m;
    }
    case SendType::document: {
      out::Document m;
      m.media = std::move(media);
      m.mimetype = mime("application/octet-stream");
      m.file_name = r.filename.empty() ? "file" : r.filename;
      m.caption = r.content;
      return m;
    }
    case SendType::sticker: {
      out::Sticker m;
      m.media = std::move(media);
      m.mimetype = mime("image/webp");
      return m;
    }
    case SendType::location: {
      const auto& l = *r.location;
      return out::Location{l.latitude, l.longitude, l.name, l.address};
    }
    case SendType::contact:
      return out::Contact{r.contact->name, r.contact->vcard};
  }
  return out::Text{r.content};
}

}  // namespace

Sender::Sender(db::Database& db, sessions::Manager& sessions, SenderOptions options)
    : db_(db),
      sessions_(sessions),
      options_(options),
      limiter_(auth::RateLimitConfig{std::max<int64_t>(1, options_.rate_per_minute), 60'000}) {}

auth::RateLimitDecision Sender::take_rate(const std::string& session_id) {
  return limiter_.check(session_id, util::unix_millis_now());
}

asio::awaitable<Sender::Target> Sender::resolve(const std::string& session_id,
                                                const Recipient& to) {
  Target t{to.jid, to.jid.to_string(), to.jid.user};
  if (!to.from_phone) co_return t;
  const auto& phone = to.jid.user;
  std::optional<Known> known;
  {
    std::lock_guard lock(mu_);
    if (auto it = numbers_.find(phone);
        it != numbers_.end() && steady_clock::now() < it->second.until)
      known = it->second;
  }
  if (!known) {
    auto r = co_await sessions_.lookup_phone(session_id, phone);
    if (!r) {
      if (r.error().code == wa::Errc::client_disconnected)
        not_connected(sessions_.snapshot(session_id));
      if (r.error().code == wa::Errc::iq_timeout)
        throw http::ApiError(http::ErrorKind::gateway_timeout,
                             "WhatsApp did not answer whether " + phone + " is on WhatsApp");
      throw http::ApiError(http::ErrorKind::bad_gateway,
                           "could not ask WhatsApp about " + phone + ": " + r.error().message());
    }
    known = Known{r->exists, r->jid, steady_clock::now() + (r->exists ? kKnownFor : kUnknownFor)};
    std::lock_guard lock(mu_);
    if (numbers_.size() >= kMaxKnown) numbers_.clear();
    numbers_[phone] = *known;
  }
  if (!known->exists) {
    throw http::ApiError(http::ErrorKind::not_found, "the number " + phone + " is not on WhatsApp",
                         json::object{{"to", "not on WhatsApp"}});
  }
  if (known->jid) t.jid = *known->jid;
  t.chat_id = t.jid.to_string();
  co_return t;
}

asio::awaitable<void> Sender::type_for(const std::string& session_id, const wa::Jid& chat,
                                       std::size_t text_size) {
  auto d = options_.typing_per_char * static_cast<int64_t>(text_size);
  d = std::clamp(d, options_.typing_min, options_.typing_max);
  sessions_.chat_presence(session_id, chat, true);
  co_await sleep_for(d);
}

asio::awaitable<void> Sender::log_outcome(const std::string& session_id, const Target& t,
                                          const SendRequest& request,
                                          const std::optional<std::string>& message_id,
                                          const std::string& error) {
  OutgoingRecord rec;
  rec.session_id = session_id;
  // A send that failed before WhatsApp gave it an id is logged under a local one ("GW…").
  rec.message_id = message_id ? *message_id : "GW" + auth::uuid_v4();
  rec.chat_id = t.chat_id;
  rec.chat_jid = t.jid.to_string();
  rec.to_number = t.to_number;
  rec.type = std::string(to_string(request.type));
  rec.content = request.content;
  rec.media_url = request.media_url;
  rec.is_group = t.jid.is_group();
  rec.quoted_message_id = request.quoted_message_id;
  rec.status = error.empty() ? "sent" : "failed";
  rec.at_ms = util::unix_millis_now();
  if (!error.empty()) rec.error = error;
  if (auto s = sessions_.snapshot(session_id); s && s->phone_number)
    rec.own_jid = wa::Jid::user_jid(*s->phone_number).to_string();
  try {
    co_await db_.run([&](db::Connection& c) { insert_outgoing(c, rec); });
  } catch (const std::exception& e) {
    log::warn("sent message not logged", {{"session_id", session_id}, {"error", e.what()}});
  }
}

asio::awaitable<wa::Result<wa::client::SendResult>> Sender::send_logged(
    const std::string& session_id, const Target& target, const SendRequest& request,
    const wa::client::SendOptions& options) {
  auto opts = options;
  for (const auto& m : request.mentions) opts.mentions.push_back(wa::Jid::user_jid(m));
  if (request.typing.value_or(options_.typing_default))
    co_await type_for(session_id, target.jid, request.content.size());
  const auto message = outgoing_message(request);
  auto r = co_await sessions_.send(session_id, target.jid, message, opts);
  if (!r) {
    failed_.fetch_add(1);
    co_await log_outcome(session_id, target, request, std::nullopt, r.error().message());
    co_return r;
  }
  sent_.fetch_add(1);
  co_await log_outcome(session_id, target, request, r->id, "");
  co_return r;
}

asio::awaitable<Sent> Sender::send(const std::string& session_id, const SendRequest& request) {
  auto snap = sessions_.snapshot(session_id);
  if (!snap || snap->status != "connected") not_connected(snap);
  auto target = co_await resolve(session_id, request.to);

  wa::client::SendOptions opts;
  if (request.quoted_message_id) {
    const auto& qid = *request.quoted_message_id;
    auto q = co_await db_.run([&](db::Connection& c) { return quote_source(c, session_id, qid); });
    if (!q) {
      throw http::ApiError(http::ErrorKind::validation,
                           "quoted_message_id: no message " + qid + " in this session's log",
                           json::object{{"quoted_message_id", "unknown message"}});
    }
    opts.quote = wa::client::SendOptions::Quote{qid, q->sender_jid, q->text};
    opts.quote->type = content_type_of(q->type);
  }
  auto r = co_await send_logged(session_id, target, request, opts);
  if (!r) send_failed(r.error(), sessions_.snapshot(session_id));
  const auto ts = r->timestamp > 0 ? r->timestamp * 1000 : util::unix_millis_now();
  co_return Sent{r->id, util::iso8601_from_ms(ts), target.chat_id};
}

asio::awaitable<std::optional<std::string>> Sender::reply(const Reply& rp) {
  // Wait for the rate limit rather than drop the bot's answer.
  const auto deadline = steady_clock::now() + kReplyWaitMax;
  while (true) {
    auto d = take_rate(rp.session_id);
    if (d.allowed) break;
    if (steady_clock::now() >= deadline) {
      failed_.fetch_add(1);
      log::warn("webhook reply dropped: send rate limit",
                {{"session_id", rp.session_id}, {"chat", rp.chat.to_string()}});
      co_return std::nullopt;
    }
    co_await sleep_for(
        std::min<milliseconds>(milliseconds(d.retry_after_seconds * 1000), milliseconds(5'000)));
  }
  SendRequest req = rp.request;
  req.to = Recipient{rp.chat, false};
  req.quoted_message_id.reset();
  wa::client::SendOptions opts;
  if (rp.quote) {
    req.quoted_message_id = rp.quote->id;
    opts.quote = *rp.quote;
  }
  const Target target{rp.chat, rp.chat_id.empty() ? rp.chat.to_string() : rp.chat_id, rp.chat.user};
  auto r = co_await send_logged(rp.session_id, target, req, opts);
  if (!r) {
    log::warn("webhook reply not sent",
              {{"session_id", rp.session_id}, {"error", r.error().message()}});
    co_return std::nullopt;
  }
  co_return r->id;
}

}  // namespace gw::outbound

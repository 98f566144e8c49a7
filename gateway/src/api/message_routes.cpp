// Sending messages and reading the message log of a session
// (docs/API.md "Sending messages" and "Messages"). Thin handlers: the request is validated by
// outbound::parse_send_request, sent by outbound::Sender, read by outbound/message_log.
// Another user's session is 404.
#include <boost/json/object.hpp>

#include "api/media_routes.hpp"
#include "api/session_routes.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "log/log.hpp"
#include "outbound/media_source.hpp"
#include "outbound/message_log.hpp"
#include "outbound/request.hpp"
#include "util/strings.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;

constexpr int kMaxSendDepth = 6;

[[noreturn]] void session_not_found() {
  throw http::ApiError(http::ErrorKind::not_found, "session not found");
}

// A `chat` filter as stored in chat_id: a number becomes its user JID, a JID is kept.
std::string chat_filter(const std::string& v) {
  if (v.find('@') != std::string::npos) {
    auto jid = wa::Jid::parse(v);
    if (jid && !jid->user.empty()) return jid->to_non_ad().to_string();
  } else if (auto phone = outbound::normalize_phone(v)) {
    return wa::Jid::user_jid(*phone).to_string();
  }
  throw http::ApiError(http::ErrorKind::validation, "invalid chat filter",
                       json::object{{"chat", "a phone number or a JID"}});
}

}  // namespace

void register_message_routes(http::Router& router, app::Context& ctx, outbound::Sender& sender,
                             webhooks::HttpClient& media_client, outbound::MediaUrlFn media_url) {
  using Res = boost::asio::awaitable<http::Response>;
  using http::Access;
  using http::Body;
  auto& db = ctx.db;
  const std::size_t max_body = ctx.config.http_max_body_bytes;
  const auto fetch_timeout = ctx.config.media_fetch_timeout;

  router.add(
      "POST", "/api/v1/sessions/:id/send", Access::authenticated,
      [&db, &sender, &media_client, max_body, fetch_timeout](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto user = *req.user_id;
        if (!co_await db.run([&](db::Connection& c) { return owns_session(c, id, user); }))
          session_not_found();
        auto body = http::require_json_object(req.body, max_body, kMaxSendDepth);
        auto request = outbound::parse_send_request(body, sender.options().limits);
        if (request.media_url) {
          const auto max = sender.options().limits.max_media_bytes;
          auto got = co_await outbound::fetch_media_url(media_client, request, fetch_timeout, max);
          if (!got.ok()) throw media_url_error(got, max);
        }
        auto rate = sender.take_rate(id);
        if (!rate.allowed) {
          req.response_headers.set("Retry-After", std::to_string(rate.retry_after_seconds));
          throw http::ApiError(http::ErrorKind::rate_limited,
                               "this session may send " + std::to_string(rate.limit) +
                                   " messages per minute (SEND_RATE_PER_MINUTE); retry in " +
                                   std::to_string(rate.retry_after_seconds) + " s");
        }
        auto sent = co_await sender.send(id, request);
        log::info("message sent", {{"session_id", id}, {"message_id", sent.message_id}});
        co_return http::ok(json::object{{"message_id", sent.message_id},
                                        {"status", "sent"},
                                        {"timestamp", sent.timestamp},
                                        {"chat_id", sent.chat_id}},
                           "Message sent successfully");
      },
      Body::json);

  router.add("GET", "/api/v1/sessions/:id/messages/:message_id", Access::authenticated,
             [&db, media_url](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               std::string mid(req.param("message_id"));
               if (mid.empty() || mid.size() > 128) {
                 throw http::ApiError(http::ErrorKind::validation, "invalid message id",
                                      json::object{{"message_id", "1-128 characters"}});
               }
               auto out = co_await db.run(
                   [&](db::Connection& c) -> std::optional<std::optional<json::object>> {
                     if (!owns_session(c, id, user)) return std::nullopt;
                     return outbound::find_message(c, id, mid, media_url);
                   });
               if (!out) session_not_found();
               if (!*out) throw http::ApiError(http::ErrorKind::not_found, "message not found");
               co_return http::ok(std::move(**out), "Message retrieved successfully");
             });

  router.add("GET", "/api/v1/sessions/:id/messages", Access::authenticated,
             [&db, media_url](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               outbound::ListFilter f;
               if (auto chat = req.query_param("chat")) f.chat_id = chat_filter(*chat);
               if (auto d = req.query_param("direction")) {
                 if (*d != "incoming" && *d != "outgoing") {
                   throw http::ApiError(http::ErrorKind::validation, "invalid direction filter",
                                        json::object{{"direction", "incoming or outgoing"}});
                 }
                 f.direction = *d;
               }
               if (auto b = req.query_param("before")) {
                 if (b->empty() || b->size() > 128) {
                   throw http::ApiError(http::ErrorKind::validation, "invalid before",
                                        json::object{{"before", "a message id"}});
                 }
                 f.before = *b;
               }
               if (auto l = req.query_param("limit")) {
                 int v = 0;
                 try {
                   std::size_t used = 0;
                   v = std::stoi(*l, &used);
                   if (used != l->size() || v < 1 || v > 200) throw std::out_of_range("limit");
                 } catch (const std::exception&) {
                   throw http::ApiError(http::ErrorKind::validation, "invalid limit",
                                        json::object{{"limit", "an integer from 1 to 200"}});
                 }
                 f.limit = v;
               }
               auto out = co_await db.run([&](db::Connection& c) -> std::optional<json::object> {
                 if (!owns_session(c, id, user)) return std::nullopt;
                 return outbound::list_messages(c, id, f, media_url);
               });
               if (!out) session_not_found();
               co_return http::ok(std::move(*out), "Messages retrieved successfully");
             });
}

}  // namespace gw::api

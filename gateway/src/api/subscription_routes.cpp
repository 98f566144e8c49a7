// Webhook subscriptions of a session (extra receivers with their own secret, e.g. an n8n trigger
// node), and the chat actions a bot needs besides sending: mark a received message read, show
// "typing…". docs/API.md "Webhook subscriptions" and "Chat actions". Another user's session is
// 404.
#include <boost/json/object.hpp>

#include "api/session_routes.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "log/log.hpp"
#include "outbound/request.hpp"
#include "sessions/repository.hpp"
#include "webhooks/subscriptions.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;

constexpr std::size_t kMaxBody = 16 * 1024;
constexpr int kMaxDepth = 4;

[[noreturn]] void session_not_found() {
  throw http::ApiError(http::ErrorKind::not_found, "session not found");
}

[[noreturn]] void not_connected(const std::optional<sessions::Snapshot>& s) {
  std::string status = s ? s->status : "disconnected";
  throw http::ApiError(
      http::ErrorKind::conflict,
      "the session is not connected (status: " + status + "); start it and link it first",
      json::object{{"status", status}});
}

}  // namespace

void register_subscription_routes(http::Router& router, app::Context& ctx,
                                  sessions::Manager& manager) {
  using Res = boost::asio::awaitable<http::Response>;
  using http::Access;
  auto& db = ctx.db;
  const bool allow_private = ctx.config.webhook_allow_private_networks;

  router.add("POST", "/api/v1/sessions/:id/webhooks", Access::authenticated,
             [&db, &ctx, allow_private](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               auto fields = webhooks::parse_subscription(
                   http::require_json_object(req.body, kMaxBody, kMaxDepth), allow_private);
               const auto now = ctx.now_ms();
               enum class Outcome { no_session, too_many, created };
               std::pair<webhooks::Subscription, std::string> made;
               auto outcome = co_await db.run([&](db::Connection& c) {
                 if (!owns_session(c, id, user)) return Outcome::no_session;
                 db::Transaction tx(c);
                 if (webhooks::subscriptions::count(c, id) >= webhooks::kMaxSubscriptionsPerSession)
                   return Outcome::too_many;
                 made = webhooks::subscriptions::create(c, id, fields, now);
                 tx.commit();
                 return Outcome::created;
               });
               if (outcome == Outcome::no_session) session_not_found();
               if (outcome == Outcome::too_many) {
                 throw http::ApiError(http::ErrorKind::conflict,
                                      "this session has the most webhook subscriptions allowed (" +
                                          std::to_string(webhooks::kMaxSubscriptionsPerSession) +
                                          "); delete one first");
               }
               auto out = webhooks::to_json(made.first);
               out["secret"] = made.second;  // shown once: it is never returned again
               log::info("webhook subscription created",
                         {{"session_id", id}, {"webhook_id", made.first.id}});
               co_return http::ok(std::move(out), "Webhook subscription created", 201);
             });

  router.add("GET", "/api/v1/sessions/:id/webhooks", Access::authenticated,
             [&db](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               auto list = co_await db.run(
                   [&](db::Connection& c) -> std::optional<std::vector<webhooks::Subscription>> {
                     if (!owns_session(c, id, user)) return std::nullopt;
                     return webhooks::subscriptions::list(c, id);
                   });
               if (!list) session_not_found();
               json::array out;
               for (const auto& s : *list) out.push_back(webhooks::to_json(s));
               co_return http::ok(std::move(out), "Webhook subscriptions retrieved successfully");
             });

  router.add(
      "DELETE", "/api/v1/sessions/:id/webhooks/:webhook_id", Access::authenticated,
      [&db](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto user = *req.user_id;
        auto sub = sessions::normalize_session_id(req.param("webhook_id"));
        enum class Outcome { no_session, no_subscription, deleted };
        auto outcome = co_await db.run([&](db::Connection& c) {
          if (!owns_session(c, id, user)) return Outcome::no_session;
          if (!sub || !webhooks::subscriptions::remove(c, id, *sub))
            return Outcome::no_subscription;
          return Outcome::deleted;
        });
        if (outcome == Outcome::no_session) session_not_found();
        if (outcome == Outcome::no_subscription)
          throw http::ApiError(http::ErrorKind::not_found, "webhook subscription not found");
        log::info("webhook subscription deleted", {{"session_id", id}, {"webhook_id", *sub}});
        co_return http::ok(json::object{{"webhook_id", *sub}, {"deleted", true}},
                           "Webhook subscription deleted");
      });

  router.add("POST", "/api/v1/sessions/:id/messages/:message_id/read", Access::authenticated,
             [&db, &manager](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               const std::string message_id(req.param("message_id"));
               if (message_id.empty() || message_id.size() > 128)
                 throw http::ApiError(http::ErrorKind::not_found, "message not found");
               struct Found {
                 std::string chat;
                 std::optional<std::string> sender;
                 bool group = false;
               };
               enum class Outcome { no_session, no_message, found };
               Found f;
               auto outcome = co_await db.run([&](db::Connection& c) {
                 if (!owns_session(c, id, user)) return Outcome::no_session;
                 auto r = c.query(
                     "SELECT chat_jid, sender_jid, is_group FROM messages_log WHERE session_id = ? "
                     "AND message_id = ? AND direction = 'incoming' ORDER BY id DESC LIMIT 1",
                     {id, message_id});
                 if (r.rows.empty() || r.rows.front().is_null(0)) return Outcome::no_message;
                 f.chat = r.rows.front().text(0);
                 f.sender = r.rows.front().opt_text(1);
                 f.group = r.rows.front().integer(2) != 0;
                 return Outcome::found;
               });
               if (outcome == Outcome::no_session) session_not_found();
               if (outcome == Outcome::no_message)
                 throw http::ApiError(http::ErrorKind::not_found,
                                      "message not found: no received message with this id");
               auto chat = wa::Jid::parse(f.chat);
               if (!chat) throw http::ApiError(http::ErrorKind::not_found, "message not found");
               std::optional<wa::Jid> sender;
               if (f.group && f.sender) {
                 if (auto j = wa::Jid::parse(*f.sender)) sender = *j;
               }
               auto r = co_await manager.mark_read(id, *chat, message_id, sender);
               if (!r) {
                 if (r.error().code == wa::Errc::client_disconnected)
                   not_connected(manager.snapshot(id));
                 throw http::ApiError(http::ErrorKind::bad_gateway,
                                      "read receipt not sent: " + r.error().message());
               }
               co_return http::ok(json::object{{"message_id", message_id}, {"read", true}},
                                  "Message marked as read");
             });

  router.add("POST", "/api/v1/sessions/:id/typing", Access::authenticated,
             [&db, &manager](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               auto body = http::require_json_object(req.body, kMaxBody, kMaxDepth);
               json::object errors;
               std::optional<wa::Jid> chat;
               if (auto it = body.find("to"); it == body.end()) {
                 errors["to"] = "required: a phone number or a JID";
               } else if (!it->value().is_string()) {
                 errors["to"] = "must be a string: a phone number or a JID";
               } else {
                 std::string to(it->value().as_string());
                 if (to.find('@') != std::string::npos) {
                   if (auto j = wa::Jid::parse(to); j && !j->user.empty()) chat = *j;
                 } else if (auto phone = outbound::normalize_phone(to)) {
                   chat = wa::Jid::user_jid(*phone);
                 }
                 if (!chat) errors["to"] = "not a phone number or a JID";
               }
               bool composing = true;
               if (auto it = body.find("state"); it != body.end()) {
                 if (it->value().is_string() && it->value().as_string() == "paused") {
                   composing = false;
                 } else if (!it->value().is_string() || it->value().as_string() != "composing") {
                   errors["state"] = "composing or paused";
                 }
               }
               if (!errors.empty())
                 throw http::ApiError(http::ErrorKind::validation, "invalid typing request",
                                      errors);
               if (!co_await db.run([&](db::Connection& c) { return owns_session(c, id, user); }))
                 session_not_found();
               auto snap = manager.snapshot(id);
               if (!snap || snap->status != "connected") not_connected(snap);
               manager.chat_presence(id, *chat, composing);
               co_return http::ok(json::object{{"to", chat->to_non_ad().to_string()},
                                               {"state", composing ? "composing" : "paused"}},
                                  composing ? "Typing shown" : "Typing stopped");
             });
}

}  // namespace gw::api

#include "api/sandbox_routes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/session_routes.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "log/log.hpp"
#include "sandbox/incoming.hpp"

namespace gw::api {

namespace json = boost::json;
using Res = boost::asio::awaitable<http::Response>;

namespace {

// A contact's first message pairs a new simulated device first: allow for it.
constexpr std::chrono::seconds kCommandTimeout{60};
// How long a scan waits for the session to report connected before answering.
constexpr std::chrono::seconds kScanWait{20};

// The driver's answer to one command: its JSON object, or the ApiError it maps to. Not a
// coroutine (g++ 12 mishandles some initializers inside coroutines; see util/coro.hpp).
json::object answer_of(const webhooks::HttpResult& r, const std::string& path) {
  if (r.status == 0) {
    throw http::ApiError(http::ErrorKind::bad_gateway,
                         "the sandbox driver did not answer: " + r.error);
  }
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    throw http::ApiError(http::ErrorKind::bad_gateway, "the sandbox driver answered garbage");
  }
  auto& o = v.get_object();
  if (r.status / 100 == 2) return std::move(o);
  std::string message = "the sandbox driver refused the command";
  if (const auto* e = o.if_contains("error"); e && e->is_string()) {
    message = std::string(e->get_string());
  }
  if (r.status == 400) {
    json::object details;
    if (const auto* f = o.if_contains("field"); f && f->is_string()) {
      details[f->get_string()] = message;
    }
    throw http::ApiError(http::ErrorKind::validation, message, std::move(details));
  }
  if (r.status == 409) throw http::ApiError(http::ErrorKind::conflict, message);
  log::warn("sandbox driver error", {{"path", path}, {"status", r.status}, {"error", message}});
  throw http::ApiError(http::ErrorKind::bad_gateway, "sandbox: " + message);
}

// Sends one command to the driver; its JSON answer, or the ApiError it maps to.
boost::asio::awaitable<json::object> command(webhooks::HttpClient& client,
                                             const sandbox::Link& link, std::string path,
                                             json::object body) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Authorization", "Bearer " + link.token);
  std::string url = link.control_url + path;
  std::string payload = json::serialize(body);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kCommandTimeout);
  auto r = co_await client.post(std::move(url), std::move(payload), std::move(headers), timeout);
  co_return answer_of(r, path);
}

}  // namespace

void register_sandbox_routes(http::Router& router, app::Context& ctx, sessions::Manager& manager,
                             webhooks::HttpClient& client, const sandbox::Link& link) {
  using http::Access;
  using http::Body;
  auto& db = ctx.db;
  // The session of :id, owned by the caller (404 otherwise).
  auto owned = [&db](http::Request& req) -> boost::asio::awaitable<std::string> {
    auto id = session_id_of(req);
    auto user = *req.user_id;
    bool ok = co_await db.run([&](db::Connection& c) { return owns_session(c, id, user); });
    if (!ok) throw http::ApiError(http::ErrorKind::not_found, "session not found");
    co_return id;
  };

  router.add(
      "POST", "/api/v1/sandbox/sessions/:id/scan", Access::authenticated,
      [owned, &manager, &client, &link](http::Request& req) -> Res {
        auto id = co_await owned(req);
        auto s = manager.snapshot(id);
        if (!s || s->status != "qr" || s->qr_text.empty()) {
          const std::string status = s ? s->status : "disconnected";
          throw http::ApiError(
              http::ErrorKind::conflict,
              "no QR code is showing: the session is " + status +
                  (status == "connected" ? " already"
                                         : "; start it (POST /api/v1/sessions/:id/start) first"));
        }
        json::object cmd;
        cmd["session_id"] = id;
        cmd["qr"] = s->qr_text;
        auto r = co_await command(client, link, "/scan", std::move(cmd));
        // The session connects a moment after the scan (pairing, then a new login).
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::steady_timer timer(ex);
        const auto deadline = std::chrono::steady_clock::now() + kScanWait;
        std::string status = "qr";
        while (std::chrono::steady_clock::now() < deadline) {
          if (auto now = manager.snapshot(id); now) status = now->status;
          if (status == "connected") break;
          timer.expires_after(std::chrono::milliseconds(100));
          co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        json::object o{{"session_id", id}, {"phone", r["phone"]}, {"status", status}};
        co_return http::ok(o, status == "connected"
                                  ? "Scanned with the sandbox phone: the session is connected"
                                  : "Scanned with the sandbox phone; the session is still "
                                    "connecting");
      });

  router.add(
      "POST", "/api/v1/sandbox/sessions/:id/incoming", Access::authenticated,
      [owned, &manager, &client, &link, &ctx](http::Request& req) -> Res {
        auto id = co_await owned(req);
        auto in = sandbox::parse_incoming(req.body, ctx.config.http_max_body_bytes);
        auto s = manager.snapshot(id);
        if (!s || s->status != "connected" || !s->phone_number) {
          throw http::ApiError(http::ErrorKind::conflict,
                               "the session is not connected: scan its QR code with the sandbox "
                               "phone first (POST /api/v1/sandbox/sessions/:id/scan)");
        }
        auto cmd = sandbox::to_command(in, id, *s->phone_number);
        auto r = co_await command(client, link, "/incoming", std::move(cmd));
        json::object o{
            {"session_id", id}, {"message_id", r["id"]}, {"chat", r["chat"]}, {"from", in.from}};
        if (in.group) o["group"] = *in.group;
        co_return http::ok(o, "Message sent to the session by the simulated contact", 201);
      },
      Body::json);

  router.add("GET", "/api/v1/sandbox/sessions/:id/outbox", Access::authenticated,
             [owned, &manager, &client, &link](http::Request& req) -> Res {
               auto id = co_await owned(req);
               auto s = manager.snapshot(id);
               json::array messages;
               if (s && s->phone_number) {
                 json::object cmd;
                 cmd["bot_phone"] = *s->phone_number;
                 auto r = co_await command(client, link, "/outbox", std::move(cmd));
                 if (auto* m = r.if_contains("messages"); m && m->is_array()) {
                   messages = std::move(m->get_array());
                 }
               }
               co_return http::ok(json::object{{"session_id", id}, {"messages", messages}},
                                  "What the bot sent to the simulated contacts, oldest first");
             });
}

}  // namespace gw::api

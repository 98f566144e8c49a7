// The dashboard's WebSockets: /ws/sessions/:id (one session) and /ws
// (all of the user's sessions). The token comes as ?token= (browsers cannot set headers on a
// WebSocket handshake); a bad, expired or revoked token is 401 and another user's session 404,
// both before the upgrade. After it, ws/event_socket.cpp serves the connection. An API key works
// as the token too: a key limited to some sessions gets 404 for the others on /ws/sessions/:id,
// and only its own on /ws.
#include <boost/json/parse.hpp>

#include "api/session_routes.hpp"
#include "cluster/cluster.hpp"
#include "events/translate.hpp"
#include "http/envelope.hpp"
#include "http/errors.hpp"
#include "sessions/repository.hpp"
#include "ws/event_socket.hpp"

namespace gw::api {

namespace {

// The current state of a session as the messages a new subscriber gets first.
void initial_messages(const sessions::SessionRow& row,
                      const std::optional<sessions::Snapshot>& live,
                      std::vector<std::string>& out) {
  events::SessionStatus st;
  st.session_id = row.id;
  st.device_info = nullptr;
  if (live) {
    st.status = live->status;
    st.reason = live->reason;
    st.detail = live->detail;
    st.phone_number = live->phone_number ? live->phone_number : row.phone_number;
    st.device_info = events::json_or_null(live->device_info ? live->device_info : row.device_info);
  } else {
    st.status = row.status;
    st.reason = row.status_reason;
    st.detail = row.status_detail;
    st.phone_number = row.phone_number;
    st.device_info = events::json_or_null(row.device_info);
  }
  out.push_back(events::status_update(st));
  if (live && live->status == "qr" && !live->qr_text.empty()) {
    out.push_back(events::qr_update({row.id, live->qr_png, live->qr_text, live->qr_expires_in}));
  }
}

}  // namespace

void register_ws_routes(http::Router& router, app::Context& ctx, sessions::Manager& mgr,
                        events::Hub& hub) {
  using Res = boost::asio::awaitable<http::Response>;

  // Builds the 101 answer that hands the connection to the event socket.
  // `session_id` empty: every session `grant` lets through (all without an API key).
  auto accept = [&ctx, &mgr, &hub](const http::Request& req, std::string user_id,
                                   std::string session_id, const std::string& token,
                                   std::optional<http::ApiKeyGrant> grant) {
    if (!req.websocket_upgrade) {
      http::ApiError err(http::ErrorKind::upgrade_required,
                         "this is a WebSocket endpoint: connect with a WebSocket client");
      auto res = http::error_response(err);
      res.headers.set("Upgrade", "websocket");
      return res;
    }
    http::Response res;
    res.status = 101;
    events::SessionFilter filter;
    if (!session_id.empty()) {
      filter = events::SessionFilter::one(session_id);
    } else if (grant && grant->limited()) {
      filter.only = grant->session_ids;
    }
    res.upgrade = [&ctx, &mgr, &hub, user_id, session_id, token, filter](
                      std::shared_ptr<http::WebSocket> socket) -> boost::asio::awaitable<void> {
      // Named std::function objects, moved in: no closure temporary becomes a coroutine argument
      // (see on() in sessions/manager.cpp for the g++ 12 issue this avoids).
      std::function<boost::asio::awaitable<std::vector<std::string>>()> initial =
          [&ctx, &mgr, user_id, session_id,
           filter]() -> boost::asio::awaitable<std::vector<std::string>> {
        auto t = ctx.now_ms();
        auto rows = co_await ctx.db.run([&](db::Connection& c) {
          if (session_id.empty()) return sessions::repo::list_for_user(c, user_id, t);
          std::vector<sessions::SessionRow> one;
          if (auto r = sessions::repo::find(c, session_id, user_id, t)) one.push_back(*r);
          return one;
        });
        std::vector<std::string> out;
        for (const auto& row : rows) {
          if (!filter.matches(row.id)) continue;
          // Cluster mode: only the node that runs a session knows its live state.
          const bool here = !ctx.cluster || ctx.cluster->owner_of(row.id) == ctx.cluster->node_id();
          initial_messages(row, here ? mgr.snapshot(row.id) : std::nullopt, out);
        }
        co_return out;
      };
      std::function<boost::asio::awaitable<bool>()> still_authorized =
          [&ctx, token]() -> boost::asio::awaitable<bool> {
        auto who = co_await ctx.auth.authenticate(token);
        co_return who.has_value();
      };
      co_await ws::serve_event_socket(std::move(socket), hub, user_id, filter, std::move(initial),
                                      std::move(still_authorized));
    };
    return res;
  };

  router.add("GET", "/ws", http::Access::public_route, [&ctx, accept](http::Request& req) -> Res {
    auto who = co_await ctx.auth.require_query_token(req);
    req.user_id = who.user_id;
    co_return accept(req, who.user_id, "", req.query_param("token").value_or(""), who.api_key);
  });

  router.add("GET", "/ws/sessions/:id", http::Access::public_route,
             [&ctx, accept](http::Request& req) -> Res {
               auto who = co_await ctx.auth.require_query_token(req);
               req.user_id = who.user_id;
               // A malformed id is answered like an unknown one: nothing to learn from it.
               auto sid = sessions::normalize_session_id(req.param("id"));
               if (!sid) throw http::ApiError(http::ErrorKind::not_found, "session not found");
               auto id = *sid;
               if (who.api_key && !who.api_key->covers(id)) {
                 throw http::ApiError(http::ErrorKind::not_found, "session not found");
               }
               auto user = who.user_id;
               auto t = ctx.now_ms();
               auto row = co_await ctx.db.run(
                   [&](db::Connection& c) { return sessions::repo::find(c, id, user, t); });
               if (!row) throw http::ApiError(http::ErrorKind::not_found, "session not found");
               co_return accept(req, who.user_id, id, req.query_param("token").value_or(""),
                                who.api_key);
             });
}

}  // namespace gw::api

#pragma once
// /api/v1/sessions…: create, list, read, update, delete WhatsApp sessions; start, stop,
// reconnect; QR code and phone-number pairing code. And the dashboard's
// WebSockets, /ws/sessions/:id and /ws. Thin handlers: validate, call the session
// manager or the repository, shape the answer. Another user's session is 404 everywhere.
#include <functional>

#include "app/context.hpp"
#include "events/hub.hpp"
#include "http/router.hpp"
#include "outbound/message_log.hpp"
#include "outbound/sender.hpp"
#include "sessions/manager.hpp"
#include "webhooks/http_client.hpp"

namespace gw::api {

/// The :id of a session route, lower-cased as stored; ApiError 400 when it is not a UUID.
std::string session_id_of(const http::Request& req);

/// Whether session `id` exists and belongs to `user` (routes answer 404 otherwise).
bool owns_session(db::Connection& c, const std::string& id, const std::string& user);

void register_session_routes(http::Router& router, app::Context& ctx, sessions::Manager& manager);
/// /api/v1/sessions/:id/deliveries…: the webhook outbox of a session; `wake_worker` makes the
/// delivery worker look at the queue now.
void register_webhook_routes(http::Router& router, app::Context& ctx,
                             const std::function<void()>& wake_worker);
/// /api/v1/sessions/:id/send and /messages…: sending, and the message log with delivery status;
/// `media_url` signs the URLs of stored incoming attachments.
void register_message_routes(http::Router& router, app::Context& ctx, outbound::Sender& sender,
                             webhooks::HttpClient& media_client, outbound::MediaUrlFn media_url);
/// /api/v1/sessions/:id/webhooks… (webhook subscriptions), …/messages/:message_id/read and
/// …/typing.
void register_subscription_routes(http::Router& router, app::Context& ctx,
                                  sessions::Manager& manager);
void register_ws_routes(http::Router& router, app::Context& ctx, sessions::Manager& manager,
                        events::Hub& hub);

}  // namespace gw::api

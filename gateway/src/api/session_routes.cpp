#include "api/session_routes.hpp"

#include <algorithm>
#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "auth/crypto.hpp"
#include "cluster/cluster.hpp"
#include "events/translate.hpp"
#include "http/envelope.hpp"
#include "http/json_body.hpp"
#include "log/log.hpp"
#include "sessions/repository.hpp"
#include "sessions/validation.hpp"
#include "util/strings.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;
using sessions::SessionRow;
using sessions::Snapshot;

constexpr std::size_t kMaxSessionBody = 16 * 1024;
constexpr int kMaxSessionDepth = 4;

}  // namespace

std::string session_id_of(const http::Request& req) {
  auto id = sessions::normalize_session_id(req.param("id"));
  if (!id) {
    throw http::ApiError(http::ErrorKind::bad_request, "session id must be a UUID",
                         json::object{{"id", "not a UUID"}});
  }
  return *id;
}

bool owns_session(db::Connection& c, const std::string& id, const std::string& user) {
  return !c.query("SELECT 1 FROM sessions WHERE id = ? AND user_id = ?", {id, user}).rows.empty();
}

namespace {

[[noreturn]] void not_found() {
  throw http::ApiError(http::ErrorKind::not_found, "session not found");
}

json::value opt(const std::optional<std::string>& v) {
  if (v) return json::string(*v);
  return nullptr;
}

// The row as the API shows it, with the live state of the session manager over the stored one.
struct View {
  std::string status;
  std::optional<std::string> reason, detail, phone, device_info;
  std::string qr_png, qr_text, pair_code;
  int expires_in = 0;
  std::optional<std::string> node;  // cluster mode: the node running it
};

View view_of(const SessionRow& row, std::optional<Snapshot> live, const app::Context& ctx) {
  View v;
  if (ctx.cluster) {
    // The live lease as read with the row, or this node when it holds the lease (it may have
    // taken it after the read).
    v.node = row.lease_node;
    if (ctx.cluster->owner_of(row.id) == ctx.cluster->node_id()) v.node = ctx.cluster->node_id();
    // Another node runs it: what this node remembers of it is stale; the row is what the owner
    // wrote.
    if (v.node != ctx.cluster->node_id()) live.reset();
  }
  if (live) {
    v.status = live->status;
    v.reason = live->reason;
    v.detail = live->detail;
    v.phone = live->phone_number ? live->phone_number : row.phone_number;
    v.device_info = live->device_info ? live->device_info : row.device_info;
    v.qr_png = live->qr_png;
    v.qr_text = live->qr_text;
    v.pair_code = live->pair_code;
    v.expires_in = live->qr_expires_in;
  } else {
    v.status = row.status;
    v.reason = row.status_reason;
    v.detail = row.status_detail;
    v.phone = row.phone_number;
    v.device_info = row.device_info;
  }
  return v;
}

void put_qr(json::object& o, const View& v) {
  o["qr_code"] = v.qr_png.empty() ? json::value(nullptr) : json::value(v.qr_png);
  o["qr_text"] = v.qr_text.empty() ? json::value(nullptr) : json::value(v.qr_text);
  o["expires_in"] = v.qr_text.empty() ? json::value(nullptr) : json::value(v.expires_in);
}

json::object list_item(const SessionRow& row, const View& v, int64_t now_ms) {
  json::object o;
  o["session_id"] = row.id;
  o["session_name"] = row.name;
  o["webhook_url"] = row.webhook_url;
  o["status"] = v.status;
  o["status_reason"] = opt(v.reason);
  o["phone_number"] = opt(v.phone);
  o["last_connected"] = opt(row.last_connected);
  o["uptime_percentage"] = sessions::uptime_percentage(row, now_ms);
  o["created_at"] = row.created_at;
  o["node_id"] = opt(v.node);
  return o;
}

json::object detail(const SessionRow& row, const View& v, int64_t now_ms) {
  json::object o = list_item(row, v, now_ms);
  o["status_detail"] = opt(v.detail);
  put_qr(o, v);
  o["device_info"] = events::json_or_null(v.device_info);
  o["ignore_jids"] = events::json_or_null(row.ignore_jids);
  json::array events;
  for (const auto& e : util::split_list(row.webhook_events, ',')) events.emplace_back(e);
  o["webhook_events"] = std::move(events);
  o["updated_at"] = row.updated_at;
  return o;
}

// `node`: cluster mode, the node that runs the session now (this one after a start), else null.
json::object state_of(const std::string& id, const Snapshot& s,
                      const std::optional<std::string>& node = std::nullopt) {
  json::object o;
  o["session_id"] = id;
  o["node_id"] = opt(node);
  o["status"] = s.status;
  o["status_reason"] = opt(s.reason);
  o["status_detail"] = opt(s.detail);
  o["phone_number"] = opt(s.phone_number);
  View v;
  v.qr_png = s.qr_png;
  v.qr_text = s.qr_text;
  v.expires_in = s.qr_expires_in;
  put_qr(o, v);
  return o;
}

std::string start_message(const Snapshot& s) {
  if (s.status == "qr") {
    return s.pair_code.empty() ? "Please scan the QR code to connect WhatsApp"
                               : "Enter the pairing code on the phone";
  }
  if (s.status == "connected") return "Session connected";
  if (s.reason == "connecting" || s.reason == "reconnecting") return "Session is connecting";
  return "Session is disconnected" + (s.reason ? " (" + *s.reason + ")" : std::string());
}

json::object body_object(const http::Request& req) {
  return http::require_json_object(req.body, kMaxSessionBody, kMaxSessionDepth);
}

// A string field: nullopt when absent; 400 when present with another type.
std::optional<std::string> string_field(const json::object& o, std::string_view name,
                                        json::object& errors) {
  auto it = o.find(name);
  if (it == o.end()) return std::nullopt;
  if (!it->value().is_string()) {
    errors[name] = "must be a string";
    return std::nullopt;
  }
  return std::string(it->value().as_string());
}

struct Fields {
  std::optional<std::string> name, url;
  std::optional<std::string> ignore_jids;     // JSON array text
  std::optional<std::string> webhook_events;  // comma-separated
};

constexpr std::size_t kMaxIgnored = 500;
constexpr std::array<std::string_view, 4> kEvents = {"message.received", "message.status",
                                                     "message.waiting", "session.status"};

// An ignore_jids entry: a phone number (digits), a LID user, a group or user JID, or one of the
// words "status" (status broadcasts) and "newsletter".
bool valid_ignore_entry(std::string_view v) {
  if (v == "status" || v == "newsletter") return true;
  if (v.empty() || v.size() > 128) return false;
  auto at = v.find('@');
  auto user = v.substr(0, at);
  if (user.empty() || user.size() > 64) return false;
  for (char ch : user) {
    if (!(ch >= '0' && ch <= '9') && ch != '-') return false;
  }
  if (at == std::string_view::npos) return true;
  auto server = v.substr(at + 1);
  return server == "s.whatsapp.net" || server == "g.us" || server == "lid";
}

Fields validated_fields(const json::object& body, bool require_all, bool allow_private) {
  json::object errors;
  Fields f;
  auto name = string_field(body, "session_name", errors);
  auto url = string_field(body, "webhook_url", errors);
  if (name) {
    std::string trimmed;
    if (auto err = sessions::validate_session_name(*name, trimmed)) {
      errors["session_name"] = *err;
    } else {
      f.name = trimmed;
    }
  } else if (require_all && !errors.contains("session_name")) {
    errors["session_name"] = "required";
  }
  if (url) {
    if (auto err = sessions::validate_webhook_url(*url, allow_private)) {
      errors["webhook_url"] = *err;
    } else {
      f.url = *url;
    }
  } else if (require_all && !errors.contains("webhook_url")) {
    errors["webhook_url"] = "required";
  }
  if (auto it = body.find("ignore_jids"); it != body.end()) {
    const char* why = "an array of up to 500 phone numbers, JIDs, \"status\" or \"newsletter\"";
    if (!it->value().is_array() || it->value().as_array().size() > kMaxIgnored) {
      errors["ignore_jids"] = why;
    } else {
      json::array clean;
      for (const auto& v : it->value().as_array()) {
        if (!v.is_string()) {
          errors["ignore_jids"] = why;
          break;
        }
        std::string e(v.as_string());
        if (!e.empty() && e.front() == '+') e.erase(0, 1);
        if (!valid_ignore_entry(e)) {
          errors["ignore_jids"] = "not a phone number, JID, \"status\" or \"newsletter\": " +
                                  std::string(v.as_string());
          break;
        }
        clean.emplace_back(e);
      }
      if (!errors.contains("ignore_jids")) f.ignore_jids = json::serialize(clean);
    }
  }
  if (auto it = body.find("webhook_events"); it != body.end()) {
    std::string csv;
    bool ok = it->value().is_array();
    if (ok) {
      for (const auto& v : it->value().as_array()) {
        if (!v.is_string() || std::find(kEvents.begin(), kEvents.end(),
                                        std::string_view(v.as_string())) == kEvents.end()) {
          ok = false;
          break;
        }
        if (!csv.empty()) csv += ",";
        csv += v.as_string();
      }
    }
    if (!ok) {
      errors["webhook_events"] =
          "an array of message.received, message.status, message.waiting, session.status";
    } else {
      f.webhook_events = csv;
    }
  }
  if (!require_all && !name && !url && !f.ignore_jids && !f.webhook_events && errors.empty()) {
    errors["body"] = "give session_name, webhook_url, ignore_jids and/or webhook_events";
  }
  if (!errors.empty()) {
    throw http::ApiError(http::ErrorKind::validation, "invalid session fields", errors);
  }
  return f;
}

// Per-user cache of the session list answer (see the route). Bounded: cleared when it holds
// more than kListCacheUsers users.
constexpr auto kListCacheAge = std::chrono::milliseconds(1000);
constexpr std::size_t kListCacheUsers = 10'000;

class ListCache {
 public:
  // The cached answer while no session changed and it is younger than kListCacheAge. When only
  // its age ran out, the first caller rebuilds it and the others keep getting the previous answer
  // meanwhile (up to twice the age), so an expiry costs one rebuild, not one per open connection.
  std::optional<http::Response> get(const std::string& user, uint64_t version) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(user);
    if (it == entries_.end() || it->second.version != version) return std::nullopt;
    auto age = std::chrono::steady_clock::now() - it->second.at;
    if (age <= kListCacheAge) return it->second.response;
    if (it->second.refreshing && age <= 2 * kListCacheAge) return it->second.response;
    it->second.refreshing = true;
    return std::nullopt;
  }
  void put(const std::string& user, uint64_t version, const http::Response& r) {
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kListCacheUsers) entries_.clear();
    entries_[user] = {version, std::chrono::steady_clock::now(), r, false};
  }

 private:
  struct Entry {
    uint64_t version = 0;
    std::chrono::steady_clock::time_point at;
    http::Response response;
    bool refreshing = false;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

[[noreturn]] void duplicate_name() {
  throw http::ApiError(http::ErrorKind::conflict, "you already have a session with this name",
                       json::object{{"session_name", "already used"}});
}

// A refused session operation as an API error.
[[noreturn]] void rethrow_session_error(const sessions::SessionError& e) {
  throw http::ApiError(e.kind() == sessions::SessionError::Kind::conflict
                           ? http::ErrorKind::conflict
                           : http::ErrorKind::unavailable,
                       e.what());
}

}  // namespace

void register_session_routes(http::Router& router, app::Context& ctx, sessions::Manager& mgr) {
  using http::Access;
  using http::Body;
  using Res = boost::asio::awaitable<http::Response>;
  auto& db = ctx.db;
  auto now = ctx.now_ms;
  const bool allow_private = ctx.config.webhook_allow_private_networks;

  // Loads the caller's session or answers 404.
  auto load = [&db, now](const http::Request& req,
                         const std::string& id) -> boost::asio::awaitable<SessionRow> {
    auto user = *req.user_id;
    auto t = now();
    auto row =
        co_await db.run([&](db::Connection& c) { return sessions::repo::find(c, id, user, t); });
    if (!row) not_found();
    co_return *row;
  };

  // A key limited to some sessions cannot create one (Access::unlimited): it could not reach it.
  router.add(
      "POST", "/api/v1/sessions", Access::unlimited,
      [&db, &ctx, now, allow_private, &mgr](http::Request& req) -> Res {
        auto f = validated_fields(body_object(req), true, allow_private);
        auto id = auth::uuid_v4();
        auto user = *req.user_id;
        auto t = now();
        SessionRow row;
        try {
          row = co_await db.run([&](db::Connection& c) {
            return sessions::repo::insert(c, id, user, *f.name, *f.url, t);
          });
        } catch (const db::DbError& e) {
          if (e.kind() == db::DbError::Kind::unique_violation) duplicate_name();
          throw;
        }
        log::info("session created", {{"session_id", id}, {"user_id", user}});
        mgr.bump_version();
        auto o = detail(row, view_of(row, mgr.snapshot(id), ctx), t);
        co_return http::ok(
            o, "Session created successfully. Please start the session to get QR code.", 201);
      },
      Body::json);

  // The list is the dashboard's (and monitoring's) most frequent call and grows with the number
  // of sessions (1,000 sessions: ~300 KB of JSON). Each user's answer is kept while no session
  // changed (Manager::state_version) and for about kListCacheAge (at most twice that while it is
  // being rebuilt), so uptime_percentage, which moves with time alone, is never older.
  // An API key limited to some sessions sees only those: its answer is cached under the key's id
  // (its list never grows, and a deletion changes the state version).
  auto cache = std::make_shared<ListCache>();
  router.add("GET", "/api/v1/sessions", Access::any_caller,
             [&db, &ctx, now, &mgr, cache](http::Request& req) -> Res {
               auto user = *req.user_id;
               const bool limited = req.api_key && req.api_key->limited();
               const auto cache_key = limited ? "key:" + req.api_key->key_id : user;
               const auto version = mgr.state_version();
               if (auto hit = cache->get(cache_key, version)) co_return *hit;
               auto t = now();
               auto rows = co_await db.run(
                   [&](db::Connection& c) { return sessions::repo::list_for_user(c, user, t); });
               json::array out;
               out.reserve(rows.size());
               for (const auto& row : rows) {
                 if (!req.may_access_session(row.id)) continue;
                 out.push_back(list_item(row, view_of(row, mgr.snapshot(row.id), ctx), t));
               }
               auto res = http::ok(std::move(out), "Sessions retrieved successfully");
               cache->put(cache_key, version, res);
               co_return res;
             });

  router.add("GET", "/api/v1/sessions/:id", Access::authenticated,
             [load, &ctx, now, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto row = co_await load(req, id);
               co_return http::ok(detail(row, view_of(row, mgr.snapshot(id), ctx), now()),
                                  "Session retrieved successfully");
             });

  router.add(
      "PUT", "/api/v1/sessions/:id", Access::authenticated,
      [&db, &ctx, now, allow_private, &mgr](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto f = validated_fields(body_object(req), false, allow_private);
        auto user = *req.user_id;
        auto t = now();
        std::optional<SessionRow> row;
        try {
          sessions::repo::SessionUpdate u{f.name, f.url, f.ignore_jids, f.webhook_events};
          row = co_await db.run(
              [&](db::Connection& c) { return sessions::repo::update(c, id, user, u, t); });
        } catch (const db::DbError& e) {
          if (e.kind() == db::DbError::Kind::unique_violation) duplicate_name();
          throw;
        }
        if (!row) not_found();
        mgr.bump_version();
        auto o = detail(*row, view_of(*row, mgr.snapshot(id), ctx), t);
        co_return http::ok(o, "Session updated successfully");
      },
      Body::json);

  // Not with a key limited to sessions (Access::unlimited): such a key is for using sessions.
  router.add("DELETE", "/api/v1/sessions/:id", Access::unlimited,
             [load, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto guard = co_await mgr.lock(id);
               auto row = co_await load(req, id);
               bool logged_out = co_await mgr.remove(row);
               mgr.bump_version();
               co_return http::ok(json::object{{"session_id", id}, {"logged_out", logged_out}},
                                  "Session deleted successfully");
             });

  // Cluster mode: these run on the node that runs (or takes) the session; its id is node_id.
  auto here = [&ctx](const Snapshot& s) -> std::optional<std::string> {
    if (!ctx.cluster || !s.running) return std::nullopt;
    return ctx.cluster->node_id();
  };

  router.add("POST", "/api/v1/sessions/:id/start", Access::authenticated,
             [load, here, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto guard = co_await mgr.lock(id);
               auto row = co_await load(req, id);
               auto s = co_await mgr.start(row);
               auto o = state_of(id, s, here(s));
               o["message"] = start_message(s);
               co_return http::ok(o, start_message(s));
             });

  router.add("POST", "/api/v1/sessions/:id/stop", Access::authenticated,
             [load, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto guard = co_await mgr.lock(id);
               co_await load(req, id);
               auto s = co_await mgr.stop(id);
               mgr.bump_version();
               co_return http::ok(state_of(id, s), "Session stopped");
             });

  router.add("POST", "/api/v1/sessions/:id/reconnect", Access::authenticated,
             [load, here, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto guard = co_await mgr.lock(id);
               auto row = co_await load(req, id);
               auto s = co_await mgr.reconnect(row);
               auto o = state_of(id, s, here(s));
               o["message"] = start_message(s);
               co_return http::ok(o, s.status == "connected" ? "Session reconnected successfully"
                                                             : start_message(s));
             });

  router.add("GET", "/api/v1/sessions/:id/qr", Access::authenticated,
             [load, &ctx, &mgr](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto row = co_await load(req, id);
               auto live = mgr.snapshot(id);
               auto v = view_of(row, live, ctx);
               if (v.status != "qr" || v.qr_text.empty()) {
                 throw http::ApiError(
                     http::ErrorKind::conflict,
                     "no QR code to show: the session is " + v.status +
                         (v.reason ? " (" + *v.reason + ")" : std::string()) +
                         (v.status == "disconnected" ? "; POST /start to get one" : ""));
               }
               json::object o{{"status", v.status}};
               put_qr(o, v);
               co_return http::ok(o, "QR code retrieved successfully");
             });

  // The key of X-Webhook-Signature (issue: signed webhooks). Readable by the owner, rotatable;
  // deliveries already queued are signed with the key current when they are sent.
  router.add("GET", "/api/v1/sessions/:id/webhook-secret", Access::authenticated,
             [&db](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               auto secret = co_await db.run([&](db::Connection& c) {
                 return sessions::repo::webhook_secret(c, id, user, false);
               });
               if (!secret) not_found();
               co_return http::ok(json::object{{"secret", *secret}}, "Webhook secret");
             });
  router.add("POST", "/api/v1/sessions/:id/webhook-secret/rotate", Access::authenticated,
             [&db](http::Request& req) -> Res {
               auto id = session_id_of(req);
               auto user = *req.user_id;
               auto secret = co_await db.run([&](db::Connection& c) {
                 return sessions::repo::webhook_secret(c, id, user, true);
               });
               if (!secret) not_found();
               log::info("webhook secret rotated", {{"session_id", id}});
               co_return http::ok(json::object{{"secret", *secret}}, "Webhook secret rotated");
             });

  router.add(
      "POST", "/api/v1/sessions/:id/pair-code", Access::authenticated,
      [load, &mgr](http::Request& req) -> Res {
        auto id = session_id_of(req);
        auto body = body_object(req);
        json::object errors;
        auto phone_raw = string_field(body, "phone", errors);
        std::optional<std::string> phone;
        if (phone_raw) phone = sessions::normalize_phone(*phone_raw);
        if (!phone) {
          if (!errors.contains("phone")) {
            errors["phone"] = "a phone number with country code, 7-15 digits, e.g. 6281234567890";
          }
          throw http::ApiError(http::ErrorKind::validation, "invalid phone number", errors);
        }
        auto guard = co_await mgr.lock(id);
        auto row = co_await load(req, id);
        std::string code;
        try {
          code = co_await mgr.pair_code(row, *phone);
        } catch (const sessions::SessionError& e) {
          rethrow_session_error(e);
        }
        co_return http::ok(json::object{{"session_id", id}, {"code", code}, {"phone", *phone}},
                           "Enter this code on the phone: WhatsApp > Linked devices > Link with "
                           "phone number");
      },
      Body::json);
}

}  // namespace gw::api

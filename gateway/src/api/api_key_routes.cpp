#include "api/api_key_routes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "auth/api_keys.hpp"
#include "http/envelope.hpp"
#include "http/json_body.hpp"
#include "log/log.hpp"
#include "sessions/repository.hpp"
#include "sessions/validation.hpp"

namespace gw::api {

namespace {

namespace json = boost::json;

// Room for kMaxApiKeySessions ids (~40 bytes each in JSON).
constexpr std::size_t kMaxApiKeyBody = std::size_t{64} * 1024;
constexpr int kMaxApiKeyDepth = 4;
constexpr std::size_t kMaxKeyNameChars = 100;

struct NewKeyFields {
  std::string name;
  std::optional<std::vector<std::string>> session_ids;
};

// A value quoted in an error message, cut short so that the message stays readable.
std::string quoted(std::string_view v) {
  constexpr std::size_t kMax = 64;
  return "\"" + std::string(v.substr(0, kMax)) + (v.size() > kMax ? "…" : "") + "\"";
}

// {name, session_ids?}; 400 with one entry per bad field.
NewKeyFields validated_fields(const http::Request& req) {
  auto body = http::require_json_object(req.body, kMaxApiKeyBody, kMaxApiKeyDepth);
  json::object errors;
  NewKeyFields f;
  if (auto it = body.find("name"); it == body.end()) {
    errors["name"] = "required";
  } else if (!it->value().is_string()) {
    errors["name"] = "must be a string";
  } else if (auto err = sessions::validate_label(std::string_view(it->value().as_string()),
                                                 kMaxKeyNameChars, "name", f.name)) {
    errors["name"] = *err;
  }
  if (auto it = body.find("session_ids"); it != body.end() && !it->value().is_null()) {
    const auto& v = it->value();
    if (!v.is_array()) {
      errors["session_ids"] = "an array of session ids, or leave it out for all sessions";
    } else if (v.as_array().empty()) {
      errors["session_ids"] =
          "give at least one session id, or leave session_ids out for all sessions";
    } else if (v.as_array().size() > auth::kMaxApiKeySessions) {
      errors["session_ids"] =
          "at most " + std::to_string(auth::kMaxApiKeySessions) + " session ids";
    } else {
      std::vector<std::string> ids;
      for (const auto& e : v.as_array()) {
        std::optional<std::string> id;
        if (e.is_string()) id = sessions::normalize_session_id(std::string_view(e.as_string()));
        if (!id) {
          errors["session_ids"] =
              "not a session id (a UUID): " +
              (e.is_string() ? quoted(std::string_view(e.as_string())) : json::serialize(e));
          break;
        }
        ids.push_back(std::move(*id));
      }
      if (!errors.contains("session_ids")) f.session_ids = std::move(ids);
    }
  }
  if (!errors.empty()) {
    throw http::ApiError(http::ErrorKind::validation, "invalid API key fields", errors);
  }
  return f;
}

json::object key_json(const auth::ApiKeyRecord& k) {
  json::object o;
  o["id"] = k.id;
  o["name"] = k.name;
  o["prefix"] = k.prefix;
  if (k.session_ids) {
    json::array ids;
    for (const auto& id : *k.session_ids) ids.emplace_back(id);
    o["session_ids"] = std::move(ids);
  } else {
    o["session_ids"] = nullptr;
  }
  o["created_at"] = k.created_at;
  o["last_used_at"] = k.last_used_at ? json::value(*k.last_used_at) : json::value(nullptr);
  return o;
}

}  // namespace

void register_api_key_routes(http::Router& router, app::Context& ctx) {
  using http::Access;
  using Res = boost::asio::awaitable<http::Response>;

  router.add(
      "POST", "/api/v1/api-keys", Access::login_only,
      [&ctx](http::Request& req) -> Res {
        auto f = validated_fields(req);
        auto user = *req.user_id;
        auto t = ctx.now_ms();
        auth::NewApiKey created;
        try {
          created = co_await ctx.db.run([&](db::Connection& c) {
            return auth::create_api_key(c, user, f.name, f.session_ids, t);
          });
        } catch (const auth::ApiKeyError& e) {
          if (e.kind() == auth::ApiKeyError::Kind::too_many) {
            throw http::ApiError(http::ErrorKind::conflict, e.what());
          }
          throw http::ApiError(http::ErrorKind::validation, "invalid API key fields",
                               json::object{{"session_ids", e.what()}});
        }
        log::info(
            "api key created",
            {{"key_id", created.record.id}, {"user_id", user}, {"request_id", req.request_id}});
        auto o = key_json(created.record);
        o["key"] = created.key;
        co_return http::ok(o, "API key created. Copy the key now: it is not shown again.", 201);
      },
      http::Body::json);

  router.add("GET", "/api/v1/api-keys", Access::login_only, [&ctx](http::Request& req) -> Res {
    auto user = *req.user_id;
    auto keys =
        co_await ctx.db.run([&user](db::Connection& c) { return auth::list_api_keys(c, user); });
    json::array out;
    for (const auto& k : keys) out.push_back(key_json(k));
    co_return http::ok(std::move(out), "API keys retrieved successfully");
  });

  router.add("DELETE", "/api/v1/api-keys/:id", Access::login_only,
             [&ctx](http::Request& req) -> Res {
               auto id = sessions::normalize_session_id(req.param("id"));
               if (!id) {
                 throw http::ApiError(http::ErrorKind::bad_request, "API key id must be a UUID",
                                      json::object{{"id", "not a UUID"}});
               }
               auto user = *req.user_id;
               bool deleted = co_await ctx.db.run(
                   [&](db::Connection& c) { return auth::delete_api_key(c, user, *id); });
               if (!deleted) throw http::ApiError(http::ErrorKind::not_found, "API key not found");
               // Refused from the next request on, whatever this process had confirmed.
               ctx.auth.forget_api_key(*id);
               log::info("api key revoked",
                         {{"key_id", *id}, {"user_id", user}, {"request_id", req.request_id}});
               co_return http::ok(json::object{{"id", *id}}, "API key revoked");
             });
}

}  // namespace gw::api

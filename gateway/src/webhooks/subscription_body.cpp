// The body of POST /api/v1/sessions/:id/webhooks (its own translation unit: the fuzz target
// fuzz/gateway/subscription_body_fuzz.cpp builds it without the database).
#include <algorithm>

#include "http/errors.hpp"
#include "sessions/validation.hpp"
#include "webhooks/subscriptions.hpp"

namespace gw::webhooks {

namespace json = boost::json;

namespace {

bool known_event(std::string_view e) {
  return std::find(std::begin(kSubscriptionEvents), std::end(kSubscriptionEvents), e) !=
         std::end(kSubscriptionEvents);
}

}  // namespace

SubscriptionFields parse_subscription(const json::object& body, bool allow_private) {
  json::object errors;
  SubscriptionFields f;
  auto url = body.find("url");
  if (url == body.end()) {
    errors["url"] = "required";
  } else if (!url->value().is_string()) {
    errors["url"] = "must be a string";
  } else {
    std::string u(url->value().as_string());
    if (auto err = sessions::validate_webhook_url(u, allow_private)) {
      errors["url"] = *err;
    } else {
      f.url = std::move(u);
    }
  }
  const char* why =
      "a non-empty array of message.received, message.status, message.waiting, session.status";
  if (auto ev = body.find("events"); ev == body.end()) {
    f.events = {"message.received"};
  } else if (!ev->value().is_array() || ev->value().as_array().empty() ||
             ev->value().as_array().size() > 16) {
    errors["events"] = why;
  } else {
    for (const auto& v : ev->value().as_array()) {
      if (!v.is_string() || !known_event(v.as_string())) {
        errors["events"] = v.is_string()
                               ? std::string("unknown event: ") +
                                     std::string(v.as_string()).substr(0, 64) + " (" + why + ")"
                               : std::string(why);
        break;
      }
      std::string e(v.as_string());
      if (std::find(f.events.begin(), f.events.end(), e) == f.events.end())
        f.events.push_back(std::move(e));
    }
  }
  if (!errors.empty())
    throw http::ApiError(http::ErrorKind::validation, "invalid webhook subscription", errors);
  return f;
}

}  // namespace gw::webhooks

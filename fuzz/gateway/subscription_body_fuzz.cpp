// Fuzzes the body of POST /api/v1/sessions/:id/webhooks (webhook subscriptions): JSON parsing as
// the route does it, then the url/events validation.
// Invariants: no crash; a refusal is an http::ApiError with a message, and a validation refusal
// names url and/or events; an accepted body has a URL the lenient webhook rules accept and 1-4
// distinct known events; what the strict policy accepts, the lenient one accepts too.
#include <algorithm>
#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/errors.hpp"
#include "http/json_body.hpp"
#include "sessions/validation.hpp"
#include "webhooks/subscriptions.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gw;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  boost::json::object body;
  try {
    body = http::require_json_object(in, 16 * 1024, 4);
  } catch (const http::ApiError& e) {
    check(*e.what() != '\0');
    return 0;
  }
  bool strict_ok = false;
  for (bool allow_private : {false, true}) {
    try {
      auto f = webhooks::parse_subscription(body, allow_private);
      check(!sessions::validate_webhook_url(f.url, true));
      check(!f.events.empty() && f.events.size() <= 4);
      for (std::size_t i = 0; i < f.events.size(); ++i) {
        check(std::find(std::begin(webhooks::kSubscriptionEvents),
                        std::end(webhooks::kSubscriptionEvents),
                        f.events[i]) != std::end(webhooks::kSubscriptionEvents));
        check(std::count(f.events.begin(), f.events.end(), f.events[i]) == 1);
      }
      if (!allow_private) strict_ok = true;
    } catch (const http::ApiError& e) {
      check(*e.what() != '\0');
      check(e.kind() == http::ErrorKind::validation);
      const auto& d = e.details();
      check(d.is_object() && (d.as_object().contains("url") || d.as_object().contains("events")));
      check(!(allow_private && strict_ok));
    }
  }
  return 0;
}

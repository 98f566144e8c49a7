#pragma once
// Route table: method + path pattern ("/api/v1/sessions/:id") -> handler.
// Thread safety: routes are added before the server starts; match() is const and safe from any
// thread afterwards.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace gw::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

/// Who may call a route. Credentials are a login token (JWT) or an API key; the
/// pipeline enforces this, so a route that forgets about API keys fails closed for them.
enum class Access {
  public_route,  // no credentials needed (WebSocket routes check ?token= themselves)
  /// A login token or an API key. A key limited to some sessions may call it only when the path
  /// names one of them (the ":param" after a "sessions" segment, Route::session_param): another
  /// session is 404, a route that names none is 403.
  authenticated,
  /// A login token or any API key; the handler itself shows a limited key only its sessions
  /// (Request::may_access_session), e.g. the session list.
  any_caller,
  /// A login token or an API key not limited to sessions (create or delete a session).
  unlimited,
  /// A login token only: managing API keys and logging out need a user login; keys get 403.
  login_only,
};

/// What a route's body is. A JSON route refuses a non-empty body of another Content-Type (415).
enum class Body { none, json };

struct Route {
  std::string method;
  std::string pattern;
  Access access = Access::authenticated;
  Handler handler;
  Body body = Body::none;
  std::vector<std::string> segments;  // pattern split on '/', ":name" marks a parameter
  /// The name of the parameter that holds a session id: the ":name" right after a literal
  /// "sessions" segment ("/api/v1/sessions/:id/qr" -> "id"); empty when the path names none.
  std::string session_param;
};

class Router {
 public:
  /// Adds a route. Patterns start with '/'; a segment ":name" captures one non-empty segment.
  void add(std::string method, std::string pattern, Access access, Handler handler,
           Body body = Body::none);

  enum class Outcome { found, not_found, method_not_allowed };
  struct Match {
    Outcome outcome = Outcome::not_found;
    const Route* route = nullptr;                             // when found
    std::vector<std::pair<std::string, std::string>> params;  // when found
    std::vector<std::string> allowed;                         // when method_not_allowed
    std::string pattern;  // matched pattern, also for method_not_allowed
  };

  /// Finds the route for a path. Literal segments win over parameters when both match.
  [[nodiscard]] Match match(std::string_view method, std::string_view path) const;
  [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

  /// A public handler for GET and HEAD requests that match no route and whose path is not one of
  /// the API's (http::is_reserved_path): the dashboard's single-page app. Unset: such requests
  /// get the JSON 404 like any other.
  void set_fallback(Handler handler) { fallback_ = std::move(handler); }
  [[nodiscard]] const Handler& fallback() const { return fallback_; }

 private:
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace gw::http

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

/// Who may call a route.
enum class Access {
  public_route,   // no token needed
  authenticated,  // a valid, unrevoked bearer token
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

 private:
  std::vector<Route> routes_;
};

}  // namespace gw::http

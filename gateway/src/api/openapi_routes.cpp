#include "api/openapi_routes.hpp"

#include <string>

#include "http/errors.hpp"

namespace gw::api {

void register_openapi_routes(http::Router& router, const http::StaticSite& site) {
  router.add("GET", "/api/openapi.json", http::Access::public_route,
             [](http::Request&) -> boost::asio::awaitable<http::Response> {
               http::Response res;
               res.content_type = "application/json";
               res.headers.set("Cache-Control", "no-cache");
               res.body = std::string(openapi_document());
               co_return res;
             });
  router.add("GET", "/api/docs", http::Access::public_route,
             [&site](http::Request& req) -> boost::asio::awaitable<http::Response> {
               // The page and its files live in the dashboard build under /api-docs/.
               http::Request page = req;
               page.path = "/api-docs/index.html";
               auto res = site.serve(page);
               if (!res) {
                 throw http::ApiError(http::ErrorKind::not_found,
                                      "the API reference is not built: run npm run build -w "
                                      "frontend (the JSON is at /api/openapi.json)");
               }
               co_return std::move(*res);
             });
}

}  // namespace gw::api

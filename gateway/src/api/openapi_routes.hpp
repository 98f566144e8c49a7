#pragma once
// The API reference: GET /api/openapi.json answers docs/openapi.json (embedded in the binary at
// build time by cmake/EmbedOpenApi.cmake), GET /api/docs the rendered reference that the
// dashboard build puts in api-docs/ (docs/API.md, "Reference").
#include <string_view>

#include "http/router.hpp"
#include "http/static_site.hpp"

namespace gw::api {

/// docs/openapi.json as it was at build time.
std::string_view openapi_document();

/// Registers GET /api/openapi.json and GET /api/docs. `site` (the built dashboard) outlives the
/// router; without its api-docs/index.html, /api/docs is a 404 saying how to build it.
void register_openapi_routes(http::Router& router, const http::StaticSite& site);

}  // namespace gw::api

#pragma once
// The API's JSON envelope:
//   success: {"success": true,  "data": ..., "message": "..."}
//   error:   {"success": false, "message": "...", "error": {"code": "...", "details": ...}}
#include <boost/json/value.hpp>
#include <string_view>

#include "http/errors.hpp"
#include "http/message.hpp"

namespace gw::http {

/// A success envelope. `data` null is omitted (as in the logout response).
Response ok(boost::json::value data, std::string_view message, int status = 200);
/// The error envelope for an ApiError, with its mapped status.
Response error_response(const ApiError& err);
/// Shorthand for error_response(ApiError(kind, message)).
Response error_response(ErrorKind kind, std::string_view message);
/// A JSON response with an arbitrary body (for endpoints with a fixed shape of their own, e.g.
/// /health).
Response json_response(const boost::json::value& body, int status = 200);

}  // namespace gw::http

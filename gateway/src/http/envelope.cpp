#include "http/envelope.hpp"

#include <boost/json/object.hpp>

#include "util/json_text.hpp"

namespace gw::http {

Response json_response(const boost::json::value& body, int status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = util::json_text(body);
  return r;
}

Response ok(boost::json::value data, std::string_view message, int status) {
  boost::json::object o;
  o["success"] = true;
  if (!data.is_null()) o["data"] = std::move(data);
  o["message"] = message;
  return json_response(o, status);
}

Response error_response(const ApiError& err) {
  boost::json::object error;
  error["code"] = error_code(err.kind());
  if (!err.details().is_null()) error["details"] = err.details();
  boost::json::object o;
  o["success"] = false;
  o["message"] = err.what();
  o["error"] = std::move(error);
  return json_response(o, http_status(err.kind()));
}

Response error_response(ErrorKind kind, std::string_view message) {
  return error_response(ApiError(kind, std::string(message)));
}

}  // namespace gw::http

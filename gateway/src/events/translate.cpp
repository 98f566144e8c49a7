#include "events/translate.hpp"

#include <boost/json/serialize.hpp>

#include "util/time.hpp"

namespace gw::events {

namespace {

boost::json::value opt(const std::optional<std::string>& v) {
  if (v) return boost::json::string(*v);
  return nullptr;
}

std::string envelope(std::string_view type, const std::string& session_id,
                     boost::json::object data) {
  boost::json::object o;
  o["type"] = type;
  o["session_id"] = session_id;
  o["data"] = std::move(data);
  o["timestamp"] = util::iso8601_now();
  return boost::json::serialize(o);
}

}  // namespace

std::string status_update(const SessionStatus& s) {
  boost::json::object d;
  d["status"] = s.status;
  d["status_reason"] = opt(s.reason);
  d["status_detail"] = opt(s.detail);
  d["phone_number"] = opt(s.phone_number);
  d["device_info"] = s.device_info;
  return envelope("status_update", s.session_id, std::move(d));
}

std::string qr_update(const QrCode& q) {
  boost::json::object d;
  d["qr_code"] = q.png_data_url;
  d["qr_text"] = q.text;
  d["expires_in"] = q.expires_in;
  return envelope("qr_update", q.session_id, std::move(d));
}

}  // namespace gw::events

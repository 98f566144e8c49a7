#include "events/translate.hpp"

#include <boost/json/parse.hpp>
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

// {event, event_id, session_id, session_name, timestamp, message}: the webhook body of a message
// event.
std::string webhook_body(std::string_view event, const std::string& event_id,
                         const std::string& session_id, const std::string& session_name,
                         const std::string& timestamp, boost::json::object message) {
  boost::json::object o;
  o["event"] = event;
  o["event_id"] = event_id;
  o["session_id"] = session_id;
  o["session_name"] = session_name;
  o["timestamp"] = timestamp;
  o["message"] = std::move(message);
  return boost::json::serialize(o);
}

}  // namespace

boost::json::value json_or_null(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  boost::system::error_code ec;
  auto v = boost::json::parse(*text, ec);
  if (ec) return nullptr;
  return v;
}

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

namespace {

boost::json::value quoted_json(const IncomingMessage& m) {
  if (!m.quoted) return nullptr;
  return boost::json::object{{"id", m.quoted->id},
                             {"from", m.quoted->from},
                             {"content", m.quoted->content},
                             {"type", m.quoted->type}};
}

boost::json::array numbers(const std::vector<std::string>& v) {
  boost::json::array a;
  for (const auto& n : v) a.emplace_back(n);
  return a;
}

}  // namespace

std::string message_received_webhook(const IncomingMessage& m) {
  boost::json::object msg;
  msg["id"] = m.id;
  msg["from"] = m.from;
  msg["from_lid"] = opt(m.from_lid);
  msg["from_name"] = m.from_name;
  msg["to"] = m.to;
  msg["chat_id"] = m.chat_id;
  msg["type"] = m.type;
  msg["content"] = m.content;
  msg["media_url"] = opt(m.media_url);
  msg["media_error"] = opt(m.media_error);
  msg["is_group"] = m.is_group;
  msg["group_id"] = opt(m.group_id);
  msg["group_name"] = opt(m.group_name);
  msg["is_mention"] = m.is_mention;
  msg["mentioned_numbers"] = numbers(m.mentioned_numbers);
  msg["quoted_message"] = quoted_json(m);
  return webhook_body("message.received", m.event_id, m.session_id, m.session_name, m.timestamp,
                      std::move(msg));
}

std::string message_received_ws(const IncomingMessage& m) {
  boost::json::object d;
  d["message_id"] = m.id;
  d["from"] = m.from;
  d["from_name"] = m.from_name;
  d["chat_id"] = m.chat_id;
  d["type"] = m.type;
  d["content"] = m.content;
  d["is_group"] = m.is_group;
  d["group_id"] = opt(m.group_id);
  d["is_mention"] = m.is_mention;
  d["mentioned_numbers"] = numbers(m.mentioned_numbers);
  d["quoted_message"] = quoted_json(m);
  return envelope("message_received", m.session_id, std::move(d));
}

namespace {
boost::json::object waiting_fields(const WaitingMessage& m) {
  boost::json::object o;
  o["chat_id"] = m.chat_id;
  o["from"] = m.from;
  o["from_lid"] = opt(m.from_lid);
  o["is_group"] = m.is_group;
  o["group_id"] = opt(m.group_id);
  o["reason"] = m.reason;
  return o;
}
}  // namespace

std::string message_waiting_webhook(const WaitingMessage& m) {
  boost::json::object msg{{"id", m.id}};
  for (auto& kv : waiting_fields(m)) msg[kv.key()] = kv.value();
  return webhook_body("message.waiting", m.event_id, m.session_id, m.session_name, m.timestamp,
                      std::move(msg));
}

std::string message_waiting_ws(const WaitingMessage& m) {
  boost::json::object d{{"message_id", m.id}};
  for (auto& kv : waiting_fields(m)) d[kv.key()] = kv.value();
  return envelope("message_waiting", m.session_id, std::move(d));
}

}  // namespace gw::events

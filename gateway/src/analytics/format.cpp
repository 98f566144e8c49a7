#include "analytics/format.hpp"

#include <boost/json/array.hpp>
#include <cstdio>

namespace gw::analytics {

namespace json = boost::json;

namespace {

json::object breakdown_item(const BreakdownRow& b, Period p) {
  json::object o;
  o["date"] = b.label;
  if (p != Period::daily) {
    o["start_date"] = format_date(b.first);
    o["end_date"] = format_date(b.last);
  }
  o["total_messages"] = b.counters.messages;
  o["ai_handled"] = b.counters.ai_handled;
  o["avg_response_time_ms"] = b.counters.avg_response_time_ms();
  o["errors"] = b.counters.errors;
  return o;
}

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

json::object session_json(const SessionInfo& s, const Zone& zone, const SessionQuery& q,
                          const SessionReport& r) {
  json::object o;
  o["session_id"] = s.id;
  o["session_name"] = s.name;
  o["period"] = to_string(q.period);
  o["start_date"] = format_date(q.start);
  o["end_date"] = format_date(q.end);
  o["timezone"] = zone.name();
  const auto& c = r.summary;
  o["summary"] = json::object{{"total_messages", c.messages},
                              {"messages_handled_by_ai", c.ai_handled},
                              {"success_rate", c.success_rate()},
                              {"average_response_time_ms", c.avg_response_time_ms()},
                              {"private_messages", c.messages - c.group_messages},
                              {"group_messages", c.group_messages},
                              {"group_mentions", c.group_mentions},
                              {"uptime_percentage", r.uptime_percentage},
                              {"total_errors", c.errors}};
  json::array peak;
  for (std::size_t h = 0; h < r.peak_hours.size(); ++h) {
    peak.push_back(json::object{{"hour", static_cast<int64_t>(h)}, {"count", r.peak_hours[h]}});
  }
  o["peak_hours"] = std::move(peak);
  json::array breakdown;
  for (const auto& b : r.breakdown) breakdown.push_back(breakdown_item(b, q.period));
  o[std::string(to_string(q.period)) + "_breakdown"] = std::move(breakdown);
  json::object types;
  for (std::size_t i = 0; i < kMessageTypes.size(); ++i) types[kMessageTypes[i]] = c.types[i];
  o["message_types"] = std::move(types);
  return o;
}

std::string session_csv(const SessionReport& r) {
  std::string out =
      "date,start_date,end_date,total_messages,ai_handled,avg_response_time_ms,errors\r\n";
  for (const auto& b : r.breakdown) {
    out += b.label + "," + format_date(b.first) + "," + format_date(b.last) + "," +
           std::to_string(b.counters.messages) + "," + std::to_string(b.counters.ai_handled) + "," +
           std::to_string(b.counters.avg_response_time_ms()) + "," +
           std::to_string(b.counters.errors) + "\r\n";
  }
  return out;
}

json::object overview_json(const Overview& o) {
  json::object out;
  int64_t active = 0;
  for (const auto& s : o.sessions) active += s.status == "connected" ? 1 : 0;
  out["total_sessions"] = static_cast<int64_t>(o.sessions.size());
  out["active_sessions"] = active;
  out["total_messages_today"] = o.today;
  out["total_messages_this_week"] = o.this_week;
  out["total_messages_this_month"] = o.this_month;
  out["avg_response_time_ms"] = o.last_30_days.avg_response_time_ms();
  out["overall_success_rate"] = o.last_30_days.success_rate();
  json::array top;
  for (auto i : o.top) {
    const auto& s = o.sessions[i];
    top.push_back(json::object{{"session_id", s.session_id},
                               {"session_name", s.session_name},
                               {"total_messages", s.last_30_days.messages},
                               {"success_rate", s.last_30_days.success_rate()},
                               {"avg_response_time_ms", s.last_30_days.avg_response_time_ms()}});
  }
  out["top_performing_sessions"] = std::move(top);
  return out;
}

std::string overview_csv(const Overview& o) {
  std::string out =
      "session_id,session_name,status,messages_today,messages_this_week,messages_this_month,"
      "messages_last_30_days,ai_handled_last_30_days,success_rate,avg_response_time_ms\r\n";
  for (const auto& s : o.sessions) {
    out += csv_field(s.session_id) + "," + csv_field(s.session_name) + "," + csv_field(s.status) +
           "," + std::to_string(s.today) + "," + std::to_string(s.this_week) + "," +
           std::to_string(s.this_month) + "," + std::to_string(s.last_30_days.messages) + "," +
           std::to_string(s.last_30_days.ai_handled) + "," +
           one_decimal(s.last_30_days.success_rate()) + "," +
           std::to_string(s.last_30_days.avg_response_time_ms()) + "\r\n";
  }
  return out;
}

std::string csv_field(std::string_view v) {
  std::string s(v);
  if (!s.empty() &&
      (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

}  // namespace gw::analytics

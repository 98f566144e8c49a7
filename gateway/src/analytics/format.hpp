#pragma once
// The analytics answers as the API shows them: the JSON of docs/API.md, and CSV (format=csv) with a
// header row. Pure functions.
#include <boost/json/object.hpp>
#include <string>

#include "analytics/report.hpp"

namespace gw::analytics {

struct SessionInfo {
  std::string id, name;
};

/// GET /api/v1/analytics/sessions/:id — data of the envelope.
boost::json::object session_json(const SessionInfo& s, const Zone& zone, const SessionQuery& q,
                                 const SessionReport& r);
/// The breakdown as CSV: date,start_date,end_date,total_messages,ai_handled,
/// avg_response_time_ms,errors.
std::string session_csv(const SessionReport& r);

/// GET /api/v1/analytics/overview — data of the envelope.
boost::json::object overview_json(const Overview& o);
/// One CSV row per session: session_id,session_name,status,messages_today,messages_this_week,
/// messages_this_month,messages_last_30_days,ai_handled_last_30_days,success_rate,
/// avg_response_time_ms.
std::string overview_csv(const Overview& o);

/// One CSV field (RFC 4180 quoting; a leading = + - @ is prefixed with ' so that spreadsheets do
/// not run it as a formula).
std::string csv_field(std::string_view v);

}  // namespace gw::analytics

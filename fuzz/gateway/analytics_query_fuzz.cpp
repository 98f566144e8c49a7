// Fuzzes the analytics API's query parameters: start_date/end_date (YYYY-MM-DD) and tz (an IANA
// zone name looked up in the system tz database). Input: "<date>\n<zone name>".
// Invariants: no crash; an accepted date prints back exactly as given and has a weekday, an ISO
// week and a month; an accepted zone keeps its name, and the local day of the start of a day is
// that day (on every accepted date).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analytics/zone.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const auto date_text = in.substr(0, nl);
  const auto zone_text = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  using namespace gw::analytics;
  const auto day = parse_date(date_text);
  if (day) {
    check(format_date(*day) == date_text);
    const int w = weekday(*day);
    check(w >= 0 && w <= 6);
    check(iso_week_label(*day).size() == 8);
    check(month_label(*day).size() == 7);
    check(first_of_month(*day) <= *day);
  }
  if (zone_text.size() > 64) return 0;  // names are short; the lookup is the file system's
  const auto zone = Zone::find(zone_text);
  if (zone) {
    check(zone->name() == zone_text);
    if (day) check(zone->day_at(zone->start_of(*day)) == *day);
  }
  return 0;
}

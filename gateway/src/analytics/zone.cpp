#include "analytics/zone.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <cstdio>

namespace gw::analytics {

namespace {

date::sys_days to_sys(Day d) {
  return date::sys_days(date::days(d));
}

date::year_month_day ymd(Day d) {
  return date::year_month_day(to_sys(d));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::optional<Day> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i) {
    for (std::size_t k = 0; k < lens[i]; ++k) {
      char c = s[starts[i] + k];
      if (c < '0' || c > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (c - '0');
    }
  }
  if (parts[0] < 1970) return std::nullopt;
  date::year_month_day v{date::year(parts[0]), date::month(static_cast<unsigned>(parts[1])),
                         date::day(static_cast<unsigned>(parts[2]))};
  if (!v.ok()) return std::nullopt;
  return date::sys_days(v).time_since_epoch().count();
}

std::string format_date(Day d) {
  auto v = ymd(d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(v.year()),
                static_cast<unsigned>(v.month()), static_cast<unsigned>(v.day()));
  return buf;
}

int weekday(Day d) {
  // 1970-01-01 was a Thursday (3 with Monday = 0).
  return static_cast<int>(((d % 7) + 7 + 3) % 7);
}

std::string iso_week_label(Day d) {
  // The week belongs to the year of its Thursday; week 1 is the week of the year's first Thursday.
  Day thursday = d - weekday(d) + 3;
  int year = static_cast<int>(ymd(thursday).year());
  Day jan1 = date::sys_days(date::year(year) / 1 / 1).time_since_epoch().count();
  int week = static_cast<int>((thursday - jan1) / 7) + 1;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", year, week);
  return buf;
}

std::string month_label(Day d) {
  auto v = ymd(d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(v.year()),
                static_cast<unsigned>(v.month()));
  return buf;
}

Day first_of_month(Day d) {
  auto v = ymd(d);
  return date::sys_days(v.year() / v.month() / 1).time_since_epoch().count();
}

std::optional<Zone> Zone::find(std::string_view name) {
  // IANA names are ASCII letters, digits and "/_-+"; checked first so that nothing else (paths,
  // control characters) reaches the library.
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != name.npos)
    return std::nullopt;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return std::nullopt;
  }
  try {
    const auto* z = date::locate_zone(name);
    return Zone(z, std::string(z->name()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int64_t Zone::start_of(Day d) const {
  auto local = date::local_days(date::days(d));
  auto info = zone_->get_info(local);
  using std::chrono::seconds;
  if (info.result == date::local_info::nonexistent) {
    // Midnight falls in a DST gap: the day starts when the gap ends.
    return std::chrono::duration_cast<seconds>(info.first.end.time_since_epoch()).count();
  }
  // Ambiguous midnight (clocks went back over it): the day starts at the earlier instant.
  auto t = local.time_since_epoch() - info.first.offset;
  return std::chrono::duration_cast<seconds>(t).count();
}

Day Zone::day_at(int64_t t) const {
  auto info = zone_->get_info(date::sys_seconds(std::chrono::seconds(t)));
  return floor_div(t + info.offset.count(), 86400);
}

std::vector<OffsetPiece> Zone::offsets(int64_t from, int64_t to) const {
  std::vector<OffsetPiece> out;
  int64_t t = from;
  do {
    auto info = zone_->get_info(date::sys_seconds(std::chrono::seconds(t)));
    out.push_back({t, info.offset.count()});
    auto end =
        std::chrono::duration_cast<std::chrono::seconds>(info.end.time_since_epoch()).count();
    if (end <= t) break;  // the library's last transition: the offset holds for ever
    t = end;
  } while (t < to);
  return out;
}

}  // namespace gw::analytics

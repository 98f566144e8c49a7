#pragma once
// Time zones for analytics: an IANA name from the system tz database
// (/usr/share/zoneinfo, read by Howard Hinnant's date library — libstdc++ 12 has no
// std::chrono::locate_zone), local calendar dates, and the UTC offsets in force over a UTC range.
// Thread safety: Zone is an immutable handle to the library's zone, which loads its transitions
// once (thread-safe); all functions may be called from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace gw::analytics {

/// A calendar date as days since 1970-01-01 (the same arithmetic for every zone).
using Day = int64_t;

/// "2024-11-01" -> Day; nullopt unless exactly YYYY-MM-DD and a real date (years 1970-9999).
std::optional<Day> parse_date(std::string_view s);
/// Day -> "2024-11-01".
std::string format_date(Day d);
/// Monday = 0 ... Sunday = 6.
int weekday(Day d);
/// The ISO 8601 week of a day as "2025-W01" (weeks start on Monday; week 1 holds a Thursday).
std::string iso_week_label(Day d);
/// "2024-11".
std::string month_label(Day d);
/// The first day of the month of d.
Day first_of_month(Day d);

/// One UTC offset in force from `from` (Unix seconds) until the next piece.
struct OffsetPiece {
  int64_t from = 0;
  int64_t offset = 0;  // seconds east of UTC
};

class Zone {
 public:
  /// The zone of an IANA name ("Asia/Jakarta", "UTC"); nullopt when the database has no such
  /// zone or the name is not a plausible zone name.
  static std::optional<Zone> find(std::string_view name);
  [[nodiscard]] const std::string& name() const { return name_; }
  /// UTC seconds of the first instant of local day d (local midnight, or the end of a DST gap
  /// that swallows midnight).
  [[nodiscard]] int64_t start_of(Day d) const;
  /// The local date at UTC second t.
  [[nodiscard]] Day day_at(int64_t t) const;
  /// The offsets in force over [from, to): the first piece starts at `from`, in order.
  [[nodiscard]] std::vector<OffsetPiece> offsets(int64_t from, int64_t to) const;

 private:
  Zone(const date::time_zone* z, std::string name) : zone_(z), name_(std::move(name)) {}
  const date::time_zone* zone_;
  std::string name_;
};

}  // namespace gw::analytics

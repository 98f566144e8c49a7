#include "util/time.hpp"

#include <atomic>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace gw::util {

std::string iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int frac = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string iso8601_now() {
  return iso8601_from_ms(unix_millis_now());
}

namespace {
std::atomic<int64_t> g_skew_ms{0};
std::atomic<int64_t> g_correction_ms{0};
}  // namespace

void set_clock_skew_ms(int64_t skew_ms) {
  g_skew_ms.store(skew_ms);
}

void set_clock_correction_ms(int64_t correction_ms) {
  g_correction_ms.store(correction_ms);
}

int64_t clock_correction_ms() {
  return g_correction_ms.load(std::memory_order_relaxed);
}

int64_t local_millis_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         g_skew_ms.load(std::memory_order_relaxed);
}

int64_t unix_millis_now() {
  return local_millis_now() + g_correction_ms.load(std::memory_order_relaxed);
}

std::string iso8601_from_ms(int64_t unix_ms) {
  return iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(unix_ms)));
}

int64_t unix_seconds_now() {
  const auto ms = unix_millis_now();
  return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
}

namespace {
bool read_int(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc{} && p == s.data() + pos + len;
}
}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  if (!read_int(s, 0, 4, y) || !read_int(s, 5, 2, mo) || !read_int(s, 8, 2, d) ||
      !read_int(s, 11, 2, h) || !read_int(s, 14, 2, mi) || !read_int(s, 17, 2, sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int offset_min = 0;
  if (pos < s.size()) {
    std::string_view tz = s.substr(pos);
    if (tz == "Z") {
    } else if ((tz[0] == '+' || tz[0] == '-') && tz.size() >= 3) {
      int oh = 0, om = 0;
      if (!read_int(tz, 1, 2, oh)) return std::nullopt;
      if (tz.size() == 6 && tz[3] == ':' && !read_int(tz, 4, 2, om)) return std::nullopt;
      if (tz.size() == 5 && !read_int(tz, 3, 2, om)) return std::nullopt;
      offset_min = (oh * 60 + om) * (tz[0] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  using namespace std::chrono;
  auto days = sys_days(year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)});
  auto tp = time_point_cast<system_clock::duration>(days) + hours(h) + minutes(mi) + seconds(sec) +
            milliseconds(ms) - minutes(offset_min);
  return tp;
}

}  // namespace gw::util

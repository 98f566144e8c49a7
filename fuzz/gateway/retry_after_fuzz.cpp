// Fuzzes the Retry-After parser of the webhook HTTP client (a header from any webhook receiver).
// Invariants: no crash or overflow; a result is 0 to 2^31 seconds; a value of digits only is
// always accepted as itself (capped at 2^31); the same input and clock give the same answer; an
// IMF-fixdate written for a time k seconds ahead of `now` reads back as k.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "webhooks/http_client.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::int64_t kCap = std::int64_t{1} << 31;

// "Sun, 06 Nov 1994 08:49:37 GMT" for a time in years 0000-9999.
std::string imf_fixdate(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto day_start = floor<days>(t);
  const year_month_day ymd(day_start);
  const hh_mm_ss<seconds> hms(t - day_start);
  char out[64];
  std::snprintf(out, sizeof out, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                kDays[weekday(day_start).c_encoding()], static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  using gw::webhooks::parse_retry_after;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  // A clock between 1970 and 2200 taken from the input, so that dates on both sides are tried.
  std::uint64_t bits = 0;
  std::memcpy(&bits, data, size < sizeof bits ? size : sizeof bits);
  const system_clock::time_point now{seconds(static_cast<std::int64_t>(bits % 7'258'118'400ULL))};

  const auto r = parse_retry_after(in, now);
  if (r) check(r->count() >= 0 && r->count() <= kCap);
  check(parse_retry_after(in, now) == r);

  bool digits_only = size > 0 && size <= 18;
  std::int64_t value = 0;
  for (char c : in) {
    digits_only = digits_only && c >= '0' && c <= '9';
    if (digits_only) value = value * 10 + (c - '0');
  }
  if (digits_only) check(r && r->count() == (value < kCap ? value : kCap));

  // Round trip through the formatter above: k seconds ahead, k from the input.
  const auto ahead = static_cast<std::int64_t>((bits >> 32) % 100'000'000ULL);
  const auto target = floor<seconds>(now) + seconds(ahead);
  const auto back = parse_retry_after(imf_fixdate(target), now);
  check(back && back->count() == ahead);
  return 0;
}

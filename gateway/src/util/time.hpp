#pragma once
// Time helpers. Everything stored or returned is UTC, ISO-8601 with milliseconds and 'Z'.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::util {

/// "2026-11-24T10:15:30.123Z"
std::string iso8601(std::chrono::system_clock::time_point t);
std::string iso8601_now();
/// Parses "YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]" (also with a space instead of 'T', as PostgreSQL
/// prints) into a UTC time point.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view s);
int64_t unix_seconds_now();
/// Wall clock in Unix milliseconds.
int64_t unix_millis_now();
/// Shifts what unix_seconds_now() and unix_millis_now() return (CLUSTER_CLOCK_SKEW_SECONDS, a
/// test setting that stands for a node whose clock is off). Set once at start-up.
void set_clock_skew_ms(int64_t skew_ms);
/// Cluster mode: what to add to this machine's clock to read the database's (measured by the
/// lease rounds), so that every node writes and compares times on one clock. 0 in one process.
void set_clock_correction_ms(int64_t correction_ms);
int64_t clock_correction_ms();
/// This machine's wall clock (with the test skew), without the correction.
int64_t local_millis_now();
/// iso8601() of a Unix time in milliseconds.
std::string iso8601_from_ms(int64_t unix_ms);

}  // namespace gw::util

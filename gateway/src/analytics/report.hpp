#pragma once
// Analytics answers from the rollup tables of migrations 0010 and 0015,
// never from the raw analytics rows, so that their cost depends on the length of the range, not on
// the number of messages.
//
// Rollups: per session and UTC bucket of 15 minutes, 1 hour and 1 day, kept by triggers on the
// analytics table in the transaction that writes the row. Since migration 0019 only the quarters
// are; the coarser levels hold the quarters before the fold mark (fold_rollups), so reads take
// quarters from the mark on. Every UTC offset in use today is a whole number of quarter hours, so
// every local hour and day of any zone is an exact union of quarters: a range is answered from the
// coarsest buckets that lie wholly inside it and inside one breakdown bucket (report) or one window
// (overview) — quarters and hours at the ends of each local day, week or month, UTC days inside.
// Peak hours (per local hour of day) come from analytics_rollup_time_of_day (messages per UTC
// quarter of the day and 16-day block) over the whole blocks of the range, and from hour rows
// (whole-hour offsets) or quarter rows (the others, Asia/Kolkata +05:30) at its ends.
// docs/BENCHMARKS.md "Analytics" has the measurements.
//
// Thread safety: stateless functions on the caller's connection.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/zone.hpp"
#include "db/connection.hpp"

namespace gw::analytics {

/// analytics.message_type values in the order of the type_* rollup columns.
inline constexpr std::array<const char*, 11> kMessageTypes = {
    "text",     "image",   "document", "audio", "video",  "sticker",
    "location", "contact", "reaction", "poll",  "unknown"};

/// The counter columns of the rollup tables, all of them and those the overview reports.
inline constexpr std::string_view kAllCounters =
    "messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, "
    "responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, "
    "type_location, type_contact, type_reaction, type_poll, type_unknown";
inline constexpr std::string_view kOverviewCounters =
    "messages, forwarded, ai_handled, response_ms_sum, responses";

/// Sums over a set of analytics rows (the rollup columns).
struct Counters {
  int64_t messages = 0;
  int64_t group_messages = 0;
  int64_t group_mentions = 0;
  int64_t forwarded = 0;   // a webhook outcome was recorded (webhook_sent)
  int64_t ai_handled = 0;  // the webhook answered 2xx (webhook_success)
  int64_t errors = 0;      // error_message set, or the webhook failed for good
  int64_t response_ms_sum = 0;
  int64_t responses = 0;  // successful deliveries with a response time
  std::array<int64_t, kMessageTypes.size()> types{};

  Counters& operator+=(const Counters& o);
  bool operator==(const Counters&) const = default;
  /// ai_handled over forwarded in percent, one decimal; 0 when nothing was forwarded.
  [[nodiscard]] double success_rate() const;
  /// Mean response time of successful deliveries in whole milliseconds; 0 when none.
  [[nodiscard]] int64_t avg_response_time_ms() const;
};

enum class Period { daily, weekly, monthly };
const char* to_string(Period p);

struct SessionQuery {
  std::string session_id;
  Period period = Period::daily;
  Day start = 0;  // local dates, inclusive
  Day end = 0;
  int64_t now_ms = 0;
};

/// One row of the breakdown: a day, an ISO week or a month (clipped to the range).
struct BreakdownRow {
  std::string label;  // "2024-11-01", "2025-W01", "2024-11"
  Day first = 0, last = 0;
  Counters counters;
};

struct SessionReport {
  Counters summary;
  std::array<int64_t, 24> peak_hours{};  // messages per local hour of day
  std::vector<BreakdownRow> breakdown;   // every bucket of the range, empty ones included
  double uptime_percentage = 0;
};

/// The report of one session over local days [start, end] in `zone`.
SessionReport session_report(db::Connection& c, const Zone& zone, const SessionQuery& q);

/// Connected time (from session_connections; an open interval counts up to now) over the part
/// of [from_ms, to_ms) after the session was created and before now, in percent, one decimal.
double uptime_percentage(db::Connection& c, const std::string& session_id, int64_t created_ms,
                         int64_t from_ms, int64_t to_ms, int64_t now_ms);

/// The overview of all sessions of a user.
struct SessionTotals {
  std::string session_id, session_name, status;
  int64_t today = 0, this_week = 0, this_month = 0;  // messages, local calendar
  Counters last_30_days;                             // today and the 29 days before
};
struct Overview {
  std::vector<SessionTotals> sessions;  // ordered by name
  Counters last_30_days;                // all sessions
  int64_t today = 0, this_week = 0, this_month = 0;
  /// Up to five sessions with messages in the last 30 days: most messages first.
  std::vector<std::size_t> top;  // indexes into sessions
};
Overview overview(db::Connection& c, const Zone& zone, const std::string& user_id, int64_t now_ms);

/// Sums of the rollups of one session (or, with `user_id`, of each session of that user) over
/// UTC seconds [from, to) (multiples of 900), from the coarsest buckets that fit; by session id.
/// It reads the fold mark and the rollups in separate statements: consistent against a concurrent
/// fold only inside a read transaction (session_report and overview open one).
std::vector<std::pair<std::string, Counters>> sum_range(
    db::Connection& c, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, int64_t from, int64_t to);

/// SQLite: whether sum_windows reads a user's hour rows (for the overview's counters) through the
/// hour level's time-first index (migration 0018) rather than by one index seek per session and
/// range of the primary key. Each such seek reads a page of its own: the overview's four local
/// midnights cost 400 page reads for 100 sessions (docs/BENCHMARKS.md, "Analytics"). The
/// time-first index holds every session's rows of an hour side by side, other users' too, so it
/// pays when the user has at least a quarter of all sessions (and it is there: a database
/// migrated down is read the other way). Always false on PostgreSQL.
bool reads_hours_by_time(db::Connection& c, const std::string& user_id);

/// Like sum_range for several windows [starts[k], to) at once (one scan); by session id, one
/// Counters per start: from window `full_from` on the counters named in `full_columns` (a list
/// like kAllCounters), only `messages` before it (the other counters 0).
std::vector<std::pair<std::string, std::vector<Counters>>> sum_windows(
    db::Connection& c, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, const std::vector<int64_t>& starts, int64_t to,
    std::size_t full_from, std::string_view full_columns = kAllCounters);

/// The rollups' fold mark (migration 0019). The hour, day and time-of-day levels hold exactly the
/// quarters that start before it; later quarters are in analytics_rollup_quarter only.
/// kNotFolded (every level complete) on a database migrated down below 0019. Read it in the
/// transaction that reads the rollups (the reports open one: a read transaction on SQLite,
/// REPEATABLE READ on PostgreSQL), so that a fold between the two cannot count a quarter twice.
inline constexpr int64_t kNotFolded = INT64_MAX;
int64_t fold_mark(db::Connection& c);

/// Adds the quarters of [mark, the last quarter that ended at least `lag_s` before `now_ms`) to
/// the hour, day and time-of-day levels and moves the mark there, at most a day of quarters per
/// transaction (writers are not held back long), so that messages pay one rollup upsert instead
/// of four (docs/API.md, "Rollups and their fold"). A crash between two transactions loses
/// nothing: each moves the mark with what it folded. Never moves the mark back. Folders on other
/// connections (other gateway nodes) take turns. PostgreSQL: each transaction first waits for
/// the writers that read the old mark (an exclusive advisory lock against their shared one),
/// giving up with an error after 5 s (the next minute's fold tries again). Returns how many quarter
/// rows it folded.
int64_t fold_rollups(db::Connection& c, int64_t now_ms, int64_t lag_s = 300);

/// Deletes raw analytics rows created before `before_ms`, at most `batch` per transaction, until
/// none is left or `max_batches` ran; the rollups stay. Returns the number deleted.
int64_t prune_raw_rows(db::Connection& c, int64_t before_ms, int batch = 5000,
                       int max_batches = 1000);

}  // namespace gw::analytics

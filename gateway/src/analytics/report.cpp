#include "analytics/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/time.hpp"

namespace gw::analytics {

namespace {

constexpr const char* kColumns =
    "messages, group_messages, group_mentions, forwarded, ai_handled, errors, response_ms_sum, "
    "responses, type_text, type_image, type_document, type_audio, type_video, type_sticker, "
    "type_location, type_contact, type_reaction, type_poll, type_unknown";
constexpr std::size_t kColumnCount = 8 + kMessageTypes.size();

constexpr int64_t kQuarter = 900, kHour = 3600, kDay = 86400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t floor_to(int64_t v, int64_t w) {
  return floor_div(v, w) * w;
}
int64_t ceil_to(int64_t v, int64_t w) {
  return -floor_div(-v, w) * w;
}

int64_t cell(const db::Row& r, std::size_t i) {
  return r.is_null(i) ? 0 : r.integer(i);
}

Counters counters_from(const db::Row& r, std::size_t first) {
  Counters c;
  c.messages = cell(r, first);
  c.group_messages = cell(r, first + 1);
  c.group_mentions = cell(r, first + 2);
  c.forwarded = cell(r, first + 3);
  c.ai_handled = cell(r, first + 4);
  c.errors = cell(r, first + 5);
  c.response_ms_sum = cell(r, first + 6);
  c.responses = cell(r, first + 7);
  for (std::size_t i = 0; i < c.types.size(); ++i) c.types[i] = cell(r, first + 8 + i);
  return c;
}

double round1(double v) {
  return std::round(v * 10) / 10;
}

// [from, to) in the rollup table of one level.
struct Span {
  const char* table;
  int64_t from, to;
};

// The fewest buckets that tile [a, b) (multiples of 900): quarters up to the first whole hour,
// hours up to the first whole day, days, then hours and quarters to the end.
std::vector<Span> cover(int64_t a, int64_t b) {
  std::vector<Span> out;
  auto add = [&out](const char* t, int64_t from, int64_t to) {
    if (from < to) out.push_back({t, from, to});
  };
  const int64_t ha = ceil_to(a, kHour), hb = floor_to(b, kHour);
  if (ha >= hb) {
    add("analytics_rollup_quarter", a, b);
    return out;
  }
  const int64_t da = ceil_to(a, kDay), db = floor_to(b, kDay);
  add("analytics_rollup_quarter", a, ha);
  if (da < db) {
    add("analytics_rollup_hour", ha, da);
    add("analytics_rollup_day", da, db);
    add("analytics_rollup_hour", db, hb);
  } else {
    add("analytics_rollup_hour", ha, hb);
  }
  add("analytics_rollup_quarter", hb, b);
  return out;
}

}  // namespace

Counters& Counters::operator+=(const Counters& o) {
  messages += o.messages;
  group_messages += o.group_messages;
  group_mentions += o.group_mentions;
  forwarded += o.forwarded;
  ai_handled += o.ai_handled;
  errors += o.errors;
  response_ms_sum += o.response_ms_sum;
  responses += o.responses;
  for (std::size_t i = 0; i < types.size(); ++i) types[i] += o.types[i];
  return *this;
}

double Counters::success_rate() const {
  if (forwarded <= 0) return 0;
  return round1(100.0 * static_cast<double>(ai_handled) / static_cast<double>(forwarded));
}

int64_t Counters::avg_response_time_ms() const {
  if (responses <= 0) return 0;
  return std::llround(static_cast<double>(response_ms_sum) / static_cast<double>(responses));
}

const char* to_string(Period p) {
  switch (p) {
    case Period::weekly:
      return "weekly";
    case Period::monthly:
      return "monthly";
    default:
      return "daily";
  }
}

std::vector<std::pair<std::string, std::vector<Counters>>> sum_windows(
    db::Connection& c, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, const std::vector<int64_t>& starts, int64_t to,
    std::size_t full_from) {
  std::vector<std::pair<std::string, std::vector<Counters>>> out;
  if (starts.empty()) return out;
  // One scan for all windows: the range from the earliest start is cut at every start, each piece
  // covered with the coarsest buckets inside it, so that a bucket is in a window iff it starts at
  // or after the window's start.
  std::vector<int64_t> cuts(starts.begin(), starts.end());
  cuts.push_back(to);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Span> spans;
  for (std::size_t i = 0; i + 1 < cuts.size() && cuts[i] < to; ++i) {
    for (const auto& sp : cover(cuts[i], std::min(cuts[i + 1], to))) {
      if (!spans.empty() && spans.back().table == sp.table && spans.back().to == sp.from) {
        spans.back().to = sp.to;
      } else {
        spans.push_back(sp);
      }
    }
  }
  if (spans.empty()) return out;
  const std::string filter =
      session_id ? "session_id = ?" : "session_id IN (SELECT id FROM sessions WHERE user_id = ?)";
  const db::Value who = session_id ? *session_id : user_id.value_or("");
  std::vector<db::Value> params;
  std::string sql = "SELECT session_id";
  for (std::size_t k = 0; k < starts.size(); ++k) {
    // Windows before `full_from` need the message count only.
    std::string_view cols =
        k < full_from ? std::string_view("messages") : std::string_view(kColumns);
    while (!cols.empty()) {
      auto comma = cols.find(", ");
      auto name = std::string(cols.substr(0, comma));
      sql += ", CAST(SUM(CASE WHEN bucket_start >= ? THEN " + name + " ELSE 0 END) AS BIGINT)";
      params.emplace_back(starts[k]);
      cols = comma == std::string_view::npos ? std::string_view() : cols.substr(comma + 2);
    }
  }
  sql += " FROM (";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i) sql += " UNION ALL ";
    sql += std::string("SELECT session_id, bucket_start, ") + kColumns + " FROM " + spans[i].table +
           " WHERE " + filter + " AND bucket_start >= ? AND bucket_start < ?";
    params.push_back(who);
    params.emplace_back(spans[i].from);
    params.emplace_back(spans[i].to);
  }
  sql += ") u GROUP BY session_id";
  for (const auto& row : c.query(sql, params).rows) {
    std::vector<Counters> sums;
    std::size_t col = 1;
    for (std::size_t k = 0; k < starts.size(); ++k) {
      if (k < full_from) {
        Counters m;
        m.messages = cell(row, col++);
        sums.push_back(m);
      } else {
        sums.push_back(counters_from(row, col));
        col += kColumnCount;
      }
    }

    out.emplace_back(row.text(0), std::move(sums));
  }
  return out;
}

std::vector<std::pair<std::string, Counters>> sum_range(
    db::Connection& c, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, int64_t from, int64_t to) {
  std::vector<std::pair<std::string, Counters>> out;
  for (auto& [id, sums] : sum_windows(c, session_id, user_id, {from}, to, 0))
    out.emplace_back(std::move(id), sums.front());
  return out;
}

double uptime_percentage(db::Connection& c, const std::string& session_id, int64_t created_ms,
                         int64_t from_ms, int64_t to_ms, int64_t now_ms) {
  const int64_t lo = std::max(from_ms, created_ms);
  const int64_t hi = std::min(to_ms, now_ms);
  if (hi <= lo) return 0;
  auto r = c.query(
      "SELECT connected_ms, COALESCE(disconnected_ms, ?) FROM session_connections "
      "WHERE session_id = ? AND connected_ms < ? AND (disconnected_ms IS NULL OR "
      "disconnected_ms > ?) ORDER BY connected_ms",
      {now_ms, session_id, hi, lo});
  // Intervals should not overlap; if a crash left one that does, time is not counted twice.
  int64_t covered_to = lo, up = 0;
  for (const auto& row : r.rows) {
    const int64_t s = std::max(row.integer(0), covered_to);
    const int64_t e = std::min(row.integer(1), hi);
    if (e > s) up += e - s;
    covered_to = std::max(covered_to, e);
  }
  return round1(100.0 * static_cast<double>(up) / static_cast<double>(hi - lo));
}

SessionReport session_report(db::Connection& c, const Zone& zone, const SessionQuery& q) {
  SessionReport rep;
  const int64_t a = zone.start_of(q.start), b = zone.start_of(q.end + 1);
  const auto pieces = zone.offsets(a, b);
  // Hour buckets lie inside one local hour only when every offset (and every change of offset)
  // is a whole number of hours.
  bool whole_hours = a % kHour == 0 && b % kHour == 0;
  for (const auto& p : pieces)
    whole_hours = whole_hours && p.offset % kHour == 0 && p.from % kHour == 0;
  const std::string table = whole_hours ? "analytics_rollup_hour" : "analytics_rollup_quarter";

  const auto days = static_cast<std::size_t>(q.end - q.start + 1);
  std::vector<Counters> per_day(days);
  // The local time of a bucket: its start plus the offset in force then (a CASE over the few
  // offsets of the range).
  std::string local = "(bucket_start + ";
  std::vector<db::Value> case_params;
  if (pieces.size() > 1) local += "CASE";
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    local += " WHEN bucket_start < ? THEN CAST(? AS BIGINT)";
    case_params.emplace_back(pieces[i + 1].from);
    case_params.emplace_back(pieces[i].offset);
  }
  local += pieces.size() > 1 ? " ELSE CAST(? AS BIGINT) END)" : "CAST(? AS BIGINT))";
  case_params.emplace_back(pieces.back().offset);
  auto grouped = [&](const std::string& key) {
    std::vector<db::Value> params = case_params;
    params.emplace_back(q.session_id);
    params.emplace_back(a);
    params.emplace_back(b);
    return c.query("SELECT " + key +
                       " AS k, CAST(SUM(messages) AS BIGINT), CAST(SUM(ai_handled) AS BIGINT), "
                       "CAST(SUM(errors) AS BIGINT), CAST(SUM(response_ms_sum) AS BIGINT), "
                       "CAST(SUM(responses) AS BIGINT) FROM " +
                       table +
                       " WHERE session_id = ? AND bucket_start >= ? AND bucket_start < ? "
                       "GROUP BY k",
                   params);
  };
  auto add_day = [&](int64_t local_day, const db::Row& row, std::size_t first) {
    const int64_t day = local_day - q.start;
    if (day < 0 || day >= static_cast<int64_t>(days)) return;
    auto& d = per_day[static_cast<std::size_t>(day)];
    d.messages += row.integer(first);
    d.ai_handled += row.integer(first + 1);
    d.errors += row.integer(first + 2);
    d.response_ms_sum += row.integer(first + 3);
    d.responses += row.integer(first + 4);
  };
  if (c.dialect() == db::Dialect::sqlite) {
    // In-process SQLite hands rows over for nothing: one pass over the buckets, folded here,
    // beats two GROUP BY passes (a year in Asia/Kolkata: 35,000 quarter rows).
    auto r = c.query(
        "SELECT bucket_start, messages, ai_handled, errors, response_ms_sum, responses FROM " +
            table + " WHERE session_id = ? AND bucket_start >= ? AND bucket_start < ? " +
            "ORDER BY bucket_start",
        {q.session_id, a, b});
    std::size_t piece = 0;
    for (const auto& row : r.rows) {
      const int64_t t = row.integer(0);
      while (piece + 1 < pieces.size() && pieces[piece + 1].from <= t) ++piece;
      const int64_t at = t + pieces[piece].offset;
      rep.peak_hours[static_cast<std::size_t>(floor_div(at, kHour) - floor_div(at, kDay) * 24)] +=
          row.integer(1);
      add_day(floor_div(at, kDay), row, 1);
    }
  } else {
    // Over PostgreSQL's wire rows are not free: grouped there, a year is 366 + 24 rows. Local
    // times are positive for every date the API accepts (from 1970-01-02 on), so integer
    // division is floor division.
    for (const auto& row : grouped(local + " / 86400").rows) add_day(row.integer(0), row, 1);
    for (const auto& row : grouped("(" + local + " % 86400) / 3600").rows) {
      const int64_t h = row.integer(0);
      if (h >= 0 && h < 24) rep.peak_hours[static_cast<std::size_t>(h)] += row.integer(1);
    }
  }

  for (auto& [id, sum] : sum_range(c, q.session_id, std::nullopt, a, b)) rep.summary = sum;

  for (Day d = q.start; d <= q.end; ++d) {
    std::string label = q.period == Period::daily    ? format_date(d)
                        : q.period == Period::weekly ? iso_week_label(d)
                                                     : month_label(d);
    if (rep.breakdown.empty() || rep.breakdown.back().label != label) {
      rep.breakdown.push_back({std::move(label), d, d, {}});
    }
    rep.breakdown.back().last = d;
    rep.breakdown.back().counters += per_day[static_cast<std::size_t>(d - q.start)];
  }

  auto created = c.query("SELECT created_ms FROM sessions WHERE id = ?", {q.session_id});
  const int64_t created_ms = created.rows.empty() ? 0 : created.rows.front().integer(0);
  rep.uptime_percentage =
      uptime_percentage(c, q.session_id, created_ms, a * 1000, b * 1000, q.now_ms);
  return rep;
}

Overview overview(db::Connection& c, const Zone& zone, const std::string& user_id, int64_t now_ms) {
  Overview o;
  auto rows = c.query(
      "SELECT id, session_name, status FROM sessions WHERE user_id = ? ORDER BY session_name, id",
      {user_id});
  std::map<std::string, std::size_t> index;
  for (const auto& row : rows.rows) {
    index[row.text(0)] = o.sessions.size();
    o.sessions.push_back({row.text(0), row.text(1), row.text(2), 0, 0, 0, {}});
  }
  if (o.sessions.empty()) return o;
  const int64_t now_s = floor_div(now_ms, 1000);
  const int64_t end = floor_to(now_s, kQuarter) + kQuarter;  // the current quarter included
  const Day today = zone.day_at(now_s);
  // Today, this week (from Monday), this month and the last 30 days, in one scan.
  const std::vector<int64_t> starts = {zone.start_of(today), zone.start_of(today - weekday(today)),
                                       zone.start_of(first_of_month(today)),
                                       zone.start_of(today - 29)};
  for (auto& [id, sums] : sum_windows(c, std::nullopt, user_id, starts, end, 3)) {
    auto it = index.find(id);
    if (it == index.end()) continue;
    auto& s = o.sessions[it->second];
    s.today = sums[0].messages;
    s.this_week = sums[1].messages;
    s.this_month = sums[2].messages;
    s.last_30_days = sums[3];
  }
  for (std::size_t i = 0; i < o.sessions.size(); ++i) {
    const auto& s = o.sessions[i];
    o.today += s.today;
    o.this_week += s.this_week;
    o.this_month += s.this_month;
    o.last_30_days += s.last_30_days;
    if (s.last_30_days.messages > 0) o.top.push_back(i);
  }
  std::stable_sort(o.top.begin(), o.top.end(), [&o](std::size_t i, std::size_t j) {
    const auto& x = o.sessions[i].last_30_days;
    const auto& y = o.sessions[j].last_30_days;
    if (x.messages != y.messages) return x.messages > y.messages;
    return x.success_rate() > y.success_rate();
  });
  if (o.top.size() > 5) o.top.resize(5);
  return o;
}

int64_t prune_raw_rows(db::Connection& c, int64_t before_ms, int batch, int max_batches) {
  const auto cutoff = util::iso8601_from_ms(before_ms);
  int64_t total = 0;
  for (int i = 0; i < max_batches; ++i) {
    db::Transaction tx(c);
    auto r = c.query(
        "DELETE FROM analytics WHERE id IN (SELECT id FROM analytics WHERE created_at < ? "
        "ORDER BY created_at LIMIT ?)",
        {cutoff, int64_t{batch}});
    tx.commit();
    total += r.affected;
    if (r.affected < batch) break;
  }
  return total;
}

}  // namespace gw::analytics

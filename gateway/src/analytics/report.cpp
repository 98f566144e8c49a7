#include "analytics/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>

#include "util/time.hpp"

namespace gw::analytics {

namespace {

constexpr int64_t kQuarter = 900, kHour = 3600, kDay = 86400;
// The block of analytics_rollup_time_of_day (migration 0015): 16 days.
constexpr int64_t kTimeOfDayBlock = 16 * kDay;

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

// The counters in the order of the rollup columns (kAllCounters): 0-7 the scalars, 8- the types.
int64_t& slot(Counters& c, std::size_t i) {
  switch (i) {
    case 0:
      return c.messages;
    case 1:
      return c.group_messages;
    case 2:
      return c.group_mentions;
    case 3:
      return c.forwarded;
    case 4:
      return c.ai_handled;
    case 5:
      return c.errors;
    case 6:
      return c.response_ms_sum;
    case 7:
      return c.responses;
    default:
      return c.types.at(i - 8);
  }
}

// The slot of the counter named like its rollup column.
std::size_t slot_of(std::string_view column) {
  std::size_t i = 0;
  for (std::string_view all = kAllCounters; !all.empty(); ++i) {
    const auto comma = all.find(", ");
    if (all.substr(0, comma) == column) return i;
    all = comma == std::string_view::npos ? std::string_view() : all.substr(comma + 2);
  }
  throw std::invalid_argument("analytics: no counter " + std::string(column));
}

std::vector<std::string> split_columns(std::string_view cols) {
  std::vector<std::string> out;
  while (!cols.empty()) {
    auto comma = cols.find(", ");
    out.emplace_back(cols.substr(0, comma));
    cols = comma == std::string_view::npos ? std::string_view() : cols.substr(comma + 2);
  }
  return out;
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

// Like cover(a, b) for rollups folded up to `mark` (fold_mark): the coarse levels only below it,
// quarters from it on.
std::vector<Span> cover(int64_t a, int64_t b, int64_t mark) {
  auto out = cover(a, std::min(b, mark));
  if (std::max(a, mark) < b) out.push_back({"analytics_rollup_quarter", std::max(a, mark), b});
  return out;
}

// Appends `sp` to `spans`, joined to the last one when it continues it in the same table.
void append(std::vector<Span>& spans, const Span& sp) {
  if (!spans.empty() && spans.back().table == sp.table && spans.back().to == sp.from) {
    spans.back().to = sp.to;
  } else {
    spans.push_back(sp);
  }
}

// A span of one rollup table with the UTC offset in force over it (peak hours).
struct OffsetSpan {
  const char* table;
  int64_t from, to, offset;
};

// The rows of one session's rollup buckets in `spans`, as SQL: `select` for every row, in which
// "{offset}" stands for the span's offset and "{time_of_day}" for the UTC seconds since midnight
// at which the row's bucket starts (a time-of-day row: its quarter). SQLite: a UNION ALL of one
// range scan per span (its statements are cached by text). PostgreSQL plans every branch of a UNION
// ALL again on each request (a year weekly in Asia/Jakarta is 160 spans, longer to plan than to
// read): one branch per table, the table joined to the arrays of its spans.
std::string span_rows(db::Dialect dialect, const std::vector<OffsetSpan>& spans,
                      const std::string& select, const std::string& session_id,
                      std::vector<db::Value>& params) {
  auto key = [](const char* table) {
    return std::string_view(table) == "analytics_rollup_time_of_day" ? "block_start"
                                                                     : "bucket_start";
  };
  auto with_offset = [&select](const char* table, const std::string& offset) {
    std::string out = select;
    auto put = [&out](std::string_view name, const std::string& by) {
      for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at + by.size()))
        out.replace(at, name.size(), by);
    };
    put("{offset}", offset);
    put("{time_of_day}", std::string_view(table) == "analytics_rollup_time_of_day"
                             ? "quarter_of_day * 900"
                             : "bucket_start % 86400");
    return out;
  };
  std::string sql;
  if (dialect == db::Dialect::sqlite) {
    for (const auto& sp : spans) {
      if (!sql.empty()) sql += " UNION ALL ";
      const bool uses_offset = select.find("{offset}") != std::string::npos;
      sql += "SELECT " + with_offset(sp.table, "CAST(? AS BIGINT)") + " FROM " + sp.table +
             " WHERE session_id = ? AND " + key(sp.table) + " >= ? AND " + key(sp.table) + " < ?";
      if (uses_offset) params.emplace_back(sp.offset);
      params.emplace_back(session_id);
      params.emplace_back(sp.from);
      params.emplace_back(sp.to);
    }
    return sql;
  }
  std::vector<const char*> tables;
  for (const auto& sp : spans)
    if (std::find_if(tables.begin(), tables.end(), [&sp](const char* t) {
          return std::string_view(t) == sp.table;
        }) == tables.end())
      tables.push_back(sp.table);
  for (const char* table : tables) {
    std::string from = "{", to = "{", offset = "{";
    for (const auto& sp : spans) {
      if (std::string_view(sp.table) != table) continue;
      if (from.size() > 1) {
        from += ",";
        to += ",";
        offset += ",";
      }
      from += std::to_string(sp.from);
      to += std::to_string(sp.to);
      offset += std::to_string(sp.offset);
    }
    if (!sql.empty()) sql += " UNION ALL ";
    sql +=
        "SELECT " + with_offset(table, "r.o") +
        " FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS r(f, t, o) "
        "JOIN " +
        table + " x ON x.session_id = ? AND x." + key(table) + " >= r.f AND x." + key(table) +
        " < r.t";
    params.emplace_back(from + "}");
    params.emplace_back(to + "}");
    params.emplace_back(offset + "}");
    params.emplace_back(session_id);
  }
  return sql;
}

// A span of one rollup table whose rows count for the windows as if they started at `plus_at`
// (kOwn: at their own start; kNone: not) and, unless `minus_at` is kNone, also negatively as if
// they started at `minus_at`.
constexpr int64_t kOwn = INT64_MIN, kNone = INT64_MAX;
struct SignedSpan {
  const char* table;
  int64_t from, to;
  int64_t plus_at = kOwn, minus_at = kNone;
};

// The buckets of [cuts.front(), cuts.back()) for windows that start at cuts (ascending): like
// cover() for each piece between two cuts, but a UTC day with one cut x inside is read as its day
// row plus the rows of the shorter side of x counted twice, once with their own start and once
// negatively with the day's part on the other side of x: the day row and 7 hour rows instead of
// 24 around each local midnight in Asia/Jakarta. The day in which the range ends may be its day
// row less the rows after the end (for the overview, which ends now: rows that do not exist yet).
// Exact whatever the rows: what is added twice is taken away once. The cuts end at or before the
// fold `mark`: a day row holds only the quarters before it, so only the rows before it are taken
// away (none when the range ends at the mark).
std::vector<SignedSpan> signed_cover_cuts(const std::vector<int64_t>& cuts, int64_t mark) {
  std::vector<SignedSpan> out;
  auto add = [&out](const char* table, int64_t from, int64_t to, int64_t plus, int64_t minus) {
    if (from >= to) return;
    if (!out.empty() && out.back().table == table && out.back().to == from &&
        out.back().plus_at == plus && out.back().minus_at == minus && plus == kOwn) {
      out.back().to = to;
      return;
    }
    out.push_back({table, from, to, plus, minus});
  };
  auto plain = [&add](int64_t from, int64_t to, int64_t plus, int64_t minus) {
    for (const auto& sp : cover(from, to)) add(sp.table, sp.from, sp.to, plus, minus);
  };
  const int64_t first = cuts.front(), last = cuts.back();
  for (int64_t d = floor_to(first, kDay); d < last; d += kDay) {
    const int64_t e = d + kDay;
    std::vector<int64_t> inner;
    for (auto x : cuts)
      if (x > d && x < e) inner.push_back(x);
    if (d >= first && inner.size() == 1) {
      const int64_t x = inner.front();
      const bool after_is_shorter = e - x <= x - d;
      if (after_is_shorter) {
        // The day row for the part before x (counted at its own start, so that it joins the
        // neighbouring day rows in one range scan); the rows after x once more, both ways (after
        // the end of the range: only taken away).
        add("analytics_rollup_day", d, e, kOwn, kNone);
        plain(x, std::min(e, mark), x == last ? kNone : kOwn, d);
        continue;
      }
      if (x != last) {
        // The day row for the part after x; the rows before x once more, both ways.
        add("analytics_rollup_day", d, e, x, kNone);
        plain(d, x, kOwn, x);
        continue;
      }
    }
    // No cut inside, or the range starts inside the day, or several cuts: plain covers.
    int64_t from = std::max(d, first);
    for (auto x : inner) {
      plain(from, x, kOwn, kNone);
      from = std::max(from, x);
    }
    plain(from, std::min(e, last), kOwn, kNone);
  }
  return out;
}

// signed_cover for rollups folded up to `mark`: the coarse levels below it, quarters (each counted
// at its own start) from it on.
std::vector<SignedSpan> signed_cover(const std::vector<int64_t>& cuts, int64_t mark) {
  if (cuts.back() <= mark) return signed_cover_cuts(cuts, mark);
  std::vector<int64_t> below;
  for (auto x : cuts)
    if (x < mark) below.push_back(x);
  std::vector<SignedSpan> out;
  if (!below.empty()) {
    below.push_back(mark);
    out = signed_cover_cuts(below, mark);
  }
  out.push_back({"analytics_rollup_quarter", std::max(cuts.front(), mark), cuts.back()});
  return out;
}

// The reads of one answer in one transaction. SQLite: a read transaction (one snapshot), so that
// the fold mark and the rollups are read as of the same moment (a fold in between would count its
// quarters twice). PostgreSQL: REPEATABLE READ (one snapshot, for the same reason), without
// parallel workers. The planner would run these short index scans in parallel workers, which cost
// more to start than the scans take (the overview: 65 ms instead of 25, docs/BENCHMARKS.md
// "Analytics").
class ReadScope {
 public:
  explicit ReadScope(db::Connection& c) : c_(c) {
    if (c.dialect() == db::Dialect::sqlite) {
      // Deferred, and through query(): a statement that writes nothing, so it runs on the
      // connection's own handle without the turn to write (db/sqlite.cpp); execute_script would
      // take the turn and hold every writer back until the report ends.
      c.query("BEGIN");
      reading_ = true;
      return;
    }
    tx_.emplace(c);
    c.execute_script(
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; "
        "SET LOCAL max_parallel_workers_per_gather = 0");
  }
  ReadScope(const ReadScope&) = delete;
  ReadScope& operator=(const ReadScope&) = delete;
  ~ReadScope() {
    if (!reading_) return;
    try {
      c_.query("ROLLBACK");
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing was written; the handle survives
    }
  }
  void done() {
    if (tx_) tx_->commit();
    if (reading_) {
      c_.query("COMMIT");
      reading_ = false;
    }
  }

 private:
  db::Connection& c_;
  std::optional<db::Transaction> tx_;
  bool reading_ = false;
};

}  // namespace

bool reads_hours_by_time(db::Connection& c, const std::string& user_id) {
  if (c.dialect() != db::Dialect::sqlite) return false;
  auto r = c.query(
      "SELECT COUNT(*), COALESCE(SUM(user_id = ?), 0), EXISTS (SELECT 1 FROM sqlite_master WHERE "
      "type = 'index' AND name = 'idx_analytics_rollup_hour_time') FROM sessions",
      {user_id});
  if (r.rows.empty()) return false;
  const auto& row = r.rows.front();
  const int64_t all = row.integer(0), own = row.integer(1);
  return row.integer(2) != 0 && own > 0 && own * 4 >= all;
}

namespace {

bool has_fold_table(db::Connection& c) {
  return !c.query(
               c.dialect() == db::Dialect::sqlite
                   ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'analytics_fold'"
                   : "SELECT 1 WHERE to_regclass('analytics_fold') IS NOT NULL")
              .rows.empty();
}

// PostgreSQL: the advisory lock between the fold (exclusive) and the rollup trigger (shared) of
// migration 0019, which names the same key: "wa-fold".
constexpr int64_t kFoldLock = 0x77612d666f6c64;

// The coarse levels' upserts of the fold: the quarters of [?, ?) of every session, summed by the
// level's bucket. A join from sessions, so that each session's quarters are one range of the
// quarter table's primary key (not a scan of the whole table).
// Through the alias x: PostgreSQL finds a bare column name ambiguous with excluded's (SQLite
// accepts the alias too).
std::string fold_into(const char* table, int64_t width) {
  const auto cols = split_columns(kAllCounters);
  std::string names, sums, set;
  for (const auto& col : cols) {
    names.append(", ").append(col);
    sums.append(", SUM(q.").append(col).append(")");
    set.append(set.empty() ? "" : ", ").append(col).append(" = x.").append(col);
    set.append(" + excluded.").append(col);
  }
  const auto w = std::to_string(width);
  return std::string("INSERT INTO ") + table + " AS x (session_id, bucket_start" + names +
         ") SELECT q.session_id, q.bucket_start / " + w + " * " + w + sums +
         " FROM sessions s CROSS JOIN analytics_rollup_quarter q WHERE q.session_id = s.id "
         "AND q.bucket_start >= ? AND q.bucket_start < ? GROUP BY 1, 2 "
         "ON CONFLICT (session_id, bucket_start) DO UPDATE SET " +
         set;
}

}  // namespace

int64_t fold_mark(db::Connection& c) {
  if (!has_fold_table(c)) return kNotFolded;
  auto r = c.query("SELECT folded_before FROM analytics_fold WHERE id = 1");
  return r.rows.empty() ? kNotFolded : r.rows.front().integer(0);
}

int64_t fold_rollups(db::Connection& c, int64_t now_ms, int64_t lag_s) {
  static const std::string hour = fold_into("analytics_rollup_hour", kHour);
  static const std::string day = fold_into("analytics_rollup_day", kDay);
  constexpr const char* kTimeOfDay =
      "INSERT INTO analytics_rollup_time_of_day AS x (session_id, block_start, quarter_of_day, "
      "messages) SELECT q.session_id, q.bucket_start / 1382400 * 1382400, "
      "q.bucket_start % 86400 / 900, SUM(q.messages) FROM sessions s CROSS JOIN "
      "analytics_rollup_quarter q WHERE q.session_id = s.id AND q.bucket_start >= ? "
      "AND q.bucket_start < ? GROUP BY 1, 2, 3 ON CONFLICT (session_id, block_start, "
      "quarter_of_day) DO UPDATE SET messages = x.messages + excluded.messages";
  const int64_t target = floor_to(floor_div(now_ms, 1000) - lag_s, kQuarter);
  int64_t folded = 0;
  // kNotFolded (a database below migration 0019) is never below the target: nothing to do.
  while (fold_mark(c) < target) {  // the turn to write only when there is something to fold
    db::Transaction tx(c);
    if (c.dialect() == db::Dialect::postgres) {
      // Wait for the writers whose triggers read the old mark (they hold the lock shared until
      // they commit), and keep new ones from reading it until this transaction ends.
      // READ COMMITTED whatever the database's default: the sums must see the writers that
      // committed while this transaction waited for the lock.
      c.execute_script(
          "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = '5s'");
      c.query("SELECT pg_advisory_xact_lock(?)", {kFoldLock});
    }
    const int64_t from = fold_mark(c);  // again under the lock
    if (from >= target) break;          // rolled back: nothing was written
    const int64_t to = std::min(target, from + kDay);
    const int64_t quarters =
        c.query(
             "SELECT COUNT(*) FROM sessions s CROSS JOIN analytics_rollup_quarter q "
             "WHERE q.session_id = s.id AND q.bucket_start >= ? AND q.bucket_start < ?",
             {from, to})
            .rows.at(0)
            .integer(0);
    if (quarters > 0) {
      for (const auto* sql : {hour.c_str(), day.c_str(), kTimeOfDay}) c.query(sql, {from, to});
    }
    c.query("UPDATE analytics_fold SET folded_before = ? WHERE id = 1", {to});
    tx.commit();
    folded += quarters;
  }
  return folded;
}

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
    std::size_t full_from, std::string_view full_columns) {
  std::vector<std::pair<std::string, std::vector<Counters>>> out;
  if (starts.empty()) return out;
  // One scan for all windows: the range from the earliest start is cut at every start, each piece
  // covered with the coarsest buckets inside it, so that a bucket is in a window iff it starts at
  // or after the window's start.
  std::vector<int64_t> cuts(starts.begin(), starts.end());
  cuts.push_back(to);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  const int64_t mark = fold_mark(c);
  std::vector<Span> spans;
  for (std::size_t i = 0; i + 1 < cuts.size() && cuts[i] < to; ++i) {
    for (const auto& sp : cover(cuts[i], std::min(cuts[i + 1], to), mark)) append(spans, sp);
  }
  if (spans.empty()) return out;
  const auto full = split_columns(full_columns);
  // The columns read: only these, so that PostgreSQL can answer from the covering indexes of
  // migration 0015 without visiting the table.
  std::string read = "messages";
  for (const auto& name : full)
    if (name != "messages") read += ", " + name;
  // A user's sessions: on PostgreSQL as one array computed first, so that each range is one index
  // scan over all of them (not a join with sessions planned for every range).
  const std::string filter =
      session_id ? "session_id = ?"
      : c.dialect() == db::Dialect::postgres
          ? "session_id = ANY(ARRAY(SELECT id FROM sessions WHERE user_id = ?))"
          : "session_id IN (SELECT id FROM sessions WHERE user_id = ?)";
  const db::Value who = session_id ? *session_id : user_id.value_or("");
  std::vector<db::Value> params;
  std::string rows;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i) rows += " UNION ALL ";
    rows += "SELECT session_id, bucket_start, ";
    rows += read;
    rows += " FROM ";
    rows += spans[i].table;
    rows += " WHERE ";
    rows += filter;
    rows += " AND bucket_start >= ? AND bucket_start < ?";
  }
  auto range_params = [&] {
    for (const auto& sp : spans) {
      params.push_back(who);
      params.emplace_back(sp.from);
      params.emplace_back(sp.to);
    }
  };
  if (c.dialect() == db::Dialect::sqlite) {
    // In-process SQLite hands rows over for nothing: folded here, which beats one SUM(CASE) per
    // window and counter and a sort by session; and read with signed_cover (the overview: 6,000
    // rows instead of 10,000).
    std::vector<int64_t> bounded;  // the cuts up to the end of the range
    for (auto x : cuts)
      if (x <= to) bounded.push_back(x);
    const auto signed_spans = signed_cover(bounded, mark);
    const bool hours_by_time = user_id && !session_id && full_columns == kOverviewCounters &&
                               reads_hours_by_time(c, *user_id);
    std::string sql;
    for (std::size_t i = 0; i < signed_spans.size(); ++i) {
      if (i) sql += " UNION ALL ";
      sql += "SELECT ";
      sql += std::to_string(i);
      sql += ", session_id, bucket_start, ";
      sql += read;
      sql += " FROM ";
      sql += signed_spans[i].table;
      if (hours_by_time && std::string_view(signed_spans[i].table) == "analytics_rollup_hour")
        sql += " INDEXED BY idx_analytics_rollup_hour_time";
      sql += " WHERE ";
      sql += filter;
      sql += " AND bucket_start >= ? AND bucket_start < ?";
      params.push_back(who);
      params.emplace_back(signed_spans[i].from);
      params.emplace_back(signed_spans[i].to);
    }
    // Where each `full` counter is in the rows (messages fourth, the others after it) and its slot.
    std::vector<std::pair<std::size_t, std::size_t>> columns;
    columns.reserve(full.size());
    std::size_t next = 4;
    for (const auto& name : full)
      columns.emplace_back(name == "messages" ? 3 : next++, slot_of(name));
    // Each session's windows, found by its id without a copy; rows come grouped by session
    // except those read by time.
    std::map<std::string, std::size_t, std::less<>> session_at;
    std::vector<std::vector<Counters>> sums;
    auto last = session_at.end();  // the previous row's session (map iterators stay valid)
    auto windows_of = [&](std::string_view id) -> std::vector<Counters>& {
      if (last == session_at.end() || last->first != id) {
        last = session_at.find(id);
        if (last == session_at.end()) {
          last = session_at.emplace(std::string(id), sums.size()).first;
          sums.emplace_back(starts.size());
        }
      }
      return sums[last->second];
    };
    auto count = [&](std::vector<Counters>& windows, const db::Row& row, int64_t at, int64_t sign) {
      for (std::size_t k = 0; k < starts.size(); ++k) {
        if (at < starts[k]) continue;
        auto& m = windows[k];
        if (k < full_from) {
          m.messages += sign * cell(row, 3);
        } else {
          for (const auto& [col, slot_at] : columns) slot(m, slot_at) += sign * cell(row, col);
        }
      }
    };
    c.for_each_row(sql, params, [&](const db::Row& row) {
      const auto& sp = signed_spans.at(static_cast<std::size_t>(row.integer(0)));
      auto& windows = windows_of(row.text_view(1));
      if (sp.plus_at != kNone)
        count(windows, row, sp.plus_at == kOwn ? row.integer(2) : sp.plus_at, 1);
      if (sp.minus_at != kNone) count(windows, row, sp.minus_at, -1);
    });
    for (const auto& [id, at] : session_at) out.emplace_back(id, std::move(sums[at]));
    return out;
  }
  std::string sql = "SELECT session_id";
  for (std::size_t k = 0; k < starts.size(); ++k) {
    // Windows before `full_from` need the message count only.
    if (k < full_from) {
      sql += ", CAST(SUM(CASE WHEN bucket_start >= ? THEN messages ELSE 0 END) AS BIGINT)";
      params.emplace_back(starts[k]);
      continue;
    }
    for (const auto& name : full) {
      sql += ", CAST(SUM(CASE WHEN bucket_start >= ? THEN " + name + " ELSE 0 END) AS BIGINT)";
      params.emplace_back(starts[k]);
    }
  }
  range_params();
  sql += " FROM (" + rows + ") u GROUP BY session_id";
  for (const auto& row : c.query(sql, params).rows) {
    std::vector<Counters> sums;
    std::size_t col = 1;
    for (std::size_t k = 0; k < starts.size(); ++k) {
      Counters m;
      if (k < full_from) {
        m.messages = cell(row, col++);
      } else {
        for (const auto& name : full) slot(m, slot_of(name)) = cell(row, col++);
      }
      sums.push_back(m);
    }
    out.emplace_back(row.text(0), std::move(sums));
  }
  return out;
}

std::vector<std::pair<std::string, Counters>> sum_range(
    db::Connection& c, const std::optional<std::string>& session_id,
    const std::optional<std::string>& user_id, int64_t from, int64_t to) {
  std::vector<std::pair<std::string, Counters>> out;
  for (auto& [id, sums] : sum_windows(c, session_id, user_id, {from}, to, 0, kAllCounters))
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
  ReadScope scope(c);
  const int64_t a = zone.start_of(q.start), b = zone.start_of(q.end + 1);

  // The breakdown's buckets (days, ISO weeks or months, clipped to the range) and their UTC
  // starts: each is covered with the coarsest rollup buckets inside it (cover: quarters and hours
  // at its two ends only, days inside), so a rollup row belongs to the bucket its start is in.
  std::vector<int64_t> cuts;
  for (Day d = q.start; d <= q.end; ++d) {
    std::string label = q.period == Period::daily    ? format_date(d)
                        : q.period == Period::weekly ? iso_week_label(d)
                                                     : month_label(d);
    if (rep.breakdown.empty() || rep.breakdown.back().label != label) {
      rep.breakdown.push_back({std::move(label), d, d, {}});
      cuts.push_back(zone.start_of(d));
    }
    rep.breakdown.back().last = d;
  }
  cuts.push_back(b);
  const int64_t mark = fold_mark(c);
  std::vector<Span> spans;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    for (const auto& sp : cover(cuts[i], cuts[i + 1], mark)) append(spans, sp);
  }
  if (!spans.empty()) {
    std::vector<OffsetSpan> ranges;
    ranges.reserve(spans.size());
    for (const auto& sp : spans) ranges.push_back({sp.table, sp.from, sp.to, 0});
    std::vector<db::Value> params;
    const std::string rows =
        span_rows(c.dialect(), ranges,
                  "bucket_start, messages, ai_handled, errors, response_ms_sum, responses",
                  q.session_id, params);
    auto add = [&rep](std::size_t bucket, const db::Row& row) {
      auto& d = rep.breakdown[bucket].counters;
      d.messages += cell(row, 1);
      d.ai_handled += cell(row, 2);
      d.errors += cell(row, 3);
      d.response_ms_sum += cell(row, 4);
      d.responses += cell(row, 5);
    };
    if (c.dialect() == db::Dialect::sqlite) {
      // In-process SQLite hands rows over for nothing: folded here.
      for (const auto& row : c.query(rows, params).rows) {
        auto it = std::upper_bound(cuts.begin(), cuts.end(), row.integer(0));
        if (it == cuts.begin() || it == cuts.end()) continue;
        add(static_cast<std::size_t>(it - cuts.begin() - 1), row);
      }
    } else {
      // Over PostgreSQL's wire rows are not free: grouped there by bucket (width_bucket over the
      // ascending starts: 1 for the first bucket).
      std::string starts = "ARRAY[";
      for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
        starts += (i ? "," : "") + std::to_string(cuts[i]);
      starts += "]::bigint[]";
      std::string sql = "SELECT width_bucket(bucket_start, ";
      sql += starts;
      sql +=
          ") AS k, CAST(SUM(messages) AS BIGINT), CAST(SUM(ai_handled) AS BIGINT), "
          "CAST(SUM(errors) AS BIGINT), CAST(SUM(response_ms_sum) AS BIGINT), "
          "CAST(SUM(responses) AS BIGINT) FROM (";
      sql += rows;
      sql += ") u GROUP BY k";
      for (const auto& row : c.query(sql, params).rows) {
        const int64_t k = row.integer(0);
        if (k >= 1 && k < static_cast<int64_t>(cuts.size()))
          add(static_cast<std::size_t>(k - 1), row);
      }
    }
  }

  // Peak hours: messages per local hour of day. Within each piece of the range with one UTC
  // offset, the whole 16-day blocks are read from analytics_rollup_time_of_day (96 rows a block,
  // whatever the offset), the rest from hour rows where the offset is a whole number of hours and
  // from quarter rows otherwise; from the fold mark on, from quarter rows.
  {
    std::vector<OffsetSpan> peak;
    auto edge = [&peak](int64_t from, int64_t to, int64_t offset) {
      if (from >= to) return;
      const int64_t ha = ceil_to(from, kHour), hb = floor_to(to, kHour);
      if (offset % kHour != 0 || ha >= hb) {
        peak.push_back({"analytics_rollup_quarter", from, to, offset});
        return;
      }
      if (from < ha) peak.push_back({"analytics_rollup_quarter", from, ha, offset});
      peak.push_back({"analytics_rollup_hour", ha, hb, offset});
      if (hb < to) peak.push_back({"analytics_rollup_quarter", hb, to, offset});
    };
    const auto pieces = zone.offsets(a, b);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      const int64_t from = std::max(pieces[i].from, a);
      const int64_t end = i + 1 < pieces.size() ? pieces[i + 1].from : b;
      const int64_t off = pieces[i].offset;
      const int64_t to = std::min(std::max(mark, from), end);
      if (to < end) peak.push_back({"analytics_rollup_quarter", to, end, off});
      const int64_t ba = ceil_to(from, kTimeOfDayBlock), bb = floor_to(to, kTimeOfDayBlock);
      if (ba < bb) {
        edge(from, ba, off);
        peak.push_back({"analytics_rollup_time_of_day", ba, bb, off});
        edge(bb, to, off);
      } else {
        edge(from, to, off);
      }
    }
    // Seconds since UTC midnight plus the offset, brought into [0, 86400), in hours.
    std::vector<db::Value> params;
    const std::string sql =
        "SELECT h, CAST(SUM(m) AS BIGINT) FROM (" +
        span_rows(c.dialect(), peak,
                  "(({time_of_day} + {offset}) % 86400 + 86400) % 86400 / 3600 AS h, messages AS m",
                  q.session_id, params) +
        ") u GROUP BY h";
    if (!peak.empty()) {
      for (const auto& row : c.query(sql, params).rows) {
        const int64_t h = row.integer(0);
        if (h >= 0 && h < 24) rep.peak_hours[static_cast<std::size_t>(h)] += cell(row, 1);
      }
    }
  }

  for (auto& [id, sum] : sum_range(c, q.session_id, std::nullopt, a, b)) rep.summary = sum;

  auto created = c.query("SELECT created_ms FROM sessions WHERE id = ?", {q.session_id});
  const int64_t created_ms = created.rows.empty() ? 0 : created.rows.front().integer(0);
  rep.uptime_percentage =
      uptime_percentage(c, q.session_id, created_ms, a * 1000, b * 1000, q.now_ms);
  scope.done();
  return rep;
}

Overview overview(db::Connection& c, const Zone& zone, const std::string& user_id, int64_t now_ms) {
  Overview o;
  ReadScope scope(c);
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
  for (auto& [id, sums] :
       sum_windows(c, std::nullopt, user_id, starts, end, 3, kOverviewCounters)) {
    auto it = index.find(id);
    if (it == index.end()) continue;
    auto& s = o.sessions[it->second];
    s.today = sums[0].messages;
    s.this_week = sums[1].messages;
    s.this_month = sums[2].messages;
    s.last_30_days = sums[3];
  }
  scope.done();
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

// Analytics: dates, ISO weeks and time zones; the rollups kept by the triggers of
// migrations 0010 and 0015 against a direct aggregation of the raw rows after random traffic; and
// the session report and overview against answers computed by hand (both databases).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>

#include "analytics/format.hpp"
#include "analytics/report.hpp"
#include "analytics/zone.hpp"
#include "auth/crypto.hpp"
#include "config/config.hpp"
#include "db/migrations.hpp"
#include "observability/session_metrics.hpp"
#include "test_db.hpp"
#include "util/time.hpp"

using namespace gw;
using namespace gw::analytics;

namespace {

Day day(const char* s) {
  auto d = parse_date(s);
  EXPECT_TRUE(d) << s;
  return d.value_or(0);
}

int64_t unix_s(const char* iso) {
  auto t = util::parse_iso8601(iso);
  EXPECT_TRUE(t) << iso;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

Zone zone(const char* name) {
  auto z = Zone::find(name);
  EXPECT_TRUE(z) << name;
  return z.value_or(*Zone::find("UTC"));
}

}  // namespace

// --- dates and zones ----------------------------------------------------------------------------

TEST(AnalyticsDates, StrictDates) {
  EXPECT_EQ(format_date(day("2024-02-29")), "2024-02-29");
  EXPECT_EQ(day("1970-01-01"), 0);
  for (const char* bad :
       {"2023-02-29", "2024-13-01", "2024-11-31", "2024-1-01", "24-11-01", "2024/11/01",
        "2024-11-01T00:00", "", "abcd-ef-gh", "1969-12-31", "2024-00-10", "2024-11-00"}) {
    EXPECT_FALSE(parse_date(bad)) << bad;
  }
}

TEST(AnalyticsDates, IsoWeeksAcrossYearBoundaries) {
  EXPECT_EQ(iso_week_label(day("2024-12-29")), "2024-W52");  // Sunday
  EXPECT_EQ(iso_week_label(day("2024-12-30")), "2025-W01");  // Monday of 2025's first week
  EXPECT_EQ(iso_week_label(day("2025-01-05")), "2025-W01");
  EXPECT_EQ(iso_week_label(day("2025-01-06")), "2025-W02");
  EXPECT_EQ(iso_week_label(day("2021-01-03")), "2020-W53");  // 2020 had 53 weeks
  EXPECT_EQ(iso_week_label(day("2026-12-31")), "2026-W53");
  EXPECT_EQ(weekday(day("2024-11-11")), 0);  // Monday
  EXPECT_EQ(weekday(day("2024-11-17")), 6);  // Sunday
  EXPECT_EQ(month_label(day("2024-02-29")), "2024-02");
  EXPECT_EQ(format_date(first_of_month(day("2024-02-29"))), "2024-02-01");
}

TEST(AnalyticsZones, KnownAndUnknown) {
  EXPECT_TRUE(Zone::find("UTC"));
  EXPECT_TRUE(Zone::find("Asia/Jakarta"));
  for (const char* bad : {"Asia/Nowhere", "", "../../etc/passwd", "/etc/localtime", "Asia/Jak arta",
                          "Asia/Jakarta\n", "+07:00"}) {
    EXPECT_FALSE(Zone::find(bad)) << bad;
  }
}

TEST(AnalyticsZones, LocalMidnights) {
  // Jakarta is UTC+7 all year: its 2 November starts at 17:00 UTC on 1 November.
  EXPECT_EQ(zone("Asia/Jakarta").start_of(day("2024-11-02")), unix_s("2024-11-01T17:00:00Z"));
  EXPECT_EQ(zone("Asia/Kolkata").start_of(day("2024-11-02")), unix_s("2024-11-01T18:30:00Z"));
  EXPECT_EQ(zone("Asia/Kathmandu").start_of(day("2024-11-02")), unix_s("2024-11-01T18:15:00Z"));
  EXPECT_EQ(zone("Asia/Jakarta").day_at(unix_s("2024-11-01T16:59:59Z")), day("2024-11-01"));
  EXPECT_EQ(zone("Asia/Jakarta").day_at(unix_s("2024-11-01T17:00:00Z")), day("2024-11-02"));
  // New York: EDT (-4) until 3 November 2024 06:00 UTC, then EST (-5).
  auto ny = zone("America/New_York");
  EXPECT_EQ(ny.start_of(day("2024-11-03")), unix_s("2024-11-03T04:00:00Z"));
  EXPECT_EQ(ny.start_of(day("2024-11-04")), unix_s("2024-11-04T05:00:00Z"));
  auto pieces = ny.offsets(unix_s("2024-11-01T04:00:00Z"), unix_s("2024-11-10T05:00:00Z"));
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[0].offset, -4 * 3600);
  EXPECT_EQ(pieces[1].from, unix_s("2024-11-03T06:00:00Z"));
  EXPECT_EQ(pieces[1].offset, -5 * 3600);
  // Midnight skipped by a DST change (Santiago, 8 September 2024: 00:00 -> 01:00): the day
  // starts when the gap ends.
  EXPECT_EQ(zone("America/Santiago").start_of(day("2024-09-08")), unix_s("2024-09-08T04:00:00Z"));
}

TEST(AnalyticsCsv, FieldsQuotedAndDefused) {
  EXPECT_EQ(csv_field("Agent 1"), "Agent 1");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(csv_field("line\nbreak"), "\"line\nbreak\"");
}

// --- with a database ----------------------------------------------------------------------------

namespace {

struct Row {
  std::string at;  // created_at, ISO-8601 UTC
  std::string type = "text";
  bool group = false, mention = false, sent = false, success = false;
  std::optional<int64_t> rt;
  std::optional<std::string> error;
};

class AnalyticsDb : public ::testing::TestWithParam<db::Dialect> {
 public:
  void SetUp() override {
    tdb_ = std::make_unique<gw::testing::TestDatabase>(GetParam());
    GW_REQUIRE_DB(*tdb_);
    db::Migrator(tdb_->db()).up();
    user_ = new_user();
  }
  template <typename F>
  auto with(F f) {
    return tdb_->db().with_connection(f);
  }
  std::string new_user() {
    std::string id = auth::uuid_v4();
    with([&](db::Connection& c) {
      c.query("INSERT INTO users (id, pin_hash) VALUES (?, ?)",
              {id, auth::hex_encode(auth::random_bytes(32))});
    });
    return id;
  }
  std::string new_session(const std::string& user, const std::string& name, int64_t created_ms = 0,
                          const std::string& status = "disconnected") {
    std::string id = auth::uuid_v4();
    with([&](db::Connection& c) {
      c.query(
          "INSERT INTO sessions (id, user_id, session_name, webhook_url, created_ms, status) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {id, user, name, std::string("http://127.0.0.1:5678/hook"), created_ms, status});
    });
    return id;
  }
  int64_t add(const std::string& session, const Row& r) {
    return with([&](db::Connection& c) { return add_on(c, session, r); });
  }
  static int64_t add_on(db::Connection& c, const std::string& session, const Row& r) {
    auto res = c.query(
        "INSERT INTO analytics (session_id, message_id, message_type, is_group, is_mention, "
        "webhook_sent, webhook_success, webhook_response_time_ms, error_message, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        {session, auth::uuid_v4(), r.type, int64_t{r.group}, int64_t{r.mention}, int64_t{r.sent},
         int64_t{r.success}, r.rt ? db::Value(*r.rt) : db::Value(nullptr),
         r.error ? db::Value(*r.error) : db::Value(nullptr), r.at});
    return res.rows.at(0).integer(0);
  }
  int64_t add_at(const std::string& session, const std::string& at) {
    Row r;
    r.at = at;
    return add(session, r);
  }
  SessionReport report(const std::string& session, const char* tz, const char* from, const char* to,
                       Period p, const char* now) {
    SessionQuery q{session, p, day(from), day(to), unix_s(now) * 1000};
    return with([&](db::Connection& c) { return session_report(c, zone(tz), q); });
  }

  // The rollups' fold mark (migration 0019).
  int64_t mark() {
    return with([](db::Connection& c) { return fold_mark(c); });
  }
  // PostgreSQL: whether a transaction waits for an advisory lock.
  bool fold_waiting() {
    return with([](db::Connection& c) {
      return !c.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
                  .rows.empty();
    });
  }
  // The fold mark set on a database without analytics rows: any mark keeps the coarse levels
  // exact then.
  void set_mark(int64_t at) {
    with([&](db::Connection& c) {
      ASSERT_EQ(c.query("SELECT COUNT(*) FROM analytics").rows.at(0).integer(0), 0);
      c.query("UPDATE analytics_fold SET folded_before = ?", {at});
    });
  }
  // session_id, created_at in Unix seconds, message_type, is_group, is_mention, webhook_sent,
  // webhook_success, webhook_response_time_ms, error_message of every analytics row.
  db::Result raw_rows() {
    const bool pg = GetParam() == db::Dialect::postgres;
    return with([&](db::Connection& c) {
      return c.query(std::string("SELECT session_id, ") +
                     (pg ? "CAST(floor(extract(epoch FROM created_at)) AS BIGINT)"
                         : "CAST(strftime('%s', created_at) AS INTEGER)") +
                     ", message_type, is_group, is_mention, webhook_sent, webhook_success, "
                     "webhook_response_time_ms, error_message FROM analytics");
    });
  }
  // Every rollup level against the raw rows, by this test's own arithmetic: the quarters all of
  // them, the coarse levels those whose quarter starts before the fold mark.
  void expect_rollups_match_raw(const std::string& how) {
    const auto raw = raw_rows();
    const int64_t folded_before = mark();
    for (const auto& [table, width] : {std::pair{"analytics_rollup_quarter", int64_t{900}},
                                       std::pair{"analytics_rollup_hour", int64_t{3600}},
                                       std::pair{"analytics_rollup_day", int64_t{86400}}}) {
      std::map<std::pair<std::string, int64_t>, Counters> want;
      for (const auto& row : raw.rows) {
        const int64_t t = row.integer(1);
        if (width > 900 && t - t % 900 >= folded_before) continue;
        auto& c = want[{row.text(0), t - t % width}];
        const bool group = row.integer(3) != 0, mention = row.integer(4) != 0;
        const bool sent = row.integer(5) != 0, ok = row.integer(6) != 0;
        c.messages += 1;
        c.group_messages += group;
        c.group_mentions += group && mention;
        c.forwarded += sent;
        c.ai_handled += ok;
        c.errors += !row.is_null(8) || (sent && !ok);
        if (ok && !row.is_null(7)) {
          c.response_ms_sum += row.integer(7);
          c.responses += 1;
        }
        const auto type = row.text(2);
        for (std::size_t k = 0; k < kMessageTypes.size(); ++k)
          c.types[k] += type == kMessageTypes[k];
      }
      std::map<std::pair<std::string, int64_t>, Counters> got;
      auto rows = with([&](db::Connection& c) {
        return c.query(
            std::string("SELECT session_id, bucket_start, messages, group_messages, "
                        "group_mentions, forwarded, ai_handled, errors, response_ms_sum, "
                        "responses, type_text, type_image, type_document, type_audio, "
                        "type_video, type_sticker, type_location, type_contact, "
                        "type_reaction, type_poll, type_unknown FROM ") +
            table + " WHERE messages <> 0");
      });
      for (const auto& row : rows.rows) {
        Counters c;
        c.messages = row.integer(2);
        c.group_messages = row.integer(3);
        c.group_mentions = row.integer(4);
        c.forwarded = row.integer(5);
        c.ai_handled = row.integer(6);
        c.errors = row.integer(7);
        c.response_ms_sum = row.integer(8);
        c.responses = row.integer(9);
        for (std::size_t k = 0; k < c.types.size(); ++k) c.types[k] = row.integer(10 + k);
        got[{row.text(0), row.integer(1)}] = c;
      }
      EXPECT_EQ(got.size(), want.size()) << table << " " << how;
      for (const auto& [key, c] : want) {
        auto it = got.find(key);
        ASSERT_NE(it, got.end()) << table << " " << key.second << " " << how;
        EXPECT_TRUE(it->second == c) << table << " bucket " << key.second << " " << how;
      }
    }
    // The time-of-day level (migration 0015): messages per UTC quarter of the day and 16-day block.
    {
      std::map<std::tuple<std::string, int64_t, int64_t>, int64_t> want;
      for (const auto& row : raw.rows) {
        const int64_t t = row.integer(1);
        if (t - t % 900 < folded_before) want[{row.text(0), t - t % 1382400, t % 86400 / 900}] += 1;
      }
      std::map<std::tuple<std::string, int64_t, int64_t>, int64_t> got;
      auto rows = with([&](db::Connection& c) {
        return c.query(
            "SELECT session_id, block_start, quarter_of_day, messages FROM "
            "analytics_rollup_time_of_day WHERE messages <> 0");
      });
      for (const auto& row : rows.rows)
        got[{row.text(0), row.integer(1), row.integer(2)}] = row.integer(3);
      EXPECT_EQ(got, want) << "analytics_rollup_time_of_day " << how;
    }
  }

  std::unique_ptr<gw::testing::TestDatabase> tdb_;
  std::string user_;
};

// November 2024 of one session, computed by hand (UTC and Asia/Jakarta, UTC+7).
void seed_november(AnalyticsDb& t, const std::string& s) {
  t.add(s, {"2024-11-01T09:15:00.000Z", "text", false, false, true, true, 400, {}});
  t.add(s, {"2024-11-01T09:45:00.000Z", "text", false, false, true, true, 600, {}});
  t.add(s, {"2024-11-01T23:30:00.000Z", "image", true, true, true, false, 30000, "HTTP 500"});
  t.add(s, {"2024-11-02T10:00:00.000Z", "text", true, false, false, false, {}, {}});
  t.add(s, {"2024-11-15T14:10:00.000Z", "document", false, false, true, true, 200, {}});
  t.add(s, {"2024-11-30T23:59:59.999Z",
            "unknown",
            false,
            false,
            false,
            false,
            {},
            "undecryptable: signal_no_session"});
  t.add(s, {"2024-10-31T23:59:59.000Z", "text", false, false, false, false, {}, {}});
  t.add(s, {"2024-12-01T00:00:00.000Z", "text", false, false, false, false, {}, {}});
}

std::map<int, int64_t> nonzero_hours(const SessionReport& r) {
  std::map<int, int64_t> out;
  for (int h = 0; h < 24; ++h)
    if (r.peak_hours[static_cast<std::size_t>(h)])
      out[h] = r.peak_hours[static_cast<std::size_t>(h)];
  return out;
}

const BreakdownRow& on(const SessionReport& r, const char* label) {
  for (const auto& b : r.breakdown)
    if (b.label == label) return b;
  static BreakdownRow none;
  ADD_FAILURE() << "no bucket " << label;
  return none;
}

}  // namespace

TEST_P(AnalyticsDb, SessionReportInUtc) {
  auto s = new_session(user_, "Agent 1");
  seed_november(*this, s);
  auto r = report(s, "UTC", "2024-11-01", "2024-11-30", Period::daily, "2024-12-15T00:00:00Z");
  const auto& c = r.summary;
  EXPECT_EQ(c.messages, 6);
  EXPECT_EQ(c.ai_handled, 3);
  EXPECT_EQ(c.forwarded, 4);
  EXPECT_DOUBLE_EQ(c.success_rate(), 75.0);
  EXPECT_EQ(c.avg_response_time_ms(), 400);  // (400 + 600 + 200) / 3: failures not averaged
  EXPECT_EQ(c.messages - c.group_messages, 4);
  EXPECT_EQ(c.group_messages, 2);
  EXPECT_EQ(c.group_mentions, 1);
  EXPECT_EQ(c.errors, 2);
  EXPECT_EQ(c.types[0], 3);   // text
  EXPECT_EQ(c.types[1], 1);   // image
  EXPECT_EQ(c.types[2], 1);   // document
  EXPECT_EQ(c.types[10], 1);  // unknown
  EXPECT_EQ(nonzero_hours(r), (std::map<int, int64_t>{{9, 2}, {10, 1}, {14, 1}, {23, 2}}));
  ASSERT_EQ(r.breakdown.size(), 30u);
  EXPECT_EQ(r.breakdown.front().label, "2024-11-01");
  EXPECT_EQ(r.breakdown.back().label, "2024-11-30");
  const auto& d1 = on(r, "2024-11-01").counters;
  EXPECT_EQ(d1.messages, 3);
  EXPECT_EQ(d1.ai_handled, 2);
  EXPECT_EQ(d1.avg_response_time_ms(), 500);
  EXPECT_EQ(d1.errors, 1);
  EXPECT_EQ(on(r, "2024-11-02").counters.messages, 1);
  EXPECT_EQ(on(r, "2024-11-15").counters.avg_response_time_ms(), 200);
  EXPECT_EQ(on(r, "2024-11-30").counters.errors, 1);
  EXPECT_EQ(on(r, "2024-11-20").counters.messages, 0);
  // The JSON shape of docs/API.md "Analytics".
  auto j = session_json({s, "Agent 1"}, zone("UTC"),
                        {s, Period::daily, day("2024-11-01"), day("2024-11-30"), 0}, r);
  EXPECT_EQ(j.at("summary").at("total_messages").as_int64(), 6);
  EXPECT_EQ(j.at("summary").at("private_messages").as_int64(), 4);
  EXPECT_EQ(j.at("peak_hours").as_array().size(), 24u);
  EXPECT_EQ(j.at("daily_breakdown").as_array().size(), 30u);
  EXPECT_EQ(j.at("message_types").at("text").as_int64(), 3);
  auto csv = session_csv(r);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "date,start_date,end_date,total_messages,ai_handled,avg_response_time_ms,errors");
  EXPECT_NE(csv.find("\r\n2024-11-01,2024-11-01,2024-11-01,3,2,500,1\r\n"), std::string::npos);
}

TEST_P(AnalyticsDb, JakartaMovesMessagesAcrossMidnight) {
  auto s = new_session(user_, "Agent 1");
  seed_november(*this, s);
  auto r =
      report(s, "Asia/Jakarta", "2024-11-01", "2024-11-30", Period::daily, "2024-12-15T00:00:00Z");
  // In: 31 Oct 23:59:59Z (1 Nov 06:59 local). Out: 30 Nov 23:59:59Z (1 Dec 06:59 local).
  EXPECT_EQ(r.summary.messages, 6);
  EXPECT_EQ(r.summary.types[0], 4);
  EXPECT_EQ(r.summary.errors, 1);
  EXPECT_EQ(nonzero_hours(r), (std::map<int, int64_t>{{6, 2}, {16, 2}, {17, 1}, {21, 1}}));
  EXPECT_EQ(on(r, "2024-11-01").counters.messages, 3);
  EXPECT_EQ(on(r, "2024-11-01").counters.errors, 0);
  EXPECT_EQ(on(r, "2024-11-02").counters.messages, 2);  // 1 Nov 23:30Z is 2 Nov 06:30 local
  EXPECT_EQ(on(r, "2024-11-02").counters.errors, 1);
  EXPECT_EQ(on(r, "2024-11-15").counters.ai_handled, 1);
  EXPECT_EQ(on(r, "2024-11-30").counters.messages, 0);
}

TEST_P(AnalyticsDb, HalfHourZoneSplitsUtcHours) {
  auto s = new_session(user_, "India");
  // Kolkata is UTC+05:30: 18:29Z is 23:59 on 1 Nov, 18:30Z is 00:00 on 2 Nov.
  add_at(s, "2024-11-01T18:29:00.000Z");
  add_at(s, "2024-11-01T18:30:00.000Z");
  add_at(s, "2024-11-01T18:59:00.000Z");
  auto r =
      report(s, "Asia/Kolkata", "2024-11-01", "2024-11-02", Period::daily, "2024-12-15T00:00:00Z");
  EXPECT_EQ(on(r, "2024-11-01").counters.messages, 1);
  EXPECT_EQ(on(r, "2024-11-02").counters.messages, 2);
  EXPECT_EQ(nonzero_hours(r), (std::map<int, int64_t>{{0, 2}, {23, 1}}));
  auto one_day =
      report(s, "Asia/Kolkata", "2024-11-02", "2024-11-02", Period::daily, "2024-12-15T00:00:00Z");
  EXPECT_EQ(one_day.summary.messages, 2);  // the summary's cover splits the UTC hour too
}

// Peak hours over a year come from the time-of-day rows (whole 16-day blocks) and from quarter or
// hour rows at the ends of the range; the monthly breakdown from day rows inside each local month
// and hour and quarter rows at its ends. Hand-computed in three zones.
TEST_P(AnalyticsDb, AYearOfPeakHoursAndMonthsInThreeZones) {
  auto s = new_session(user_, "Year");
  for (const char* at : {"2023-12-31T18:29:00.000Z",     // Kolkata 31 Dec 23:59; NY 13:29 EST
                         "2024-01-01T18:29:00.000Z",     // Kolkata 1 Jan 23:59 (the first edge)
                         "2024-03-15T04:29:00.000Z",     // Kolkata 09:59; NY 00:29 EDT
                         "2024-03-15T04:30:00.000Z",     // Kolkata 10:00; NY 00:30 EDT
                         "2024-07-04T20:45:00.000Z",     // Kolkata 5 Jul 02:15; NY 16:45 EDT
                         "2024-12-31T18:15:00.000Z",     // Kolkata 23:45 (the last edge)
                         "2024-12-31T18:30:00.000Z"}) {  // Kolkata 1 Jan 2025 00:00
    add_at(s, at);
  }
  auto k = report(s, "Asia/Kolkata", "2024-01-01", "2024-12-31", Period::monthly,
                  "2025-02-01T00:00:00Z");
  EXPECT_EQ(k.summary.messages, 5);
  EXPECT_EQ(nonzero_hours(k), (std::map<int, int64_t>{{2, 1}, {9, 1}, {10, 1}, {23, 2}}));
  ASSERT_EQ(k.breakdown.size(), 12u);
  EXPECT_EQ(on(k, "2024-01").counters.messages, 1);
  EXPECT_EQ(on(k, "2024-03").counters.messages, 2);
  EXPECT_EQ(on(k, "2024-07").counters.messages, 1);
  EXPECT_EQ(on(k, "2024-12").counters.messages, 1);
  EXPECT_EQ(on(k, "2024-06").counters.messages, 0);

  // New York: EST (-5) until 10 March 07:00 UTC, EDT (-4) until 3 November 06:00 UTC, EST again;
  // 18:30Z on 31 December is still 31 December there.
  auto ny = report(s, "America/New_York", "2024-01-01", "2024-12-31", Period::monthly,
                   "2025-02-01T00:00:00Z");
  EXPECT_EQ(ny.summary.messages, 6);
  EXPECT_EQ(nonzero_hours(ny), (std::map<int, int64_t>{{0, 2}, {13, 3}, {16, 1}}));
  EXPECT_EQ(on(ny, "2024-12").counters.messages, 2);

  auto utc = report(s, "UTC", "2024-01-01", "2024-12-31", Period::weekly, "2025-02-01T00:00:00Z");
  EXPECT_EQ(utc.summary.messages, 6);
  EXPECT_EQ(nonzero_hours(utc), (std::map<int, int64_t>{{4, 2}, {18, 3}, {20, 1}}));
  auto jakarta = report(s, "Asia/Jakarta", "2024-01-01", "2024-12-31", Period::monthly,
                        "2025-02-01T00:00:00Z");
  // Jakarta (+7): 1 Jan 01:29, 2 Jan 01:29, 15 Mar 11:29 and 11:30, 5 Jul 03:45; the last two
  // are on 1 January 2025 there.
  EXPECT_EQ(jakarta.summary.messages, 5);
  EXPECT_EQ(nonzero_hours(jakarta), (std::map<int, int64_t>{{1, 2}, {3, 1}, {11, 2}}));
  EXPECT_EQ(on(jakarta, "2024-01").counters.messages, 2);
  EXPECT_EQ(on(jakarta, "2024-12").counters.messages, 0);
}

TEST_P(AnalyticsDb, DstChangeInNewYork) {
  auto s = new_session(user_, "NY");
  add_at(s, "2024-11-03T05:30:00.000Z");  // 01:30 EDT (the first 01:30)
  add_at(s, "2024-11-03T06:30:00.000Z");  // 01:30 EST (the second)
  add_at(s, "2024-11-04T04:30:00.000Z");  // 23:30 EST on 3 November
  auto r = report(s, "America/New_York", "2024-11-03", "2024-11-04", Period::daily,
                  "2024-12-15T00:00:00Z");
  EXPECT_EQ(on(r, "2024-11-03").counters.messages, 3);
  EXPECT_EQ(nonzero_hours(r), (std::map<int, int64_t>{{1, 2}, {23, 1}}));
}

TEST_P(AnalyticsDb, WeeksAcrossTheYearAndMonthsOfEveryLength) {
  auto s = new_session(user_, "Weeks");
  for (const char* at : {"2024-12-29T12:00:00.000Z", "2024-12-30T12:00:00.000Z",
                         "2025-01-05T12:00:00.000Z", "2025-01-06T12:00:00.000Z"})
    add_at(s, at);
  auto w = report(s, "UTC", "2024-12-28", "2025-01-07", Period::weekly, "2025-02-01T00:00:00Z");
  ASSERT_EQ(w.breakdown.size(), 3u);
  EXPECT_EQ(w.breakdown[0].label, "2024-W52");
  EXPECT_EQ(format_date(w.breakdown[0].first), "2024-12-28");  // clipped to the range
  EXPECT_EQ(format_date(w.breakdown[0].last), "2024-12-29");
  EXPECT_EQ(w.breakdown[0].counters.messages, 1);
  EXPECT_EQ(w.breakdown[1].label, "2025-W01");
  EXPECT_EQ(format_date(w.breakdown[1].first), "2024-12-30");
  EXPECT_EQ(format_date(w.breakdown[1].last), "2025-01-05");
  EXPECT_EQ(w.breakdown[1].counters.messages, 2);
  EXPECT_EQ(w.breakdown[2].label, "2025-W02");
  EXPECT_EQ(w.breakdown[2].counters.messages, 1);

  auto m = new_session(user_, "Months");
  for (const char* at : {"2024-02-29T23:00:00.000Z", "2024-03-31T23:00:00.000Z",
                         "2024-04-30T23:00:00.000Z", "2024-04-30T23:30:00.000Z"})
    add_at(m, at);
  auto r = report(m, "UTC", "2024-02-01", "2024-04-30", Period::monthly, "2025-01-01T00:00:00Z");
  ASSERT_EQ(r.breakdown.size(), 3u);
  EXPECT_EQ(r.breakdown[0].label, "2024-02");
  EXPECT_EQ(format_date(r.breakdown[0].last), "2024-02-29");
  EXPECT_EQ(r.breakdown[1].label, "2024-03");
  EXPECT_EQ(format_date(r.breakdown[1].last), "2024-03-31");
  EXPECT_EQ(r.breakdown[2].label, "2024-04");
  EXPECT_EQ(format_date(r.breakdown[2].last), "2024-04-30");
  EXPECT_EQ(r.breakdown[0].counters.messages, 1);
  EXPECT_EQ(r.breakdown[1].counters.messages, 1);
  EXPECT_EQ(r.breakdown[2].counters.messages, 2);
  // In Jakarta the 23:00Z messages belong to the next day, hence the next month.
  auto j = report(m, "Asia/Jakarta", "2024-02-01", "2024-04-30", Period::monthly,
                  "2025-01-01T00:00:00Z");
  EXPECT_EQ(j.breakdown[0].counters.messages, 0);
  EXPECT_EQ(j.breakdown[1].counters.messages, 1);  // 29 Feb 23:00Z is 1 Mar 06:00 local
  EXPECT_EQ(j.breakdown[2].counters.messages, 1);  // 31 Mar 23:00Z is 1 Apr; 30 Apr's leave
}

TEST_P(AnalyticsDb, UptimeOverTheLifeOfTheSessionInTheRange) {
  const int64_t created = unix_s("2024-11-10T00:00:00Z") * 1000;
  auto s = new_session(user_, "Up", created);
  with([&](db::Connection& c) {
    // Spans the creation edge; then one still open (counts up to now).
    c.query(
        "INSERT INTO session_connections (session_id, connected_ms, disconnected_ms, "
        "last_seen_ms) VALUES (?, ?, ?, ?)",
        {s, unix_s("2024-10-30T00:00:00Z") * 1000, unix_s("2024-11-11T00:00:00Z") * 1000,
         unix_s("2024-11-11T00:00:00Z") * 1000});
    c.query(
        "INSERT INTO session_connections (session_id, connected_ms, last_seen_ms) "
        "VALUES (?, ?, ?)",
        {s, unix_s("2024-11-20T00:00:00Z") * 1000, unix_s("2024-11-20T00:00:00Z") * 1000});
  });
  // Existed 10 Nov - 1 Dec (21 days); connected 10-11 Nov and 20 Nov - 1 Dec (12 days).
  auto r = report(s, "UTC", "2024-11-01", "2024-11-30", Period::daily, "2024-12-15T00:00:00Z");
  EXPECT_DOUBLE_EQ(r.uptime_percentage, 57.1);
  // The open interval covers all of December up to now (15 Dec 12:00): 100 %.
  auto d = report(s, "UTC", "2024-12-01", "2024-12-31", Period::daily, "2024-12-15T12:00:00Z");
  EXPECT_DOUBLE_EQ(d.uptime_percentage, 100.0);
  // A range before the session existed.
  auto before = report(s, "UTC", "2024-10-01", "2024-10-31", Period::daily, "2024-12-15T12:00:00Z");
  EXPECT_DOUBLE_EQ(before.uptime_percentage, 0.0);
}

TEST_P(AnalyticsDb, OverviewOfAUsersSessions) {
  auto a = new_session(user_, "Agent A", 0, "connected");
  auto b = new_session(user_, "Agent B");
  auto stranger = new_session(new_user(), "Not mine");
  add(a, {"2024-11-15T10:00:00.000Z", "text", false, false, true, true, 100, {}});
  add(a, {"2024-11-12T10:00:00.000Z", "text", false, false, true, true, 300, {}});
  add(a, {"2024-11-02T10:00:00.000Z", "text", false, false, true, false, 5000, "HTTP 500"});
  add(a, {"2024-10-20T10:00:00.000Z", "text", false, false, true, true, 200, {}});
  add(a, {"2024-10-10T10:00:00.000Z", "text", false, false, true, true, 9000, {}});  // > 30 days
  add(b, {"2024-11-14T18:00:00.000Z", "text", true, false, false, false, {}, {}});
  add(stranger, {"2024-11-15T10:00:00.000Z", "text", false, false, true, true, 1, {}});
  const int64_t now = unix_s("2024-11-15T12:00:00Z") * 1000;  // a Friday
  auto o = with([&](db::Connection& c) { return overview(c, zone("UTC"), user_, now); });
  ASSERT_EQ(o.sessions.size(), 2u);
  EXPECT_EQ(o.today, 1);
  EXPECT_EQ(o.this_week, 3);   // from Monday 11 Nov
  EXPECT_EQ(o.this_month, 4);  // from 1 Nov
  EXPECT_EQ(o.last_30_days.messages, 5);
  EXPECT_EQ(o.last_30_days.avg_response_time_ms(), 200);
  EXPECT_DOUBLE_EQ(o.last_30_days.success_rate(), 75.0);
  ASSERT_EQ(o.top.size(), 2u);
  EXPECT_EQ(o.sessions[o.top[0]].session_id, a);
  EXPECT_EQ(o.sessions[o.top[1]].session_id, b);
  auto j = overview_json(o);
  EXPECT_EQ(j.at("total_sessions").as_int64(), 2);
  EXPECT_EQ(j.at("active_sessions").as_int64(), 1);
  EXPECT_EQ(j.at("top_performing_sessions").as_array()[0].at("total_messages").as_int64(), 4);
  // In Jakarta it is already 19:00: B's message (01:00 on the 15th local) is today's too.
  auto jk = with([&](db::Connection& c) { return overview(c, zone("Asia/Jakarta"), user_, now); });
  EXPECT_EQ(jk.today, 2);
}

// A report whose range ends at or just before the fold mark, in a zone whose days end inside a UTC
// hour (Asia/Kolkata: 18:30 UTC). Its last UTC day is read as the day row less the rows after the
// range; the day row holds only the quarters before the mark, so only those may be taken away.
TEST_P(AnalyticsDb, ARangeEndingAtTheFoldMark) {
  auto s = new_session(user_, "Mark");
  const int64_t b = unix_s("2025-01-01T18:30:00Z");  // the end of 1 January in Kolkata
  set_mark(b);
  add_at(s, "2025-01-01T10:00:00.000Z");  // 15:30 in Kolkata, 1 January
  add_at(s, "2025-01-01T18:40:00.000Z");  // 2 January in Kolkata, past the mark: quarters only
  add_at(s, "2025-01-01T18:50:00.000Z");
  auto check = [&](const char* how) {
    auto r = report(s, "Asia/Kolkata", "2025-01-01", "2025-01-01", Period::daily,
                    "2025-01-01T19:10:00Z");
    EXPECT_EQ(r.summary.messages, 1) << how;
    ASSERT_EQ(r.breakdown.size(), 1u);
    EXPECT_EQ(r.breakdown[0].counters.messages, 1) << how;
    EXPECT_EQ(nonzero_hours(r), (std::map<int, int64_t>{{15, 1}})) << how;
    auto two = report(s, "Asia/Kolkata", "2025-01-01", "2025-01-02", Period::daily,
                      "2025-01-01T19:10:00Z");
    EXPECT_EQ(two.summary.messages, 3) << how;
  };
  check("mark at the end of the range");
  // The mark a quarter later: the 18:40 row is in the hour and day rows now, the 18:50 row not.
  with([&](db::Connection& c) { fold_rollups(c, (b + 900) * 1000, 0); });
  EXPECT_EQ(mark(), b + 900);
  check("mark a quarter after the end");
  expect_rollups_match_raw("mark a quarter after the end");
}

// A report reads in a transaction of its own; on SQLite it must not take the turn to write, or
// every message would wait for it (and it for every message).
TEST_P(AnalyticsDb, ReportsDoNotHoldWritersBack) {
  auto s = new_session(user_, "Busy");
  add_at(s, "2025-01-01T10:00:00.000Z");
  with([&](db::Connection& writer) {
    db::Transaction tx(writer);  // a writer in the middle of its transaction
    writer.query("UPDATE sessions SET session_name = 'Busy 2' WHERE id = ?", {s});
    auto r = report(s, "UTC", "2025-01-01", "2025-01-01", Period::daily, "2025-01-02T00:00:00Z");
    EXPECT_EQ(r.summary.messages, 1);
    auto o = with([&](db::Connection& c) {
      return overview(c, zone("UTC"), user_, unix_s("2025-01-01T12:00:00Z") * 1000);
    });
    EXPECT_EQ(o.today, 1);
    tx.commit();
  });
}

// Migration 0019 over rows already counted at every level (future ones too, from a skewed clock):
// the first mark lies after all of them, so nothing is counted twice; and migrating down again
// first adds the quarters past the mark to the coarse levels.
TEST_P(AnalyticsDb, MigratingTheFoldUpAndDown) {
  db::Migrator m(tdb_->db());
  ASSERT_EQ(m.down(1), 1);
  auto s = new_session(user_, "Up");
  const int64_t now = util::unix_seconds_now();
  add_at(s, "2024-06-01T10:00:00.000Z");
  add_at(s, util::iso8601_from_ms((now - 60) * 1000));
  add_at(s, util::iso8601_from_ms((now + 3 * 86400) * 1000));
  ASSERT_EQ(m.up(), 1);
  const int64_t future_quarter = (now + 3 * 86400) / 900 * 900;
  EXPECT_EQ(mark(), future_quarter + 900);
  expect_rollups_match_raw("after 0019 over counted rows");
  add_at(s, util::iso8601_from_ms(now * 1000));  // before the mark: every level at once
  expect_rollups_match_raw("a row before the first mark");

  // Down: quarters past the mark (written by the new triggers, not folded) go into the coarse
  // levels before the old triggers come back.
  auto t = new_session(user_, "Down");
  with([&](db::Connection& c) { c.query("DELETE FROM analytics"); });
  with([&](db::Connection& c) {
    c.query("DELETE FROM analytics_rollup_quarter");
    c.query("DELETE FROM analytics_rollup_hour");
    c.query("DELETE FROM analytics_rollup_day");
    c.query("DELETE FROM analytics_rollup_time_of_day");
  });
  set_mark(unix_s("2025-03-01T00:00:00Z"));
  for (const char* at : {"2025-02-28T23:50:00.000Z", "2025-03-01T00:10:00.000Z",
                         "2025-03-01T05:20:00.000Z", "2025-03-02T13:00:00.000Z"})
    add_at(t, at);
  with([&](db::Connection& c) { fold_rollups(c, unix_s("2025-03-01T03:00:00Z") * 1000, 0); });
  add_at(t, "2025-03-01T01:00:00.000Z");  // before the mark now
  add_at(t, "2025-03-03T00:00:00.000Z");  // after it
  expect_rollups_match_raw("before migrating down");
  ASSERT_EQ(m.down(1), 1);
  EXPECT_EQ(mark(), kNotFolded);
  expect_rollups_match_raw("migrated down");  // every level complete
  auto r = report(t, "UTC", "2025-02-28", "2025-03-03", Period::daily, "2025-03-04T00:00:00Z");
  EXPECT_EQ(r.summary.messages, 6);
  ASSERT_EQ(m.up(), 1);
  expect_rollups_match_raw("up again");
}

// A writer whose trigger read the mark and wrote a quarter past it is still in its transaction
// when a fold starts. The fold must wait for it (PostgreSQL: the advisory lock of migration 0019;
// SQLite: the turn to write), or it would sum that quarter without the writer's message and the
// coarse levels would miss it for ever. And two folds at once fold each quarter once (gateway
// nodes sharing one PostgreSQL database each run one).
TEST_P(AnalyticsDb, AFoldWaitsForWritersThatReadTheOldMark) {
  auto s = new_session(user_, "Race");
  set_mark(unix_s("2025-01-01T00:00:00Z"));
  add_at(s, "2025-01-01T10:00:00.000Z");
  auto fold_in_thread = [&](int64_t to, std::string& error) {
    return std::jthread([this, to, &error] {
      try {
        with([&](db::Connection& c) { fold_rollups(c, to * 1000, 0); });
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
  };
  const int64_t day2 = unix_s("2025-01-02T00:00:00Z");
  std::string error;
  std::jthread fold;
  with([&](db::Connection& writer) {
    db::Transaction tx(writer);
    Row r;
    r.at = "2025-01-01T10:05:00.000Z";  // past the mark: its quarter only
    add_on(writer, s, r);
    fold = fold_in_thread(day2, error);
    if (GetParam() == db::Dialect::postgres) {
      // Until the fold waits for the lock the writer holds (without the lock it never does).
      for (int i = 0; i < 100 && !fold_waiting(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      EXPECT_TRUE(fold_waiting());
    } else {
      // Time for the fold to reach the turn to write (without one it would be done by now).
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    tx.commit();
  });
  fold.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(mark(), day2);
  expect_rollups_match_raw("folded while a writer was in its transaction");
  EXPECT_EQ(report(s, "UTC", "2025-01-01", "2025-01-01", Period::daily, "2025-01-03T00:00:00Z")
                .summary.messages,
            2);

  for (const char* at :
       {"2025-01-02T01:00:00.000Z", "2025-01-02T07:00:00.000Z", "2025-01-03T02:00:00.000Z"})
    add_at(s, at);
  const int64_t day4 = unix_s("2025-01-04T00:00:00Z");
  std::string error_a, error_b;
  auto a = fold_in_thread(day4, error_a), b = fold_in_thread(day4, error_b);
  a.join();
  b.join();
  EXPECT_EQ(error_a, "");
  EXPECT_EQ(error_b, "");
  EXPECT_EQ(mark(), day4);
  expect_rollups_match_raw("two folds at once");
}

TEST_P(AnalyticsDb, PruningKeepsTheRollups) {
  auto s = new_session(user_, "Old");
  add_at(s, "2024-01-01T10:00:00.000Z");
  add_at(s, "2024-01-01T10:05:00.000Z");
  add_at(s, "2024-06-01T10:00:00.000Z");
  auto n = with([&](db::Connection& c) {
    return prune_raw_rows(c, unix_s("2024-03-01T00:00:00Z") * 1000, 1);
  });
  EXPECT_EQ(n, 2);
  auto left = with([&](db::Connection& c) {
    return c.query("SELECT COUNT(*) FROM analytics").rows.at(0).integer(0);
  });
  EXPECT_EQ(left, 1);
  auto r = report(s, "UTC", "2024-01-01", "2024-01-01", Period::daily, "2024-12-01T00:00:00Z");
  EXPECT_EQ(r.summary.messages, 2);
}

// The rollups equal a direct aggregation of the raw rows, at every level, after random inserts
// and updates (webhook outcomes, undecryptable rows completed, anything a writer may change).
TEST_P(AnalyticsDb, RollupsEqualRawAggregationAfterRandomTraffic) {
  std::mt19937_64 rng(GTEST_FLAG_GET(random_seed) + 7);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  // Two sessions of the user and one of another user, whose rows the user's overview must not
  // count (it reads the same hours of every session when the user has many of them).
  const std::string other = new_user();
  const std::string sessions[] = {new_session(user_, "P1"), new_session(user_, "P2"),
                                  new_session(other, "O1")};
  const int64_t base = unix_s("2024-12-30T20:00:00Z");
  std::vector<int64_t> ids;
  auto random_row = [&]() {
    Row r;
    const int64_t t = base + pick(3 * 86400);
    r.at = util::iso8601_from_ms(t * 1000 + pick(1000));
    r.type = kMessageTypes[static_cast<std::size_t>(pick(static_cast<int>(kMessageTypes.size())))];
    r.group = pick(2);
    r.mention = r.group && pick(2);
    r.sent = pick(3) > 0;
    r.success = r.sent && pick(4) > 0;
    if (r.sent && pick(5) > 0) r.rt = pick(5000);
    if (pick(5) == 0) r.error = "HTTP 500";
    return r;
  };
  const bool pg = GetParam() == db::Dialect::postgres;
  // The coarse levels are folded from the quarters (migration 0019): they hold the quarters
  // before the mark. Here the mark starts inside the traffic, so that rows land on both sides of
  // it, move across it, and are changed after their quarter was folded.
  set_mark(base + 86400 + 2700);
  auto traffic = [&](int n) {
    for (int i = 0; i < n; ++i) {
      if (ids.empty() || pick(3) > 0) {
        ids.push_back(add(sessions[pick(3)], random_row()));
        continue;
      }
      const int64_t id = ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
      auto r = random_row();
      with([&](db::Connection& c) {
        db::Transaction tx(c);
        if (pick(4) == 0) {  // moved in time as well (no writer does this today; still exact)
          c.query("UPDATE analytics SET created_at = ? WHERE id = ?", {r.at, id});
        }
        c.query(
            "UPDATE analytics SET message_type = ?, is_group = ?, is_mention = ?, webhook_sent = "
            "?, "
            "webhook_success = ?, webhook_response_time_ms = ?, error_message = ? WHERE id = ?",
            {r.type, int64_t{r.group}, int64_t{r.mention}, int64_t{r.sent}, int64_t{r.success},
             r.rt ? db::Value(*r.rt) : db::Value(nullptr),
             r.error ? db::Value(*r.error) : db::Value(nullptr), id});
        tx.commit();
      });
    }
  };
  // Rows on both sides of a mark, so that the quarter after it always has some.
  auto around = [&](int64_t m) {
    for (const int64_t t : {m - 100, m + 100}) {
      Row r = random_row();
      r.at = util::iso8601_from_ms(t * 1000);
      ids.push_back(add(sessions[0], r));
    }
  };
  around(base + 86400 + 2700);
  traffic(300);
  // The expectation, from the raw rows by this test's own arithmetic.
  db::Result raw;
  auto load_raw = [&] { raw = raw_rows(); };
  auto check_tables = [&](const char* how) { expect_rollups_match_raw(how); };
  // And the reports built from them, against the raw rows in local time (Asia/Kolkata, +05:30):
  // peak hours and daily counters over a range that holds the traffic's whole 16-day block
  // (2024-12-23 to 2025-01-08 UTC: peak hours from the time-of-day rows) and over 3 days (from
  // quarter rows only).
  auto check_reports = [&](const char* how) {
    for (const auto& s : sessions) {
      std::array<int64_t, 24> hours{};
      std::map<Day, Counters> days;
      for (const auto& row : raw.rows) {
        if (row.text(0) != s) continue;
        const int64_t local = row.integer(1) + 19800;
        hours[static_cast<std::size_t>(local % 86400 / 3600)] += 1;
        auto& c = days[local / 86400];
        const bool sent = row.integer(5) != 0, ok = row.integer(6) != 0;
        c.messages += 1;
        c.ai_handled += ok;
        c.errors += !row.is_null(8) || (sent && !ok);
        if (ok && !row.is_null(7)) {
          c.response_ms_sum += row.integer(7);
          c.responses += 1;
        }
      }
      auto wide = report(s, "Asia/Kolkata", "2024-12-01", "2025-01-31", Period::daily,
                         "2025-02-01T00:00:00Z");
      EXPECT_EQ(wide.peak_hours, hours) << how;
      ASSERT_EQ(wide.breakdown.size(), 62u);
      for (const auto& b : wide.breakdown) {
        const auto it = days.find(b.first);
        const Counters want = it == days.end() ? Counters{} : it->second;
        EXPECT_EQ(b.counters.messages, want.messages) << b.label << " " << how;
        EXPECT_EQ(b.counters.ai_handled, want.ai_handled) << b.label;
        EXPECT_EQ(b.counters.errors, want.errors) << b.label;
        EXPECT_EQ(b.counters.response_ms_sum, want.response_ms_sum) << b.label;
        EXPECT_EQ(b.counters.responses, want.responses) << b.label;
      }
      auto narrow = report(s, "Asia/Kolkata", "2024-12-30", "2025-01-03", Period::daily,
                           "2025-02-01T00:00:00Z");
      EXPECT_EQ(narrow.peak_hours, hours) << how;  // all the traffic lies in these days
    }
  };
  // The overview's windows (today, this week, this month, the last 30 days up to the current
  // quarter) against the user's raw rows, at several moments inside and after the traffic (rows
  // after "now" must not count) in zones of whole, half and quarter hour offsets.
  auto check_overview = [&](const char* how) {
    for (const auto& [tz, offset] :
         {std::pair{"UTC", int64_t{0}}, std::pair{"Asia/Jakarta", int64_t{25200}},
          std::pair{"Asia/Kolkata", int64_t{19800}}, std::pair{"Asia/Kathmandu", int64_t{20700}}}) {
      for (const char* at : {"2024-12-31T03:10:00Z", "2024-12-31T20:40:00Z", "2025-01-01T12:05:00Z",
                             "2025-01-02T17:50:00Z", "2025-01-05T00:00:00Z"}) {
        const int64_t now = unix_s(at);
        const int64_t end = now - now % 900 + 900;
        const Day today = (now + offset) / 86400;
        const int64_t starts[] = {today * 86400 - offset, (today - weekday(today)) * 86400 - offset,
                                  first_of_month(today) * 86400 - offset,
                                  (today - 29) * 86400 - offset};
        int64_t want[3] = {0, 0, 0};
        Counters want30;
        std::map<std::string, std::pair<int64_t, int64_t>> per_session;  // today, last 30 days
        for (const auto& row : raw.rows) {
          const int64_t t = row.integer(1);
          if (t >= end || row.text(0) == sessions[2]) continue;
          for (int k = 0; k < 3; ++k) want[k] += t >= starts[k];
          per_session[row.text(0)].first += t >= starts[0];
          if (t < starts[3]) continue;
          per_session[row.text(0)].second += 1;
          const bool sent = row.integer(5) != 0, ok = row.integer(6) != 0;
          want30.messages += 1;
          want30.forwarded += sent;
          want30.ai_handled += ok;
          if (ok && !row.is_null(7)) {
            want30.response_ms_sum += row.integer(7);
            want30.responses += 1;
          }
        }
        auto o = with([&](db::Connection& c) { return overview(c, zone(tz), user_, now * 1000); });
        // The sums behind it hold the user's sessions only (the overview would drop others).
        const std::vector<int64_t> window_starts(std::begin(starts), std::end(starts));
        auto sums = with([&](db::Connection& c) {
          return sum_windows(c, std::nullopt, user_, window_starts, end, 3, kOverviewCounters);
        });
        for (const auto& [id, windows] : sums) {
          EXPECT_TRUE(id == sessions[0] || id == sessions[1]) << id << " " << how;
          EXPECT_EQ(windows.at(3).messages, per_session[id].second) << id << " " << tz << " " << at;
        }
        EXPECT_EQ(o.today, want[0]) << tz << " " << at << " " << how;
        EXPECT_EQ(o.this_week, want[1]) << tz << " " << at << " " << how;
        EXPECT_EQ(o.this_month, want[2]) << tz << " " << at << " " << how;
        EXPECT_EQ(o.last_30_days.messages, want30.messages) << tz << " " << at << " " << how;
        EXPECT_EQ(o.last_30_days.forwarded, want30.forwarded) << tz << " " << at << " " << how;
        EXPECT_EQ(o.last_30_days.ai_handled, want30.ai_handled) << tz << " " << at << " " << how;
        EXPECT_EQ(o.last_30_days.response_ms_sum, want30.response_ms_sum)
            << tz << " " << at << " " << how;
        EXPECT_EQ(o.last_30_days.responses, want30.responses) << tz << " " << at << " " << how;
        ASSERT_EQ(o.sessions.size(), 2u);
        for (const auto& st : o.sessions) {
          EXPECT_EQ(st.today, per_session[st.session_id].first)
              << st.session_id << " " << tz << " " << at;
          EXPECT_EQ(st.last_30_days.messages, per_session[st.session_id].second)
              << st.session_id << " " << tz << " " << at << " " << how;
        }
      }
    }
  };
  // Before any fold, after one that stops inside the traffic followed by more traffic (late
  // outcomes of folded rows, rows moved across the mark), and after the fold of everything.
  load_raw();
  check_tables("mark inside the traffic");
  check_reports("mark inside the traffic");
  check_overview("mark inside the traffic");
  // Marks inside an hour, in the first and the second half of a UTC day (the overview reads the
  // day row there: it must hold only the quarters before the mark).
  for (const int64_t to :
       {base + 2 * 86400 + 5 * 3600 + 1800, base + 2 * 86400 + 17 * 3600 + 2700}) {
    with([&](db::Connection& c) {
      const int64_t n = fold_rollups(c, to * 1000, 0);
      EXPECT_GT(n, 0);
      // Folding again up to the same moment folds nothing.
      EXPECT_EQ(fold_rollups(c, to * 1000, 0), 0);
    });
    EXPECT_EQ(mark(), to);
    around(to);
    traffic(100);
    load_raw();
    check_tables("folded, more traffic");
    check_reports("folded, more traffic");
    check_overview("folded, more traffic");
  }
  with([&](db::Connection& c) { fold_rollups(c, (base + 40 * 86400) * 1000, 300); });
  EXPECT_EQ(mark(), base + 40 * 86400 - 900);
  check_tables("all folded");
  // An earlier moment (a clock set back) never moves the mark back.
  EXPECT_EQ(with([&](db::Connection& c) { return fold_rollups(c, base * 1000, 0); }), 0);
  EXPECT_EQ(mark(), base + 40 * 86400 - 900);
  // With 2 of the 3 sessions the user's hour rows are read by time (SQLite, migration 0018); with
  // 2 of 9, session by session. Both must give the raw rows' answer.
  auto by_time = [&] {
    return with([&](db::Connection& c) { return reads_hours_by_time(c, user_); });
  };
  EXPECT_EQ(by_time(), !pg);
  check_overview("2 of 3 sessions");
  std::vector<std::string> more;
  for (int i = 0; i < 6; ++i) more.push_back(new_session(other, "O" + std::to_string(i + 2)));
  EXPECT_FALSE(by_time());
  check_overview("2 of 9 sessions");
  with([&](db::Connection& c) {
    for (const auto& id : more) c.query("DELETE FROM sessions WHERE id = ?", {id});
  });
  EXPECT_EQ(by_time(), !pg);
  if (!pg) {
    // A database without the index (migrated down while a server still runs) is read the other
    // way, not refused.
    with([](db::Connection& c) { c.query("DROP INDEX idx_analytics_rollup_hour_time"); });
    EXPECT_FALSE(by_time());
    check_overview("2 of 3 sessions, no index");
  }
  // A 3-day report in a half-hour zone sums to the raw total.
  for (const auto& s : sessions) {
    auto r = report(s, "Asia/Kolkata", "2024-12-30", "2025-01-03", Period::weekly,
                    "2025-02-01T00:00:00Z");
    int64_t raw_count = 0;
    for (const auto& row : raw.rows) raw_count += row.text(0) == s;
    EXPECT_EQ(r.summary.messages, raw_count);
    int64_t by_hour = 0, by_week = 0;
    for (auto n : r.peak_hours) by_hour += n;
    for (const auto& b : r.breakdown) by_week += b.counters.messages;
    EXPECT_EQ(by_hour, raw_count);
    EXPECT_EQ(by_week, raw_count);
  }
}

INSTANTIATE_TEST_SUITE_P(Dialects, AnalyticsDb,
                         ::testing::Values(db::Dialect::sqlite, db::Dialect::postgres),
                         gw::testing::dialect_label);

TEST(AnalyticsConfig, TimezoneAndRetentionValidated) {
  auto bad = config::load({{"ANALYTICS_TIMEZONE", "Mars/Olympus_Mons"}});
  ASSERT_TRUE(std::holds_alternative<config::ConfigError>(bad));
  EXPECT_EQ(std::get<config::ConfigError>(bad).variable, "ANALYTICS_TIMEZONE");
  auto good =
      config::load({{"ANALYTICS_TIMEZONE", "Asia/Jakarta"}, {"ANALYTICS_RETENTION_DAYS", "0"}});
  ASSERT_TRUE(std::holds_alternative<config::Config>(good));
  EXPECT_EQ(std::get<config::Config>(good).analytics_timezone, "Asia/Jakarta");
  EXPECT_EQ(std::get<config::Config>(good).analytics_retention_days, 0);
  EXPECT_EQ(config::Config{}.analytics_timezone, "UTC");
}

TEST(SessionMetrics, SessionLabelsAreBounded) {
  obs::SessionMetrics m(2);
  m.message("s1", true);
  m.message("s2", false);
  m.message("s3", true);  // beyond the bound: summed under "other"
  m.message("s4", true);
  m.message("s1", false);
  m.webhook_attempt("s1", "delivered", 0.2);
  m.webhook_attempt("s9", "retry", 31);
  std::ostringstream o;
  m.render(o);
  const auto text = o.str();
  EXPECT_NE(text.find("messages_received_total{session=\"s1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("messages_forwarded_total{session=\"other\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("messages_ignored_total{session=\"s2\"} 1\n"), std::string::npos);
  EXPECT_EQ(text.find("s3"), std::string::npos);
  EXPECT_NE(text.find("webhook_attempts_by_outcome_total{session=\"s1\",outcome=\"delivered\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_request_duration_seconds_bucket{session=\"s1\",le=\"0.25\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_request_duration_seconds_bucket{session=\"other\",le=\"30\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("webhook_request_duration_seconds_count{session=\"other\"} 1"),
            std::string::npos);
}

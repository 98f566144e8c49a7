#include "util/strings.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "util/time.hpp"

using gw::util::to_storable_text;

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
}

TEST(StorableText, ValidTextIsUnchanged) {
  for (const std::string s : {"", "plain ASCII", "Halo, apa kabar? \xF0\x9F\x98\x80",
                              "\xC3\xA9\xE2\x82\xAC\xF4\x8F\xBF\xBF", "tab\tand\nnewline"}) {
    EXPECT_EQ(to_storable_text(s), s);
  }
}

TEST(StorableText, BytesNoDatabaseAcceptsAreReplaced) {
  EXPECT_EQ(to_storable_text(std::string("a\0b", 3)), "a" + kReplacement + "b");
  EXPECT_EQ(to_storable_text("\xFF"), kReplacement);                     // never valid
  EXPECT_EQ(to_storable_text("\xC0\xAF"), kReplacement + kReplacement);  // overlong '/'
  EXPECT_EQ(to_storable_text("\xE0\x80\xAF"), kReplacement + kReplacement + kReplacement);
  EXPECT_EQ(to_storable_text("\xED\xA0\x80"),
            kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(to_storable_text("\xF4\x90\x80\x80"),
            kReplacement + kReplacement + kReplacement + kReplacement);           // above U+10FFFF
  EXPECT_EQ(to_storable_text("ok\xE2\x82"), "ok" + kReplacement + kReplacement);  // truncated
  EXPECT_EQ(to_storable_text("\x80x"), kReplacement + "x");  // lone continuation
}

// Cluster mode reads every time through the correction to the database's clock
// (docs/CLUSTER.md "Clocks"); the test skew shifts the machine's clock under it.
TEST(Clock, TheCorrectionAndTheSkewAddUpInEveryReading) {
  using namespace gw::util;
  set_clock_skew_ms(-3'600'000);
  set_clock_correction_ms(3'600'250);
  const auto local = local_millis_now();
  const auto corrected = unix_millis_now();
  EXPECT_NEAR(static_cast<double>(corrected - local), 3'600'250.0, 50.0);
  const auto real = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  EXPECT_NEAR(static_cast<double>(corrected - real), 250.0, 50.0);
  EXPECT_NEAR(static_cast<double>(unix_seconds_now()), static_cast<double>(corrected / 1000), 1.0);
  const auto iso = iso8601_now();
  auto parsed = parse_iso8601(iso);
  ASSERT_TRUE(parsed);
  EXPECT_NEAR(static_cast<double>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(parsed->time_since_epoch())
                      .count() -
                  corrected),
              0.0, 1000.0);
  set_clock_skew_ms(0);
  set_clock_correction_ms(0);
  EXPECT_EQ(clock_correction_ms(), 0);
}

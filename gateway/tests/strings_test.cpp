#include "util/strings.hpp"

#include <gtest/gtest.h>

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

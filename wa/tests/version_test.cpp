#include "wa/version.hpp"

#include <gtest/gtest.h>

TEST(Version, IsSemver) {
  EXPECT_EQ(wa::library_version(), "0.1.0");
}

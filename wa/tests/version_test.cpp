#include <gtest/gtest.h>

#include "wa/version.hpp"

TEST(Version, IsSemver) { EXPECT_EQ(wa::library_version(), "0.1.0"); }

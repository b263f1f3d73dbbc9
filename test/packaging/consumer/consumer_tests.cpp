// Compiled as C++17: the public header must not need more.
#include <gtest_tms/gtest_tms.hpp>

TEST(Consumer, LinksAgainstThePackage) {
  QASE_ID(1);
  EXPECT_STREQ(GTEST_TMS_VERSION_STRING, "0.1.0");
}

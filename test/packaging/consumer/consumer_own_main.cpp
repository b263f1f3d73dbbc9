#include <gtest_tms/gtest_tms.hpp>

TEST(Consumer, OwnMain) { SUCCEED(); }

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Nothing is configured here, so the reporter must stay out of the way.
  if (gtest_tms::register_listener()) return 3;
  return RUN_ALL_TESTS();
}

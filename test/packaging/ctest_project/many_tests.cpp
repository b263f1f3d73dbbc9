// 60 small tests; ctest runs each in its own process.
#include <gtest_tms/gtest_tms.hpp>

#include <chrono>
#include <thread>

class Many : public ::testing::TestWithParam<int> {};
TEST_P(Many, Works) {
  std::this_thread::sleep_for(std::chrono::milliseconds(GetParam() % 5));
  EXPECT_NE(GetParam(), 41) << "41 fails on purpose";
}
INSTANTIATE_TEST_SUITE_P(Numbers, Many, ::testing::Range(0, 60));

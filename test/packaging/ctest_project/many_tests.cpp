// MANY_TESTS small tests (60 unless the project says otherwise); ctest runs each in its own process.
#include <gtest_tms/gtest_tms.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#ifndef MANY_TESTS
#define MANY_TESTS 60
#endif

class Many : public ::testing::TestWithParam<int> {};
TEST_P(Many, Works) {
  std::this_thread::sleep_for(std::chrono::milliseconds(GetParam() % 5));
  // MANY_CRASH: this instance dies mid-test, as a crashing test would.
  if (const char* crash = std::getenv("MANY_CRASH"); crash != nullptr && std::atoi(crash) == GetParam()) std::abort();
  // MANY_KILL: this instance is killed mid-test (kill -9: nothing in the process can say so).
  if (const char* kill = std::getenv("MANY_KILL"); kill != nullptr && std::atoi(kill) == GetParam())
    std::raise(SIGKILL);
  EXPECT_NE(GetParam(), 41) << "41 fails on purpose";
}
INSTANTIATE_TEST_SUITE_P(Numbers, Many, ::testing::Range(0, MANY_TESTS));

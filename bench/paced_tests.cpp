// A slow suite for the time-to-visible bench (bench/visible_bench.sh): PACED_TESTS tests (default
// 40), each taking PACED_MS milliseconds (default 100), so results arrive one by one.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

class paced : public ::testing::Test {
 public:
  explicit paced(int ms) : ms_(ms) {}
  void TestBody() override { std::this_thread::sleep_for(std::chrono::milliseconds(ms_)); }

 private:
  int ms_;
};

const bool registered = [] {
  const int tests = env_int("PACED_TESTS", 40);
  const int ms = env_int("PACED_MS", 100);
  for (int i = 0; i < tests; ++i) {
    const std::string name = "Test" + std::to_string(i);
    ::testing::RegisterTest("Paced", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [ms]() -> ::testing::Test* { return new paced(ms); });
  }
  return true;
}();

}  // namespace

#include "model/test_result.hpp"

namespace gtest_tms::detail {

const char* to_string(test_status s) noexcept {
  switch (s) {
    case test_status::passed: return "passed";
    case test_status::failed: return "failed";
    case test_status::skipped: return "skipped";
    case test_status::invalid: return "invalid";
    case test_status::blocked: return "blocked";
  }
  return "failed";
}

}  // namespace gtest_tms::detail

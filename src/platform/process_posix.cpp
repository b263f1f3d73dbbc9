#include <unistd.h>

#include <climits>

#include "platform/process.hpp"

namespace gtest_tms::detail {

std::int64_t current_pid() noexcept { return static_cast<std::int64_t>(::getpid()); }

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string(".");
}

}  // namespace gtest_tms::detail

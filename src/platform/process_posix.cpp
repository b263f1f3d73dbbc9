#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "platform/process.hpp"

namespace gtest_tms::detail {

std::int64_t current_pid() noexcept { return static_cast<std::int64_t>(::getpid()); }

std::string current_binary_name() {
  std::string path;
#if defined(__linux__)
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) path.assign(buf, static_cast<std::size_t>(n));
#endif
#if defined(__GLIBC__)
  if (path.empty() && program_invocation_short_name != nullptr) path = program_invocation_short_name;
#elif defined(__APPLE__) || defined(__FreeBSD__)
  if (path.empty() && ::getprogname() != nullptr) path = ::getprogname();
#endif
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string(".");
}

}  // namespace gtest_tms::detail

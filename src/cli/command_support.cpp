// What every gtest-tms command does the same way: read the settings, keep exceptions from escaping.
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"
#include "platform/process.hpp"

namespace gtest_tms::detail {

settings load_command_settings(const env_lookup& env) {
  settings s = load_settings(ci_env(env), current_dir());
  for (const auto& e : s.errors) std::fprintf(stderr, "gtest-tms: %s\n", e.c_str());
  for (const auto& w : s.warnings) std::fprintf(stderr, "gtest-tms: %s\n", w.c_str());
  return s;
}

int run_guarded(const char* command, const std::function<int()>& work) noexcept {
  try {
    return work();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gtest-tms %s: %s\n", command, e.what());
  } catch (...) {
    std::fprintf(stderr, "gtest-tms %s: unknown error\n", command);
  }
  return 1;
}

}  // namespace gtest_tms::detail

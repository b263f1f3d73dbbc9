// gtest_tms::register_listener(): the one public entry point.
#include <gtest_tms/gtest_tms.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "config/config.hpp"
#include "listener/listener.hpp"
#include "platform/process.hpp"
#include "util/console.hpp"

namespace gtest_tms {

bool register_listener() noexcept {
  try {
    // A re-executed death-test child runs main() again with the same environment: stay out.
    if (detail::in_death_test_child()) return false;
    detail::settings s = detail::load_settings(detail::process_env(), detail::current_dir());
    // Inert when nothing asks for reporting: no listener, no thread, no output. Errors and warnings
    // (e.g. QAS_URL set but QAS_TOKEN missing, which leaves QA Sphere off) are only printed from
    // OnTestProgramStart, so --gtest_list_tests output never changes.
    if (!s.any_enabled() && s.errors.empty() && s.warnings.empty()) return false;
    ::testing::UnitTest::GetInstance()->listeners().Append(new detail::listener(std::move(s)));
    return true;
  } catch (const std::exception& e) {
    detail::say(std::string("reporting is off: ") + e.what());
  } catch (...) {
    detail::say("reporting is off: unknown error");
  }
  return false;
}

}  // namespace gtest_tms

#pragma once
// The results a process that stopped mid-run owes its plan: the running test failed, the tests that
// never ran "blocked", disabled ones skipped. One builder for the two places that need it: the
// listener on SIGTERM/SIGINT and `gtest-tms upload` reading a journal after a crash.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/test_result.hpp"

namespace gtest_tms::detail {

struct unfinished_texts {
  std::string during;        // the running test's failure ("interrupted (SIGTERM)")
  std::string not_run;       // each test that never ran ("not run: the process was killed in A.B")
  bool disabled_too = true;  // disabled tests become "skipped" (false: they are reported elsewhere)
  int iteration = 0;
  std::int64_t start_ms = 0;
};

/// One such result: failed (fatal) with `text`, blocked with it, or skipped with it.
std::shared_ptr<test_result> unfinished_result(const std::string& suite, const std::string& name, test_status status,
                                               const std::string& text, const unfinished_texts& how);

/// For every plan entry (with suite, name, disabled) not done(i): `running` (an index, or -1) failed,
/// the others blocked or, when disabled, skipped.
template <class Entry, class Done>
std::vector<std::shared_ptr<const test_result>> unfinished_results(const std::vector<Entry>& plan, std::int64_t running,
                                                                   Done&& done, const unfinished_texts& how) {
  std::vector<std::shared_ptr<const test_result>> out;
  if (running >= 0) {
    const Entry& e = plan[static_cast<std::size_t>(running)];
    out.push_back(unfinished_result(e.suite, e.name, test_status::failed, how.during, how));
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Entry& e = plan[i];
    if (static_cast<std::int64_t>(i) == running || done(i)) continue;
    if (!e.disabled)
      out.push_back(unfinished_result(e.suite, e.name, test_status::blocked, how.not_run, how));
    else if (how.disabled_too)
      out.push_back(unfinished_result(e.suite, e.name, test_status::skipped, "disabled test (DISABLED_ prefix)", how));
  }
  return out;
}

}  // namespace gtest_tms::detail

#pragma once
// The GoogleTest side: turns gtest events into test_result records and hands them to the delivery
// session. Everything gtest-specific lives here (parameters, properties, death-test children,
// suite-level failures, disabled tests, the teardown in OnTestProgramEnd); everything about
// delivery is in delivery/session.hpp. It never throws into gtest and never changes the exit code
// (unless GTEST_TMS_STRICT asks for it).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "listener/test_record.hpp"
#include "model/test_result.hpp"

namespace gtest_tms::detail {

class session;
class termination_watch;

class listener final : public testing::EmptyTestEventListener {
 public:
  explicit listener(settings s);
  ~listener() override;

  void OnTestProgramStart(const testing::UnitTest& unit_test) override;
  void OnTestIterationStart(const testing::UnitTest& unit_test, int iteration) override;
  void OnTestSuiteStart(const testing::TestSuite& suite) override;
  void OnTestStart(const testing::TestInfo& info) override;
  void OnTestEnd(const testing::TestInfo& info) override;
  void OnTestSuiteEnd(const testing::TestSuite& suite) override;
  void OnTestIterationEnd(const testing::UnitTest& unit_test, int iteration) override;
  void OnTestProgramEnd(const testing::UnitTest& unit_test) override;

 private:
  bool owner() const;
  /// Runs one callback's work; an exception switches reporting off with one line, never reaches gtest.
  template <class F>
  void guarded(const char* where, F&& work) noexcept;
  void start(const testing::UnitTest& unit_test);
  void finish(std::chrono::steady_clock::time_point deadline);
  /// Watcher thread, SIGTERM/SIGINT: the interrupted test fails, the rest are not run, flush within
  /// GTEST_TMS_TERM_GRACE, summary, then the signal again.
  void on_terminate(int sig);
  void submit(std::shared_ptr<const test_result> result);
  void attribute_setup_failures(test_result& r);
  void take_test_context(const testing::TestInfo& info, test_result& r);
  void report_unattributed(const testing::TestResult& ad_hoc, int& seen, int first_test_mark, const std::string& suite,
                           const char* setup_name, const char* teardown_name);
  void report_disabled(const testing::UnitTest& unit_test);
  void report_skipped_by_environment(const testing::UnitTest& unit_test);

  settings settings_;
  std::int64_t owner_pid_;
  int iteration_ = 0;
  bool active_ = false;
  std::unique_ptr<session> session_;
  // gtest's ad-hoc results (SetUpTestSuite/TearDownTestSuite, global Environment failures): how many
  // of their parts were already attributed to tests or reported, so nobody sees a false green.
  int suite_parts_seen_ = 0;
  int suite_first_test_mark_ = -1;
  int global_parts_seen_ = 0;
  int global_first_test_mark_ = -1;
  int tests_ended_in_iteration_ = 0;
  bool disabled_reported_ = false;
  bool strict_failure_ = false;
  // Every gtest event and the SIGTERM flush take it, so the flush never races the test thread.
  std::mutex events_mutex_;
  struct plan_entry {
    std::string suite;
    std::string name;
    bool disabled;
  };
  std::vector<plan_entry> plan_;  // what the session's plan holds, in the same order
  std::unordered_map<const testing::TestInfo*, std::uint32_t> plan_index_;
  std::vector<char> ended_;    // per plan entry: ended in this iteration
  std::int64_t current_ = -1;  // plan index of the running test
  std::unique_ptr<termination_watch> watch_;
};

}  // namespace gtest_tms::detail

#pragma once
// The GoogleTest side: turns gtest events into test_result records and hands them to the
// pipeline. Everything gtest-specific lives here (status order, parameters, properties, death-test
// children, teardown in OnTestProgramEnd). It never throws into gtest and never changes the exit code.

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/test_result.hpp"

namespace gtest_tms::detail {

class pipeline;
class transport;
struct summary_entry;
class journal;

/// Builds the record for a finished test (exposed for tests and benchmarks).
test_result make_test_result(const testing::TestInfo& info, int iteration);

/// True in a death-test child (re-executed "threadsafe" style); fork-style children are caught by
/// the pid check instead, since their events are suppressed anyway.
bool in_death_test_child();

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
  /// Called from an atexit handler when the program exits before OnTestProgramEnd.
  void stop_at_exit() noexcept;

 private:
  bool owner() const;
  void start(const testing::UnitTest& unit_test);
  void finish();
  void disable(const char* where, const char* what) noexcept;
  void submit(std::shared_ptr<const test_result> result);
  void attribute_setup_failures(test_result& r);
  void take_test_context(const testing::TestInfo& info, test_result& r);
  void report_unattributed(const testing::TestResult& ad_hoc, int& seen, int first_test_mark, const std::string& suite,
                           const char* setup_name, const char* teardown_name);
  void report_disabled(const testing::UnitTest& unit_test);
  void report_skipped_by_environment(const testing::UnitTest& unit_test);
  void write_step_summary(const std::vector<summary_entry>& entries) const;

  settings settings_;
  pid_t owner_pid_;
  int iteration_ = 0;
  bool active_ = false;
  std::unique_ptr<journal> journal_;  // declared first: outlives the io thread that acks into it
  std::unique_ptr<transport> transport_;
  std::unique_ptr<pipeline> pipeline_;
  std::int64_t start_ms_ = 0;
  // gtest's ad-hoc results (SetUpTestSuite/TearDownTestSuite, global Environment failures): how many
  // of their parts were already attributed to tests or reported, so nobody sees a false green.
  int suite_parts_seen_ = 0;
  int suite_first_test_mark_ = -1;
  int global_parts_seen_ = 0;
  int global_first_test_mark_ = -1;
  int tests_ended_in_iteration_ = 0;
  bool disabled_reported_ = false;
  bool strict_failure_ = false;
  std::size_t results_total_ = 0;
  std::vector<std::string> failed_names_;  // for the CI step summary (bounded)
  // QASE_MODE=report: no network, every result goes to the local report at the end.
  std::vector<std::shared_ptr<const test_result>> report_only_results_;
};

}  // namespace gtest_tms::detail

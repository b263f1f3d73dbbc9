#pragma once
// GoogleTest's view of a test turned into our record: statuses in gtest's order, failure parts,
// parameters, Qase ids from RecordProperty, and the records for what is not one executed test
// (disabled tests, suite-level failures).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "model/test_result.hpp"

namespace gtest_tms::detail {

/// Builds the record for a finished test (exposed for tests and benchmarks).
test_result make_test_result(const testing::TestInfo& info, int iteration);
/// The same into a record made by the caller (the listener's shared one: no move, no temporary).
void fill_test_result(const testing::TestInfo& info, int iteration, test_result& out);

/// A record for something that is not one executed test (disabled test, suite-level failure).
std::shared_ptr<test_result> synthetic_result(const std::string& suite, const std::string& name, test_status status,
                                              int iteration);

/// The same, for a test gtest did not run (disabled, or skipped by the global environment).
std::shared_ptr<test_result> not_run_result(const testing::TestInfo& info, int iteration, const std::string& reason);

/// One failure part of an ad-hoc result, its texts prefixed (e.g. "SetUpTestSuite failed: ").
failure_part to_part(const testing::TestPartResult& p, const std::string& prefix);

/// gtest's rule for DISABLED_ tests: the suite or the test name matches "DISABLED_*:*/DISABLED_*".
bool is_disabled(const testing::TestInfo& info);

/// --gtest_also_run_disabled_tests.
bool also_run_disabled();

/// True in a death-test child (re-executed "threadsafe" style); fork-style children are caught by
/// the pid check instead, since their events are suppressed anyway.
bool in_death_test_child();

/// The DISABLED_ tests of this shard and filter, each as skipped.
std::vector<std::shared_ptr<test_result>> disabled_results(const testing::UnitTest& unit_test, int iteration);

/// Every test, skipped, when the global environment's SetUp called GTEST_SKIP(); else none.
std::vector<std::shared_ptr<test_result>> skipped_by_environment(const testing::UnitTest& unit_test, int iteration);

}  // namespace gtest_tms::detail

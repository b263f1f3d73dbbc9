#pragma once
// The spool: the folder one collector (collector.hpp) watches for one CTest run. Test processes
// that find its collector running write their crash journal there and send nothing themselves;
// the collector follows the journals as they grow and delivers their results.
//
//   <spool>/collector.lock   held by the running collector (released when it ends, however it ends)
//   <spool>/collector.log    its standard output and error
//   <spool>/tests.txt        the tests `run create --tests-from` listed (QA Sphere's markers)
//   <spool>/drain            made by `run complete`: deliver everything, then stop
//   <spool>/summary.txt      the collector's closing lines, for `run complete` to print
//   <spool>/journal-*.jsonl  one per test process, plus the collector's own (its acknowledgements)

#include <string>

namespace gtest_tms::detail {

std::string spool_lock_path(const std::string& spool);
std::string spool_log_path(const std::string& spool);
std::string spool_tests_path(const std::string& spool);
std::string spool_drain_path(const std::string& spool);
std::string spool_summary_path(const std::string& spool);

/// Whether a collector holds `spool`'s lock now. A few system calls; never waits.
bool collector_running(const std::string& spool);

}  // namespace gtest_tms::detail

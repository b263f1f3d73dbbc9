#include "collector/spool.hpp"

#include "platform/file_lock.hpp"

namespace gtest_tms::detail {

std::string spool_lock_path(const std::string& spool) { return spool + "/collector.lock"; }
std::string spool_log_path(const std::string& spool) { return spool + "/collector.log"; }
std::string spool_tests_path(const std::string& spool) { return spool + "/tests.txt"; }
std::string spool_drain_path(const std::string& spool) { return spool + "/drain"; }
std::string spool_summary_path(const std::string& spool) { return spool + "/summary.txt"; }

bool collector_running(const std::string& spool) {
  // Taking the lock for a moment is the only portable way to ask; held, it is released at once.
  // Two processes asking at the same moment may each see the other's hold as a collector: they
  // then write into the spool, which `run complete` uploads when no collector took it.
  file_lock probe;
  std::string error;
  return probe.try_lock(spool_lock_path(spool), error) == file_lock::result::busy;
}

}  // namespace gtest_tms::detail

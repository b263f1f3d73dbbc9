#pragma once
// The Qase local report format (specs/qase/report): run.json + results/<uuid>.json. It is both
// QASE_MODE=report's output and the fallback for results a server did not confirm; `gtest-tms
// upload <dir>` sends it later with the same result ids, so nothing is duplicated.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/test_result.hpp"

namespace gtest_tms::detail {

struct report_run_info {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
};

/// Writes (adds to) a report directory. Never throws; returns "" or one line saying what failed.
std::string write_qase_report(const std::string& dir, const std::vector<std::shared_ptr<const test_result>>& results,
                              const report_run_info& run, const qase_settings& settings);

}  // namespace gtest_tms::detail

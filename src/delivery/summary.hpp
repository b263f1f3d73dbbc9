#pragma once
// The closing lines on stderr: per system, how many results went where, the run link, and the
// command that sends what stayed on disk; and the same as a GitHub Actions job summary. Never a token.

#include <cstddef>
#include <string>
#include <vector>

#include "delivery/pipeline.hpp"

namespace gtest_tms::detail {

struct summary_entry {
  backend_report report;
  std::string fallback_dir;    // where undelivered results were written ("" if nowhere)
  std::string fallback_error;  // why writing them failed ("" if it did not)
  std::string journal;         // the crash journal that still holds them when no report does ("" if none)
  bool report_mode = false;    // QASE_MODE=report: every result was written, nothing sent
  std::string collector;       // the spool results were handed to (a collector delivers them; "" if none)
  std::size_t handed_over = 0;
};

std::vector<std::string> summary_lines(const std::vector<summary_entry>& entries);

/// A short Markdown table (GitHub Actions job summary): one row per system, then the failed tests.
std::string step_summary_markdown(const std::vector<summary_entry>& entries, std::size_t results,
                                  const std::vector<std::string>& failed_names);

/// Appends step_summary_markdown() to the file GITHUB_STEP_SUMMARY names, when it is set.
void write_step_summary(const std::vector<summary_entry>& entries, std::size_t results,
                        const std::vector<std::string>& failed_names);

}  // namespace gtest_tms::detail

#pragma once
// The closing lines on stderr: per backend, how many results went where, the run link, and the
// command that sends what stayed on disk. Never a token.

#include <string>
#include <vector>

#include "delivery/pipeline.hpp"

namespace gtest_tms::detail {

struct summary_entry {
  backend_report report;
  std::string fallback_dir;    // where undelivered results were written ("" if nowhere)
  std::string fallback_error;  // why writing them failed ("" if it did not)
};

std::vector<std::string> summary_lines(const std::vector<summary_entry>& entries);

}  // namespace gtest_tms::detail

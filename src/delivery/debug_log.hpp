#pragma once
// QASE_DEBUG: one line per request attempt on stderr (system, method, path, status or error, time,
// sizes, what happens next); at level 2 also the bodies, cut short. Secrets never appear: headers
// are not printed, and every secret the settings hold is masked in whatever is.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "net/transport.hpp"

namespace gtest_tms::detail {

struct debug_log_options {
  int level = 0;                     // 0 off, 1 one line per request, 2 with bodies
  std::vector<std::string> secrets;  // masked wherever they would appear
};

/// Bodies are cut to this many bytes at level 2.
inline constexpr std::size_t debug_body_cap = 2048;

/// The line(s) for one attempt, without the "gtest-tms: " prefix; `next` says what follows
/// ("done", "retry 2 in 1000 ms", ...). Pure, for tests.
std::vector<std::string> debug_lines(std::string_view system, const http_request& req, const http_response& resp,
                                     std::chrono::milliseconds elapsed, const std::string& next,
                                     const debug_log_options& options);

/// Prints debug_lines() on stderr when the level asks for it.
void debug_log(std::string_view system, const http_request& req, const http_response& resp,
               std::chrono::milliseconds elapsed, const std::string& next, const debug_log_options& options);

}  // namespace gtest_tms::detail

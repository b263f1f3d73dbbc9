#pragma once
// What the reporter asks of the operating system about its own process. The one place for such
// calls, so that a port (macOS, Windows) changes this folder and nothing else.

#include <cstdint>
#include <string>

namespace gtest_tms::detail {

/// This process's id (a forked death-test child has its own).
std::int64_t current_pid() noexcept;

/// The file name of this process's executable ("my_tests"), for the crash journal's header; ""
/// when the system does not say.
std::string current_binary_name();

/// The working directory, for the configuration files; "." when it cannot be read.
std::string current_dir();

}  // namespace gtest_tms::detail

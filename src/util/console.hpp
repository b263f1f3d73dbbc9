#pragma once
// Where the reporter's own lines go: "gtest-tms: ..." on stderr (QASE_LOGGING_CONSOLE, on by
// default) and, with QASE_LOGGING_FILE, also into a log file, as the official reporters' logging
// options do. One place, so a line is never on the console but missing from the file.

#include <string>
#include <string_view>

namespace gtest_tms::detail {

struct console_options {
  bool to_stderr = true;  // QASE_LOGGING_CONSOLE
  std::string file;       // QASE_LOGGING_FILE: the log file to append to; empty for none
};

/// From now on (the listener calls it once its settings are read). A file that cannot be opened
/// costs the file only: one line on stderr says so.
void set_console(const console_options& options);

/// One reporter line without its prefix: "gtest-tms: <text>" on stderr unless the console is off, and
/// "<UTC time> <text>" in the log file when there is one. Thread-safe, never throws.
void say(std::string_view text) noexcept;

/// The log file QASE_LOGGING_FILE=true writes: logs/gtest-tms-<pid>.log under `dir` (the working
/// directory), as the official reporters write logs/ under the project root.
std::string default_log_file(const std::string& dir);

}  // namespace gtest_tms::detail

#pragma once
// What the reporter asks of the operating system about its own process. The one place for such
// calls, so that a port (macOS, Windows) changes this folder and nothing else.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gtest_tms::detail {

/// This process's id (a forked death-test child has its own).
std::int64_t current_pid() noexcept;

/// The file name of this process's executable ("my_tests"), for the crash journal's header; ""
/// when the system does not say.
std::string current_binary_name();

/// The working directory, for the configuration files; "." when it cannot be read.
std::string current_dir();

/// What the Qase local report's host_data says about the machine (uname on POSIX).
struct system_description {
  std::string system;   // "Linux"
  std::string node;     // host name
  std::string release;  // kernel release
  std::string machine;  // "x86_64"
};
/// False when the system does not say.
bool describe_system(system_description& out);

/// Runs `program argument` with this process's environment and captures its standard output (at
/// most `cap` bytes kept), killing it after `timeout`. False with one line in `error` when it
/// cannot be started, does not finish in time, or fails (the line names the exit code or signal).
bool run_and_capture(const std::string& program, const std::string& argument, std::chrono::seconds timeout,
                     std::size_t cap, std::string& output, std::string& error);

/// The path of this process's executable ("" when the system does not say), to start a helper of it.
std::string current_executable_path();

/// This process's parent (the CTest that runs a fixture step).
std::int64_t parent_pid() noexcept;

/// Whether a process with this id exists (it may be another one that reused the id).
bool process_alive(std::int64_t pid) noexcept;

/// Starts `program args...` in a session of its own, detached from this one: standard input from
/// /dev/null, standard output and error appended to `log_path`, no other descriptor inherited, the
/// same environment. It outlives this process and is not waited for. False with one line in `error`.
bool spawn_detached(const std::string& program, const std::vector<std::string>& args, const std::string& log_path,
                    std::int64_t& pid, std::string& error);

/// Calls `fn` in the child after every fork() of this process (pthread_atfork). False if it cannot.
bool on_fork_in_child(void (*fn)()) noexcept;

}  // namespace gtest_tms::detail

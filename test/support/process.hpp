#pragma once
// Runs a child process with extra environment, captures stdout/stderr, and kills it at a timeout.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gtest_tms::detail::testing_support {

struct process_result {
  int exit_code = -1;  // -1 when killed by a signal (see signal)
  int signal = 0;
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};
  std::string out;
  std::string err;
};

struct process_options {
  std::vector<std::string> args;
  /// Variables to set (value) or remove (nullopt) on top of this process's environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string cwd;  // empty: inherit
  std::chrono::milliseconds timeout{120000};
};

process_result run_process(const std::string& path, const process_options& options);

/// A fresh directory under the system temp dir, removed by the destructor.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
/// Every regular file below `dir`, recursively.
std::vector<std::string> list_files(const std::string& dir);

}  // namespace gtest_tms::detail::testing_support

#include "util/console.hpp"

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "platform/process.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {
namespace {

struct console_state {
  std::mutex mutex;
  bool to_stderr = true;
  std::FILE* file = nullptr;  // never closed: lines may come from an atexit hook
};

console_state& state() {
  static auto* s = new console_state;  // outlives static destruction, for the same reason
  return *s;
}

}  // namespace

void set_console(const console_options& options) {
  console_state& s = state();
  std::FILE* file = nullptr;
  std::string why;
  if (!options.file.empty()) {
    std::error_code ec;
    const std::filesystem::path path(options.file);
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    file = std::fopen(options.file.c_str(), "a");
    if (file == nullptr)
      why = "cannot open the log file " + options.file + " (QASE_LOGGING_FILE); logging to it is off";
  }
  {
    std::lock_guard lock(s.mutex);
    s.to_stderr = options.to_stderr;
    if (file != nullptr) {
      if (s.file != nullptr) (void)std::fclose(s.file);
      s.file = file;
    }
  }
  if (!why.empty()) std::fprintf(stderr, "gtest-tms: %s\n", why.c_str());  // said even with the console off
}

void say(std::string_view text) noexcept {
  try {
    console_state& s = state();
    std::lock_guard lock(s.mutex);
    if (s.to_stderr) {
      std::fprintf(stderr, "gtest-tms: %.*s\n", static_cast<int>(text.size()), text.data());
      std::fflush(stderr);
    }
    if (s.file != nullptr) {
      const std::string when = iso8601_utc(now_epoch_ms());
      std::fprintf(s.file, "%s %.*s\n", when.c_str(), static_cast<int>(text.size()), text.data());
      std::fflush(s.file);
    }
  } catch (...) {
  }
}

std::string default_log_file(const std::string& dir) {
  return (std::filesystem::path(dir.empty() ? "." : dir) / "logs" /
          ("gtest-tms-" + std::to_string(current_pid()) + ".log"))
      .string();
}

}  // namespace gtest_tms::detail

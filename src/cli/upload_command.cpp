// gtest-tms upload <dir>: sends what a report directory or a crash journal holds and the server
// has not confirmed, exactly once (see src/cli/ci_steps.hpp).
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "cli/ci_steps.hpp"

namespace gtest_tms::detail::cli {

namespace {

void upload_usage(std::FILE* out) {
  std::fputs(
      "usage: gtest-tms upload <path>\n"
      "\n"
      "Sends the results kept on disk that the server has not confirmed:\n"
      "  <path> is a report directory (QASE_REPORT_CONNECTION_PATH, with results/*.json; its qasphere/\n"
      "  and journal/ subdirectories are included), a journal directory (GTEST_TMS_JOURNAL_DIR) or a\n"
      "  journal-*.jsonl file left by a test binary that crashed.\n"
      "Configuration as for the test binaries (QASE_*, QAS_*, qase.config.json, .qaspherecli);\n"
      "QASE_MODE=report counts as testops here. Results go into the run they were meant for unless\n"
      "QASE_TESTOPS_RUN_ID / QAS_RUN_ID name another. Sent results are marked (report files move to\n"
      "<dir>/uploaded/, journals record them), so a second upload sends nothing again.\n"
      "Exit code: 0 everything was delivered, 1 something was not, 2 usage.\n",
      out);
}

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string(".");
}

}  // namespace

int upload_command(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      upload_usage(stdout);
      return 0;
    }
    if (!a.empty() && a.front() == '-') {
      std::fprintf(stderr, "gtest-tms upload: unknown option '%s'\n", argv[i]);
      upload_usage(stderr);
      return 2;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "gtest-tms upload: one path only (got '%s' and '%s')\n", path.c_str(), argv[i]);
      return 2;
    }
    path = argv[i];
  }
  if (path.empty()) {
    upload_usage(stderr);
    return 2;
  }
  try {
    const settings s = load_settings(ci_env(process_env()), current_dir());
    for (const auto& e : s.errors) std::fprintf(stderr, "gtest-tms: %s\n", e.c_str());
    for (const auto& w : s.warnings) std::fprintf(stderr, "gtest-tms: %s\n", w.c_str());
    const ci_outcome out = upload_results(path, s);
    for (const auto& line : out.lines) std::printf("gtest-tms: %s\n", line.c_str());
    std::fflush(stdout);
    return out.ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gtest-tms upload: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "gtest-tms upload: unknown error\n");
  }
  return 1;
}

}  // namespace gtest_tms::detail::cli

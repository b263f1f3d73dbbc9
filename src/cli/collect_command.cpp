// gtest-tms collect: the collector `run create --collect` starts in the background for one CTest
// run (collector/collector.hpp). Not meant to be typed; documented for when it shows in `ps`.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "cli/commands.hpp"
#include "collector/collector.hpp"
#include "collector/spool.hpp"
#include "platform/process.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail::cli {

namespace {

void collect_usage(std::FILE* out) {
  std::fputs(
      "usage: gtest-tms collect --spool DIR --run-file FILE [--watch-pid PID]\n"
      "\n"
      "Started by `gtest-tms run create --collect` (the CTest setup step of gtest_tms_discover_tests):\n"
      "delivers the results that test processes write into DIR, for the runs FILE names, until\n"
      "`gtest-tms run complete --run-file FILE` asks it to stop, or PID is gone and nothing new came\n"
      "for GTEST_TMS_COLLECTOR_QUIET_MS milliseconds (default 10000).\n",
      out);
}

}  // namespace

int collect_command(int argc, char** argv) {
  collector_options o;
  std::string run_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      collect_usage(stdout);
      return 0;
    }
    if (i + 1 >= argc || (a != "--spool" && a != "--run-file" && a != "--watch-pid")) {
      std::fprintf(stderr, "gtest-tms collect: unexpected argument '%s'\n", argv[i]);
      collect_usage(stderr);
      return 2;
    }
    const std::string value = argv[++i];
    if (a == "--spool") o.spool = value;
    if (a == "--run-file") run_file = value;
    if (a == "--watch-pid") {
      const auto pid = parse_int(value, 1, INT32_MAX);
      if (!pid) {
        std::fprintf(stderr, "gtest-tms collect: --watch-pid needs a process id\n");
        return 2;
      }
      o.watch_pid = *pid;
    }
  }
  if (o.spool.empty() || run_file.empty()) {
    collect_usage(stderr);
    return 2;
  }
  // How long the collector waits, once the CTest that started it is gone, for anything new.
  if (const char* q = std::getenv("GTEST_TMS_COLLECTOR_QUIET_MS"); q != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    if (const auto ms = parse_int(trim(q), 0, 3600000)) o.orphan_quiet = std::chrono::milliseconds(*ms);
  }
  return run_guarded("collect", [&] {
    std::printf("gtest-tms collect: pid %lld, spool %s\n", static_cast<long long>(current_pid()), o.spool.c_str());
    std::fflush(stdout);
    const settings s = load_command_settings(with_run_file_path(process_env(), run_file));
    const collector_outcome out = run_collector(s, o);
    std::string text;
    for (const auto& line : out.lines) text += line + "\n";
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    // For `run complete`, which prints it where the user looks (CTest's output of the cleanup step).
    if (std::ofstream f(spool_summary_path(o.spool), std::ios::binary | std::ios::trunc); f) f << text;
    return out.ok ? 0 : 1;
  });
}

}  // namespace gtest_tms::detail::cli

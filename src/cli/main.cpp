// gtest-tms: CI steps around the reporter (run create/complete, upload) and the local TMS emulator.
#include <cstdio>
#include <cstring>
#include <string_view>

#include <gtest_tms/version.hpp>

#include "cli/commands.hpp"

namespace {

void usage(std::FILE* out) {
  std::fputs(
      "usage: gtest-tms <command> [options]\n"
      "\n"
      "commands:\n"
      "  run create          create a run (Qase and/or QA Sphere, from the usual QASE_* / QAS_* variables)\n"
      "                      and print its id, for sharded or multi-binary CI\n"
      "  run complete        complete (Qase) / close (QA Sphere) the run given by QASE_TESTOPS_RUN_ID / QAS_RUN_ID\n"
      "  upload <dir>        send results kept on disk (fallback report or journal) exactly once\n"
      "  emulator serve|show a local Qase + QA Sphere emulator over HTTPS on 127.0.0.1, for trying things out\n"
      "  version             print the version\n"
      "\n"
      "Run 'gtest-tms <command> --help' for the options of a command.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view cmd = argv[1];
  namespace cli = gtest_tms::detail::cli;
  if (cmd == "run") return cli::run_command(argc - 1, argv + 1);
  if (cmd == "upload") return cli::upload_command(argc - 1, argv + 1);
  if (cmd == "collect") return cli::collect_command(argc - 1, argv + 1);
  if (cmd == "emulator") {
#ifdef GTEST_TMS_WITH_EMULATOR
    return cli::emulator_command(argc - 1, argv + 1);
#else
    std::fputs("gtest-tms: this build has no emulator (configure with -DGTEST_TMS_BUILD_EMULATOR=ON)\n", stderr);
    return 2;
#endif
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("gtest-tms %s\n", GTEST_TMS_VERSION_STRING);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return 0;
  }
  std::fprintf(stderr, "gtest-tms: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}

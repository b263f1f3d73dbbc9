#pragma once
// The gtest-tms sub-commands. Each command's file holds its argument parsing and its work:
//   run_command.cpp       gtest-tms run create|complete   create_runs(), complete_runs()
//   upload_command.cpp    gtest-tms upload <path>          upload_results()
//   collect_command.cpp   gtest-tms collect (started by run create --collect; collector/collector.hpp)
//   emulator_command.cpp  gtest-tms emulator serve|show    (tools/emulator)
// The work is done by a delivery session (delivery/session.hpp), exactly as in a test binary, so
// retries, rate limits, splitting, the deadline and the messages are the same. The functions are
// exposed so tests can drive them with a fake transport or fake backends.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "delivery/backend.hpp"
#include "delivery/session.hpp"

namespace gtest_tms::detail {

namespace cli {

int collect_command(int argc, char** argv);
int emulator_command(int argc, char** argv);
int run_command(int argc, char** argv);
int upload_command(int argc, char** argv);

}  // namespace cli

/// The environment as upload / run commands see it: QASE_MODE=report counts as testops (the
/// point of these commands is to talk to the server; the report settings stay as they are).
env_lookup ci_env(env_lookup base);

/// `base` with GTEST_TMS_RUN_FILE=run_file: the runs (and spool) a command takes from that run file.
env_lookup with_run_file_path(env_lookup base, std::string run_file);

/// The settings a command works with (ci_env over `env`, files from the working directory), their
/// errors and warnings printed on stderr, one line each.
settings load_command_settings(const env_lookup& env);

/// Runs a command's work; an exception becomes one line "gtest-tms <command>: <what>" and exit code 1.
int run_guarded(const char* command, const std::function<int()>& work) noexcept;

struct ci_outcome {
  std::vector<std::string> lines;  // summary and warnings, one line each, without a prefix
  bool ok = false;
  bool usage_error = false;  // a required setting is missing; nothing was sent (exit code 2)
  // upload:
  std::size_t found = 0;  // results on disk the server had not confirmed
  std::size_t sent = 0;   // confirmed now (or deliberately not for that system)
  std::size_t live = 0;   // journals skipped because their process is still running
  // run create / complete:
  std::int64_t qase_run_id = 0;
  std::int64_t qasphere_run_id = 0;
};

/// `path`: a report directory (results/*.json; its qasphere/ and journal/ subdirectories are
/// included), a journal directory or a journal file. Sends, per system and run, the results not
/// yet acknowledged; then marks them: report files move to <dir>/uploaded/, journals get ack lines
/// (and are deleted once everything in them is acknowledged). Running it twice sends nothing the
/// second time. Results go into the run they were meant for (recorded on disk) unless
/// QASE_TESTOPS_RUN_ID / QAS_RUN_ID say otherwise; a run the original process created is
/// completed afterwards as that process would have done. ok: everything found was delivered and
/// nothing had to be skipped as unreadable.
ci_outcome upload_results(const std::string& path, const settings& s, const session_hooks& hooks = {});

/// The lock one upload of folder `dir` holds (<dir>/.gtest-tms-upload.lock).
std::string upload_lock_path(const std::string& dir);

/// Creates (or, with a run id configured, joins) the run of every configured system and leaves
/// it open. `plan` lists the tests (QA Sphere needs them for its markers).
ci_outcome create_runs(const settings& s, const run_plan& plan, const session_hooks& hooks = {});

/// Completes the Qase run QASE_TESTOPS_RUN_ID and closes the QA Sphere run QAS_RUN_ID. Checks
/// every configured system first: when one lacks its run id, nothing is touched.
ci_outcome complete_runs(const settings& s, const run_plan& plan, const session_hooks& hooks = {});

/// Parses `--gtest_list_tests` output into planned tests ("Suite." lines, then indented names;
/// "# GetParam() = ..." / "# TypeParam = ..." comments are dropped).
std::vector<planned_test> parse_gtest_list(std::string_view output);

}  // namespace gtest_tms::detail

#pragma once
// The CI steps of the gtest-tms command, as functions (the CLI parses arguments and prints; tests
// drive these directly with a fake transport or fake backends):
//   upload_results  - send what a report directory or journal holds and the server lacks, exactly once
//   create_runs     - create the run(s) up front, for sharded or multi-binary CI
//   complete_runs   - complete / close the run(s) given by QASE_TESTOPS_RUN_ID / QAS_RUN_ID
// They use the reporter's own pipeline and backends, so retries, rate limits, splitting, the
// deadline and the messages are the same as in a test binary.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "net/transport.hpp"
#include "delivery/backend.hpp"

namespace gtest_tms::detail {

/// Seams: how to make the transport and a backend ("qase" / "qasphere", see journal.hpp).
struct ci_tools {
  std::function<std::unique_ptr<transport>(const transport_options&)> make_transport;  // default: HTTPS
  std::function<std::unique_ptr<backend>(std::string_view system, const settings&)> make_backend;  // default: real
};

/// The transport options the reporter derives from its settings.
transport_options transport_options_for(const settings& s);

/// The environment as upload / run commands see it: QASE_MODE=report counts as testops (the
/// point of these commands is to talk to the server; the report settings stay as they are).
env_lookup ci_env(env_lookup base);

struct ci_outcome {
  std::vector<std::string> lines;  // summary and warnings, one line each, without a prefix
  bool ok = false;
  bool usage_error = false;  // a required setting is missing; nothing was sent (exit code 2)
  // upload:
  std::size_t found = 0;  // results on disk the server had not confirmed
  std::size_t sent = 0;   // confirmed now (or deliberately not for that system)
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
ci_outcome upload_results(const std::string& path, const settings& s, const ci_tools& tools = {});

/// Creates (or, with a run id configured, joins) the run of every configured system and leaves
/// it open. `plan` lists the tests (QA Sphere needs them for its markers).
ci_outcome create_runs(const settings& s, const run_plan& plan, const ci_tools& tools = {});

/// Completes the Qase run QASE_TESTOPS_RUN_ID and closes the QA Sphere run QAS_RUN_ID. Checks
/// every configured system first: when one lacks its run id, nothing is touched.
ci_outcome complete_runs(const settings& s, const run_plan& plan, const ci_tools& tools = {});

/// Parses `--gtest_list_tests` output into planned tests ("Suite." lines, then indented names;
/// "# GetParam() = ..." / "# TypeParam = ..." comments are dropped).
std::vector<planned_test> parse_gtest_list(std::string_view output);

}  // namespace gtest_tms::detail

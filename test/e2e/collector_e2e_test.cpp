// The collector (issue 11) driven by hand, as the CTest fixtures drive it, with the gtest-tms and
// fixture binaries of this build (so the sanitizer variants run it too): several test processes
// hand their results to one collector, which delivers them for all; run complete completes once.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
using env_map = std::map<std::string, std::optional<std::string>>;

process_result run(const std::string& program, env_map env, std::vector<std::string> args) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 180s;
  return run_process(program, po);
}

// fixture_confirm has 49 tests; four processes of it run one filtered share each.
TEST(CollectorEndToEnd, FourProcessesOneCollectorEachResultOnceCompletedOnce) {
  emulator_fixture emu;
  const std::string run_file = emu.dir() + "/run.env";
  const std::string fixture = fixture_path("fixture_confirm");
  const auto c = run(GTEST_TMS_CLI, emu.qase_env(),
                     {"run", "create", "--collect", "--run-file", run_file, "--tests-from", fixture});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const std::size_t after_create = emu.tms().requests().size();
  env_map env = emu.qase_env();
  env["GTEST_TMS_RUN_FILE"] = run_file;
  std::size_t handed = 0;
  for (const char* filter : {"Many/*", "-Many/*:*Bd00*", "*Bd001*:*Bd002*", "*Bd003*:*Bd004*"}) {
    const auto r = run(fixture, env, {std::string("--gtest_filter=") + filter});
    EXPECT_NE(r.err.find("handed to the collector"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("results sent"), std::string::npos) << r.err;
    ++handed;
  }
  EXPECT_EQ(handed, 4u);
  const auto done = run(GTEST_TMS_CLI, emu.qase_env(), {"run", "complete", "--run-file", run_file});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.err.find("collector: collected 49 results from 4 test processes"), std::string::npos) << done.err;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].complete_count, 1);
  const auto keys = qase_keys(emu, runs[0].id);
  EXPECT_EQ(keys.size(), 49u);
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  // The test processes sent nothing; the collector's batches and the completion are all there is.
  std::size_t other = 0;
  const auto requests = emu.tms().requests();
  for (std::size_t i = after_create; i < requests.size(); ++i) {
    const auto& req = requests[i];
    if (req.path.find("/results") == std::string::npos && req.path.find("/complete") == std::string::npos) ++other;
  }
  EXPECT_EQ(other, 0u);
  EXPECT_FALSE(std::filesystem::exists(run_file + ".spool")) << done.err;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(done, emu.dir()));
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

// Every gtest mode reports what really happened (issue 5): death-test styles, repeat, shuffle,
// filter, shards sharing one run, disabled tests, failures outside test bodies. Golden logs.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>

#include "emulator_fixture.hpp"
#include "golden.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

using env_map = std::map<std::string, std::optional<std::string>>;

// "Suite.title -> status" for every stored result of the only run, with a count per key.
std::map<std::string, std::map<std::string, int>> outcomes(emulator_fixture& emu) {
  std::map<std::string, std::map<std::string, int>> out;
  for (const auto& run : emu.tms().qase_runs()) {
    for (const auto& r : emu.tms().qase_results(run.id)) {
      ++out[qase_suite_title(r)][std::string(r.at("execution").at("status").as_string())];
    }
  }
  return out;
}

int total(const std::map<std::string, std::map<std::string, int>>& o) {
  int n = 0;
  for (const auto& [k, m] : o)
    for (const auto& [s, c] : m) n += c;
  return n;
}

#if defined(__SANITIZE_ADDRESS__)
// GCC 12's ASan allocator takes no locks around fork(): a fast-style child forked while the io thread
// is inside malloc deadlocks. The fast style is covered by the plain and TSan builds.
constexpr bool fast_death_tests_are_safe = false;
#else
constexpr bool fast_death_tests_are_safe = true;
#endif

TEST(ModesEndToEnd, DeathTestsReportOnlyFromTheParentInBothStyles) {
  for (const std::string style : {"fast", "threadsafe"}) {
    if (style == "fast" && !fast_death_tests_are_safe) continue;
    emulator_fixture emu;
    const auto r =
        run_fixture("fixture_modes", emu.qase_env(), {"--gtest_filter=Death.*", "--gtest_death_test_style=" + style});
    EXPECT_EQ(r.exit_code, 0) << style << r.err;
    const auto runs = emu.tms().qase_runs();
    ASSERT_EQ(runs.size(), 1u) << style << r.err;
    EXPECT_EQ(runs[0].complete_count, 1) << style;
    const auto o = outcomes(emu);
    EXPECT_EQ(total(o), 2) << style;
    EXPECT_EQ(o.at("Death.Exits").at("passed"), 1) << style;
    EXPECT_EQ(o.at("Death.Aborts").at("passed"), 1) << style;
    EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "death_" + style + ".json"));
  }
}

TEST(ModesEndToEnd, RepeatGivesOneResultPerIteration) {
  emulator_fixture emu;
  const auto r = run_fixture("fixture_modes", emu.qase_env(), {"--gtest_repeat=2", "--gtest_filter=Alpha.*:Beta.*"});
  EXPECT_EQ(r.exit_code, 1);
  const auto o = outcomes(emu);
  EXPECT_EQ(o.at("Alpha.One").at("passed"), 2);
  EXPECT_EQ(o.at("Alpha.Three").at("failed"), 2);
  EXPECT_EQ(o.at("Beta.Five").at("skipped"), 2);
  // Disabled tests are reported once per process, not once per iteration.
  EXPECT_EQ(o.at("Alpha.DISABLED_Off").at("skipped"), 1);
  EXPECT_EQ(emu.tms().qase_runs().at(0).complete_count, 1);
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "repeat_2.json"));
}

TEST(ModesEndToEnd, ShuffleAndFilterReportWhatRan) {
  emulator_fixture plain_emu, shuffled_emu;
  const std::vector<std::string> filter{"--gtest_filter=Alpha.*:Beta.Four"};
  run_fixture("fixture_modes", plain_emu.qase_env(), filter);
  auto args = filter;
  args.push_back("--gtest_shuffle");
  args.push_back("--gtest_random_seed=7");
  run_fixture("fixture_modes", shuffled_emu.qase_env(), args);
  const auto o = outcomes(shuffled_emu);
  EXPECT_EQ(o, outcomes(plain_emu));
  EXPECT_EQ(o.count("Beta.Five"), 0u);              // filtered out
  EXPECT_EQ(o.count("Beta.DISABLED_AlsoOff"), 0u);  // disabled but not matching the filter
  EXPECT_EQ(o.at("Alpha.DISABLED_Off").at("skipped"), 1);
  EXPECT_EQ(normalized_log(shuffled_emu.tms().requests()), normalized_log(plain_emu.tms().requests()));
  EXPECT_TRUE(matches_golden(normalized_log(plain_emu.tms().requests()), "filter.json"));
}

TEST(ModesEndToEnd, TwoShardsShareOneRunAndNeitherCompletesIt) {
  emulator_fixture emu;
  // The CI recipe: create the run in its own step, hand the id to every shard, complete at the end.
  process_options create;
  create.env = emu.qase_env();
  create.args = {"run", "create", "--env-file", emu.dir() + "/run.env"};
  const auto c = run_process(GTEST_TMS_CLI, create);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  ASSERT_EQ(emu.tms().qase_runs().size(), 1u);
  const auto run_id = emu.tms().qase_runs()[0].id;
  EXPECT_NE(c.out.find("QASE_TESTOPS_RUN_ID=" + std::to_string(run_id)), std::string::npos) << c.out;

  for (int shard = 0; shard < 2; ++shard) {
    auto env = emu.qase_env();
    env["QASE_TESTOPS_RUN_ID"] = std::to_string(run_id);
    env["GTEST_TOTAL_SHARDS"] = "2";
    env["GTEST_SHARD_INDEX"] = std::to_string(shard);
    const auto r = run_fixture("fixture_modes", env, {"--gtest_filter=-Death.*"});
    EXPECT_FALSE(r.timed_out);
  }
  EXPECT_EQ(emu.tms().qase_runs().size(), 1u);
  EXPECT_EQ(emu.tms().qase_complete_count(run_id), 0);
  const auto o = outcomes(emu);
  // Every test exactly once across both shards, disabled ones included.
  for (const char* t : {"Alpha.One", "Alpha.Two", "Alpha.Three", "Beta.Four", "Beta.Five"}) {
    ASSERT_TRUE(o.count(t)) << t;
    EXPECT_EQ(o.at(t).begin()->second, 1) << t;
  }
  for (const char* t : {"Alpha.DISABLED_Off", "Beta.DISABLED_AlsoOff", "DISABLED_Gamma.WholeSuiteOff"}) {
    ASSERT_TRUE(o.count(t)) << t;
    EXPECT_EQ(o.at(t).at("skipped"), 1) << t;
  }
  EXPECT_EQ(total(o), 8);

  process_options complete;
  complete.env = emu.qase_env();
  complete.env["QASE_TESTOPS_RUN_ID"] = std::to_string(run_id);
  complete.args = {"run", "complete"};
  const auto d = run_process(GTEST_TMS_CLI, complete);
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(emu.tms().qase_complete_count(run_id), 1);
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "two_shards.json"));
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ModesEndToEnd, FailingSetUpTestSuiteBlocksItsTestsAndTearDownFailuresAreReported) {
  emulator_fixture emu;
  const auto r = run_fixture("fixture_setup_failures", emu.qase_env());
  EXPECT_EQ(r.exit_code, 1);
  const auto o = outcomes(emu);
  EXPECT_EQ(o.at("BrokenSetUp.TestBd001First").at("blocked"), 1);
  EXPECT_EQ(o.at("BrokenSetUp.TestBd002Second").at("blocked"), 1);
  EXPECT_EQ(o.at("BrokenTearDown.TestBd003Works").at("passed"), 1);
  EXPECT_EQ(o.at("BrokenTearDown.TearDownTestSuite").at("failed"), 1);
  EXPECT_EQ(o.at("Healthy.TestBd004Works").at("passed"), 1);
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "setup_test_suite.json"));
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ModesEndToEnd, FailingGlobalEnvironmentBlocksEveryTest) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["FIXTURE_ENVIRONMENT"] = "fail";
  const auto r = run_fixture("fixture_setup_failures", env);
  EXPECT_EQ(r.exit_code, 1);
  const auto o = outcomes(emu);
  EXPECT_EQ(o.at("Healthy.TestBd004Works").at("blocked"), 1);
  EXPECT_EQ(o.at("BrokenTearDown.TestBd003Works").at("blocked"), 1);
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "environment_fails.json"));
}

TEST(ModesEndToEnd, GtestSkipInAGlobalEnvironmentReportsEveryTestSkipped) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["FIXTURE_ENVIRONMENT"] = "skip";
  const auto r = run_fixture("fixture_setup_failures", env);
  EXPECT_EQ(r.exit_code, 0);
  const auto o = outcomes(emu);
  EXPECT_EQ(total(o), 4);
  EXPECT_EQ(o.at("Healthy.TestBd004Works").at("skipped"), 1);
  EXPECT_EQ(o.at("BrokenSetUp.TestBd001First").at("skipped"), 1);
  EXPECT_EQ(emu.tms().qase_runs().at(0).complete_count, 1);
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "environment_skips.json"));
}

TEST(ModesEndToEnd, GlobalEnvironmentTearDownFailureIsARunLevelResult) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["FIXTURE_ENVIRONMENT"] = "teardown_fail";
  run_fixture("fixture_setup_failures", env);
  const auto o = outcomes(emu);
  EXPECT_EQ(o.at("GlobalEnvironment.TearDown").at("failed"), 1);
}

TEST(ModesEndToEnd, StepSummaryTableForGitHubActions) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["GITHUB_STEP_SUMMARY"] = emu.dir() + "/summary.md";
  run_fixture("fixture_modes", env, {"--gtest_filter=Alpha.*"});
  const std::string md = read_file(emu.dir() + "/summary.md");
  // Alpha: three executed tests and one DISABLED_ test (reported as skipped).
  EXPECT_NE(md.find("| Qase | 4 | 1 | 0 | [https://"), std::string::npos) << md;
  EXPECT_NE(md.find("- `Alpha.Three`"), std::string::npos) << md;
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

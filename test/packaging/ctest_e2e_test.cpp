// `ctest -j4` over a gtest_discover_tests suite of 60 tests (one process each) gives exactly one
// run with every result, completed once, after the last result (issue 5's acceptance).
#include <gtest/gtest.h>

#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;

process_result cmake(std::vector<std::string> args, std::map<std::string, std::optional<std::string>> env = {}) {
  process_options po;
  po.args = std::move(args);
  po.env = std::move(env);
  po.timeout = 900s;
  return run_process(GTEST_TMS_CMAKE, po);
}

TEST(CtestEndToEnd, ParallelCtestGivesOneRunCompletedOnceAfterTheLastResult) {
  emulator_fixture emu;
  const std::string build = emu.dir() + "/build";
  auto c = cmake({"-S", GTEST_TMS_CTEST_PROJECT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                  "-DCMAKE_PREFIX_PATH=" GTEST_TMS_PACKAGE_PREFIX});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  c = cmake({"--build", build, "-j2"});
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_TRUE(emu.tms().requests().empty());  // test discovery ran --gtest_list_tests: inert

  process_options po;
  po.args = {"-j4", "--output-on-failure"};
  po.env = emu.qase_env();
  po.cwd = build;
  po.timeout = 900s;
  const auto r = run_process(GTEST_TMS_CTEST, po);
  EXPECT_NE(r.exit_code, 0);  // Numbers/Many.Works/41 fails on purpose, and only that
  EXPECT_NE(r.out.find("1 tests failed out of 62"), std::string::npos) << r.out;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 60u);

  // The completion came after the last result was stored.
  std::uint64_t last_result = 0, completion = 0;
  for (const auto& req : emu.tms().requests()) {
    if (req.path.find("/results") != std::string::npos && req.status == 202) last_result = req.seq;
    if (req.path.find("/complete") != std::string::npos) completion = req.seq;
  }
  EXPECT_GT(completion, last_result);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(CtestEndToEnd, WithoutConfigurationTheFixturesDoNothingAndPass) {
  emulator_fixture emu;
  const std::string build = emu.dir() + "/build";
  ASSERT_EQ(
      cmake({"-S", GTEST_TMS_CTEST_PROJECT, "-B", build, "-DCMAKE_PREFIX_PATH=" GTEST_TMS_PACKAGE_PREFIX}).exit_code,
      0);
  ASSERT_EQ(cmake({"--build", build, "-j2"}).exit_code, 0);
  process_options po;
  po.args = {"-j4", "-R", "create|complete|Works/[0-5]$"};
  po.env = emulator_fixture::clean_env();
  po.cwd = build;
  po.timeout = 600s;
  const auto r = run_process(GTEST_TMS_CTEST, po);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(emu.tms().requests().empty());
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

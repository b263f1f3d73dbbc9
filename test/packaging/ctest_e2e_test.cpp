// `ctest -j4` over a gtest_discover_tests suite of 60 tests (one process each) gives exactly one
// run with every result, completed once, after the last result (issue 5's acceptance); the
// collector delivers for all processes, so the whole ctest run takes a handful of requests and
// stays within the account's rate limit (issue 11).
#include <gtest/gtest.h>

#include <filesystem>

#include <boost/json.hpp>

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

// Configures and builds the ctest project (with `tests` tests) in <emulator dir>/build.
std::string build_project(emulator_fixture& emu, int tests = 60) {
  const std::string build = emu.dir() + "/build";
  auto c = cmake({"-S", GTEST_TMS_CTEST_PROJECT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                  "-DCMAKE_PREFIX_PATH=" GTEST_TMS_PACKAGE_PREFIX, "-DMANY_TESTS=" + std::to_string(tests)});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  c = cmake({"--build", build, "-j2"});
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  return build;
}

process_result ctest(const std::string& build, std::map<std::string, std::optional<std::string>> env,
                     std::vector<std::string> args = {"-j4", "--output-on-failure"}) {
  process_options po;
  po.args = std::move(args);
  po.env = std::move(env);
  po.cwd = build;
  po.timeout = 900s;
  return run_process(GTEST_TMS_CTEST, po);
}

struct request_counts {
  std::size_t total = 0;
  std::size_t too_many = 0;  // 429
  std::size_t results = 0;   // result batches
  std::uint64_t last_result = 0;
  std::uint64_t completion = 0;
};

std::string request_list(emulator_fixture& emu) {
  std::string out;
  for (const auto& req : emu.tms().requests())
    out += req.method + " " + req.path + " " + std::to_string(req.status) + "\n";
  return out;
}

request_counts count_requests(emulator_fixture& emu) {
  request_counts n;
  for (const auto& req : emu.tms().requests()) {
    ++n.total;
    if (req.status == 429) ++n.too_many;
    if (req.path.find("/results") != std::string::npos) ++n.results;
    if (req.path.find("/results") != std::string::npos && req.status == 202) n.last_result = req.seq;
    if (req.path.find("/complete") != std::string::npos) n.completion = req.seq;
  }
  return n;
}

// Every test of the project stored exactly once, 41 failed and the rest passed.
void expect_each_stored_once(emulator_fixture& emu, std::int64_t run_id, int tests) {
  const auto keys = qase_keys(emu, run_id);
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(tests));
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  std::size_t failed = 0;
  for (const auto& r : emu.tms().qase_results(run_id))
    if (r.at("execution").at("status").as_string() == "failed") ++failed;
  EXPECT_EQ(failed, 1u);
}

TEST(CtestEndToEnd, ParallelCtestGivesOneRunCompletedOnceAfterTheLastResult) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  EXPECT_TRUE(emu.tms().requests().empty());  // test discovery ran --gtest_list_tests: inert

  const auto r = ctest(build, emu.qase_env());
  EXPECT_NE(r.exit_code, 0);  // Numbers/Many.Works/41 fails on purpose, and only that
  EXPECT_NE(r.out.find("1 tests failed out of 62"), std::string::npos) << r.out;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 60u);
  expect_each_stored_once(emu, runs[0].id, 60);

  // The completion came after the last result was stored, and the test processes sent nothing:
  // create (project check, run), the collector (project and run check, batches), complete.
  const request_counts n = count_requests(emu);
  EXPECT_GT(n.completion, n.last_result);
  EXPECT_LE(n.total, 10u) << request_list(emu);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  // The spool is gone once everything is in.
  EXPECT_FALSE(std::filesystem::exists(build + "/gtest_tms_run.env.spool")) << r.out;
}

// Issue 11's acceptance: 600 processes, 20 ms latency, the account's 600 requests per minute
// enforced by the server.
TEST(CtestEndToEnd, SixHundredProcessesStayWithinTheRateLimitAndAreStoredOnce) {
  auto options = emulator_fixture::default_options();
  options.qase_rate_limit_per_minute = 600;
  options.latency = 20ms;
  emulator_fixture emu(options);
  const std::string build = build_project(emu, 600);
  const auto r = ctest(build, emu.qase_env(), {"-j8", "--output-on-failure"});
  EXPECT_NE(r.out.find("1 tests failed out of 602"), std::string::npos) << r.out;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  expect_each_stored_once(emu, runs[0].id, 600);
  const request_counts n = count_requests(emu);
  EXPECT_EQ(n.too_many, 0u);
  EXPECT_LE(n.total, 10u) << request_list(emu);
  EXPECT_GT(n.completion, n.last_result);
}

TEST(CtestEndToEnd, ATestProcessThatCrashesUnderTheCollectorIsReportedAsFailed) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  auto env = emu.qase_env();
  env["MANY_CRASH"] = "7";
  const auto r = ctest(build, env);
  EXPECT_NE(r.out.find("2 tests failed out of 62"), std::string::npos) << r.out;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  bool crash_named = false;
  std::size_t stored = 0;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) {
    ++stored;
    if (res.at("title").as_string() != "Works/7") continue;
    EXPECT_EQ(res.at("execution").at("status").as_string(), "failed");
    crash_named = boost::json::serialize(res).find("SIGABRT") != std::string::npos;
  }
  EXPECT_EQ(stored, 60u);
  EXPECT_TRUE(crash_named) << r.out;
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

// `ctest -j4` over a gtest_discover_tests suite of 60 tests (one process each) gives exactly one
// run with every result, completed once, after the last result (issue 5's acceptance); the
// collector delivers for all processes, so the whole ctest run takes a handful of requests and
// stays within the account's rate limit (issue 11).
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

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

// Configures and builds the ctest project (with `tests` tests and `marked` QA Sphere-marked ones)
// in <emulator dir>/build.
std::string build_project(emulator_fixture& emu, int tests = 60, int marked = 0) {
  const std::string build = emu.dir() + "/build";
  auto c = cmake({"-S", GTEST_TMS_CTEST_PROJECT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                  "-DCMAKE_PREFIX_PATH=" GTEST_TMS_PACKAGE_PREFIX, "-DMANY_TESTS=" + std::to_string(tests),
                  "-DMANY_MARKED=" + std::to_string(marked)});
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

// A trickle of results is sent at most once per batch age (450 ms by default): how many results
// requests a collector may make while ctest ran for `took`, whatever the number of processes.
std::size_t result_slots(std::chrono::steady_clock::duration took) {
  return static_cast<std::size_t>(took / std::chrono::milliseconds(450)) + 2;
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

  const auto started = std::chrono::steady_clock::now();
  const auto r = ctest(build, emu.qase_env());
  const auto took = std::chrono::steady_clock::now() - started;
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
  EXPECT_LE(n.results, result_slots(took)) << request_list(emu);
  EXPECT_LE(n.total, result_slots(took) + 5) << request_list(emu);
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
  const auto started = std::chrono::steady_clock::now();
  const auto r = ctest(build, emu.qase_env(), {"-j8", "--output-on-failure"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(r.out.find("1 tests failed out of 602"), std::string::npos) << r.out;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  expect_each_stored_once(emu, runs[0].id, 600);
  const request_counts n = count_requests(emu);
  EXPECT_EQ(n.too_many, 0u);
  // Bounded by how long ctest took, not by the 600 processes; a few more for the project and run
  // checks (create and collector) and the completion.
  EXPECT_LE(n.results, result_slots(took)) << request_list(emu);
  EXPECT_LE(n.total, result_slots(took) + 5) << request_list(emu);
  EXPECT_GT(n.completion, n.last_result);
}

// The same for QA Sphere: 600 marked tests (and 60 unmarked ones) through one collector, within
// QA Sphere's 20 requests per second, each stored once, the run closed once.
TEST(CtestEndToEnd, SixHundredMarkedProcessesReachQaSphereOnceWithinItsRateLimit) {
  auto options = emulator_fixture::default_options();
  options.qasphere_projects = {emulator::default_qasphere_project("BD", 600)};
  options.latency = 20ms;
  emulator_fixture emu(options);
  const std::string build = build_project(emu, 60, 600);
  const auto started = std::chrono::steady_clock::now();
  const auto r = ctest(build, emu.qasphere_env(), {"-j8", "--output-on-failure"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_NE(r.out.find("2 tests failed out of 662"), std::string::npos) << r.out;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].close_count, 1);
  std::map<std::string, int> per_case;
  std::size_t failed = 0;
  for (const auto& res : emu.tms().qasphere_results(runs[0].id)) {
    ++per_case[res.tcase_id];
    failed += res.status == "failed" ? 1 : 0;
  }
  EXPECT_EQ(per_case.size(), 600u);
  for (const auto& [id, n] : per_case) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(failed, 1u);
  const request_counts n = count_requests(emu);
  EXPECT_EQ(n.too_many, 0u) << request_list(emu);
  EXPECT_LE(n.total, result_slots(took) + 8) << request_list(emu);
}

// `ctest --repeat until-pass:3`: every attempt of the failing test is collected (each is a result
// of its own), the others once.
TEST(CtestEndToEnd, EveryAttemptOfARepeatedTestIsCollected) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  const auto r = ctest(build, emu.qase_env(), {"-j4", "--repeat", "until-pass:3"});
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 62u) << r.out;
  std::size_t failed = 0;
  for (const auto& res : emu.tms().qase_results(runs[0].id))
    if (res.at("execution").at("status").as_string() == "failed") ++failed;
  EXPECT_EQ(failed, 3u);
}

// A test process that aborts, or is killed with SIGKILL (which nothing in it can see), under the
// collector: its test is reported failed, naming how it ended; every other result arrives once.
void expect_death_reported(const std::string& variable, const std::string& why) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  auto env = emu.qase_env();
  env[variable] = "7";
  const auto r = ctest(build, env);
  EXPECT_NE(r.out.find("2 tests failed out of 62"), std::string::npos) << r.out;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.out;
  EXPECT_EQ(runs[0].complete_count, 1);
  bool named = false;
  std::size_t stored = 0;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) {
    ++stored;
    if (res.at("title").as_string() != "Works/7") continue;
    EXPECT_EQ(res.at("execution").at("status").as_string(), "failed");
    named = boost::json::serialize(res).find(why) != std::string::npos;
  }
  EXPECT_EQ(stored, 60u);
  EXPECT_TRUE(named) << why << "\n" << r.out;
}

TEST(CtestEndToEnd, ATestProcessThatCrashesUnderTheCollectorIsReportedAsFailed) {
  expect_death_reported("MANY_CRASH", "SIGABRT");
}

TEST(CtestEndToEnd, ATestProcessKilledWithSigkillUnderTheCollectorIsReportedAsFailed) {
  expect_death_reported("MANY_KILL", "the process was killed during this test");
}

process_result tool(const std::string& build, std::map<std::string, std::optional<std::string>> env,
                    std::vector<std::string> args) {
  process_options po;
  po.args = std::move(args);
  po.env = std::move(env);
  po.cwd = build;
  po.timeout = 300s;
  return run_process(GTEST_TMS_PACKAGE_PREFIX "/bin/gtest-tms", po);
}

process_result many(const std::string& build, std::map<std::string, std::optional<std::string>> env,
                    const std::string& filter) {
  process_options po;
  po.args = {"--gtest_filter=" + filter};
  po.env = std::move(env);
  po.cwd = build;
  po.timeout = 300s;
  return run_process(build + "/many_tests", po);
}

// The pid the collector prints first in its log.
long collector_pid(const std::string& spool) {
  std::ifstream in(spool + "/collector.log");
  std::string word;
  while (in >> word)
    if (word == "pid") {
      long pid = 0;
      in >> pid;
      return pid;
    }
  return 0;
}

// The collector killed in the middle (after it took results it never delivered): `run complete`
// sends them from the spool and completes the run once.
TEST(CtestEndToEnd, ACollectorKilledMidRunLosesNothingAndTheRunIsCompletedOnce) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  const std::string run_file = build + "/by_hand.env";
  const std::string spool = run_file + ".spool";
  auto env = emu.qase_env();
  const auto c =
      tool(build, env, {"run", "create", "--collect", "--run-file", run_file, "--tests-from", build + "/many_tests"});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const long pid = collector_pid(spool);
  ASSERT_GT(pid, 0) << c.err;
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGSTOP), 0);  // alive to the test processes, delivering nothing
  env["GTEST_TMS_RUN_FILE"] = run_file;
  const auto first = many(build, env, "Numbers/Many.Works/1*");  // 11 tests, handed to the collector
  EXPECT_NE(first.err.find("handed to the collector"), std::string::npos) << first.err;
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) std::this_thread::sleep_for(20ms);
  const std::size_t before = emu.tms().requests().size();
  const auto second = many(build, env, "Numbers/Many.Works/2*");  // no collector now: sent directly
  EXPECT_NE(second.err.find("Qase: 11 results sent"), std::string::npos) << second.err;
  // The run file says run create checked the run: the process sends its results and nothing else
  // (the first one may go alone, on the idle connection, before the rest).
  const auto after = emu.tms().requests();
  ASSERT_GT(after.size(), before) << request_list(emu);
  EXPECT_LE(after.size(), before + 2) << request_list(emu);
  for (std::size_t i = before; i < after.size(); ++i)
    EXPECT_NE(after[i].path.find("/results"), std::string::npos) << request_list(emu);
  EXPECT_EQ(emu.tms().qase_results(1).size(), 11u);

  const auto done = tool(build, emu.qase_env(), {"run", "complete", "--run-file", run_file});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].complete_count, 1) << done.err;
  const auto keys = qase_keys(emu, 1);
  EXPECT_EQ(keys.size(), 22u) << done.err;
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  EXPECT_FALSE(std::filesystem::exists(spool)) << done.err;
}

// CTest killed before its cleanup step: the collector notices its parent is gone, delivers what it
// has, leaves the run open and exits; an upload of the spool later sends nothing twice.
TEST(CtestEndToEnd, WhenCtestIsKilledTheCollectorDeliversLeavesTheRunOpenAndExits) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  const std::string run_file = build + "/orphan.env";
  const std::string spool = run_file + ".spool";
  auto env = emu.qase_env();
  env["GTEST_TMS_COLLECTOR_QUIET_MS"] = "1000";
  // A shell stands in for CTest: it starts the create step and is gone right after.
  process_options po;
  po.args = {"-c", std::string(GTEST_TMS_PACKAGE_PREFIX "/bin/gtest-tms") + " run create --collect --run-file " +
                       run_file + " --tests-from " + build + "/many_tests"};
  po.env = env;
  po.cwd = build;
  po.timeout = 300s;
  ASSERT_EQ(run_process("/bin/sh", po).exit_code, 0);
  env["GTEST_TMS_RUN_FILE"] = run_file;
  const auto r = many(build, env, "Numbers/Many.Works/3*");
  EXPECT_NE(r.err.find("handed to the collector"), std::string::npos) << r.err;
  const long pid = collector_pid(spool);
  ASSERT_GT(pid, 0);
  bool exited = false;
  for (int i = 0; i < 600 && !exited; ++i) {  // at most 60 s
    exited = ::kill(static_cast<pid_t>(pid), 0) != 0;
    if (!exited) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(exited);
  EXPECT_EQ(emu.tms().qase_results(1).size(), 11u);
  EXPECT_EQ(emu.tms().qase_runs().at(0).complete_count, 0);

  const auto up = tool(build, emu.qase_env(), {"upload", spool});
  EXPECT_EQ(up.exit_code, 0) << up.out << up.err;
  const auto keys = qase_keys(emu, 1);
  EXPECT_EQ(keys.size(), 11u);
  for (const auto& [key, n] : keys) EXPECT_EQ(n, 1) << key;
  std::size_t results_requests = 0;
  for (const auto& req : emu.tms().requests())
    results_requests += req.path.find("/results") != std::string::npos ? 1 : 0;
  EXPECT_EQ(results_requests, 1u) << up.out;  // the collector's batch; the upload sent nothing again
}

// A second ctest in the same build tree while the first one's collector runs: a clear error, and
// the first run's file and collector are left alone (never two CTest runs' results in one run).
TEST(CtestEndToEnd, ASecondCreateWhileACollectorRunsIsRefusedAndChangesNothing) {
  emulator_fixture emu;
  const std::string build = build_project(emu);
  const std::string run_file = build + "/twice.env";
  const auto first =
      tool(build, emu.qase_env(), {"run", "create", "--best-effort", "--collect", "--run-file", run_file});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::ifstream in(run_file);
  const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto second =
      tool(build, emu.qase_env(), {"run", "create", "--best-effort", "--collect", "--run-file", run_file});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another CTest run is reporting from this build tree"), std::string::npos) << second.err;
  std::ifstream again(run_file);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>()), before);
  EXPECT_EQ(emu.tms().qase_runs().size(), 1u);
  const auto done = tool(build, emu.qase_env(), {"run", "complete", "--run-file", run_file});
  EXPECT_EQ(done.exit_code, 0) << done.err;
  EXPECT_EQ(emu.tms().qase_runs().at(0).complete_count, 1);
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

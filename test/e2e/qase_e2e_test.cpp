// Real gtest binaries reporting to the emulator over TLS (issue 2's acceptance).

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <set>

#include "emulator_fixture.hpp"
#include "golden.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

// title + params identify one executed instance.
std::map<std::string, json::object> by_instance(const std::vector<json::object>& results) {
  std::map<std::string, json::object> out;
  for (const auto& r : results) {
    std::string key = str(r.at("title"));
    if (r.contains("params")) key += " " + json::serialize(r.at("params"));
    EXPECT_EQ(out.count(key), 0u) << "duplicate result " << key;
    out[key] = r;
  }
  return out;
}

TEST(QaseEndToEnd, AcceptanceBinaryGivesOneCompletedRunWithEveryExecutedInstance) {
  emulator_fixture emu;
  const process_result plain = run_fixture("fixture_acceptance", emulator_fixture::clean_env());
  const process_result r = run_fixture("fixture_acceptance", emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_EQ(r.exit_code, plain.exit_code) << r.err;  // the reporter never changes the exit code

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  EXPECT_EQ(runs[0].complete_count, 1);
  EXPECT_EQ(runs[0].request.at("is_autotest"), json::value(true));

  const auto results = by_instance(emu.tms().qase_results(runs[0].id));
  const std::map<std::string, std::string> expected{
      {"Passes", "passed"},
      {"ExpectFails", "failed"},
      {"AssertFails", "failed"},
      {"Skipped", "skipped"},
      {"Throws", "invalid"},
      {"LinkedToQase", "passed"},
      {"LinkedToTwoCases", "passed"},
      {"IsSmall/0 {\"param\":\"1\"}", "passed"},
      {"IsSmall/1 {\"param\":\"2\"}", "passed"},
      {"IsSmall/2 {\"param\":\"3\"}", "failed"},
      {"DefaultIsZero {\"type\":\"int\"}", "passed"},
      {"DefaultIsZero {\"type\":\"double\"}", "passed"},
      {"ExitsWithCode", "passed"},
      {"Dies", "passed"},
      {"DISABLED_NeverRuns", "skipped"},  // reported, never run
  };
  ASSERT_EQ(results.size(), expected.size()) << r.err;
  for (const auto& [key, status] : expected) {
    ASSERT_TRUE(results.count(key)) << "missing " << key;
    const auto& res = results.at(key);
    EXPECT_EQ(str(res.at("execution").at("status")), status) << key;
    const auto& exe = res.at("execution").as_object();
    EXPECT_TRUE(exe.at("duration").is_int64() || exe.at("duration").is_uint64()) << key;
    EXPECT_TRUE(exe.at("start_time").is_double() || exe.at("start_time").is_int64()) << key;
  }
  EXPECT_EQ(json::serialize(results.at("LinkedToQase").at("testops_ids")), "[7]");
  EXPECT_EQ(json::serialize(results.at("LinkedToTwoCases").at("testops_ids")), "[8,9]");
  EXPECT_FALSE(results.at("Passes").contains("testops_ids") && !results.at("Passes").at("testops_ids").is_null());
  const std::string fail_text =
      str(results.at("ExpectFails").at("message")) + str(results.at("ExpectFails").at("execution").at("stacktrace"));
  EXPECT_NE(fail_text.find("arithmetic is broken"), std::string::npos) << fail_text;
  EXPECT_NE(fail_text.find("fixture_acceptance.cpp:"), std::string::npos) << fail_text;
  EXPECT_NE(str(results.at("Throws").at("message")).find("boom from the test body"), std::string::npos);
  EXPECT_NE(str(results.at("Skipped").at("message")).find("not on this platform"), std::string::npos);

  EXPECT_NE(r.err.find("gtest-tms: Qase: 15 results sent (3 failed, 1 invalid)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/run/DEMO/dashboard/" + std::to_string(runs[0].id)), std::string::npos) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "qase_acceptance.json"));
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(QaseEndToEnd, ListTestsIsInertEvenWhenReportingIsConfigured) {
  emulator_fixture emu;
  const process_result plain = run_fixture("fixture_acceptance", emulator_fixture::clean_env(), {"--gtest_list_tests"});
  const process_result r = run_fixture("fixture_acceptance", emu.qase_env(), {"--gtest_list_tests"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, plain.out);
  EXPECT_EQ(r.err, plain.err);
  EXPECT_TRUE(emu.tms().requests().empty());
}

TEST(QaseEndToEnd, WithoutConfigurationTheReporterIsSilent) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_acceptance", emulator_fixture::clean_env());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find("gtest-tms"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("gtest-tms"), std::string::npos);
  EXPECT_TRUE(emu.tms().requests().empty());
}

TEST(QaseEndToEnd, AWrongTokenIsOneClearLineAndTheExitCodeIsKept) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_API_TOKEN"] = "not-the-right-token";
  const process_result r = run_fixture("fixture_acceptance", env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("QASE_TESTOPS_API_TOKEN"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("not-the-right-token"), std::string::npos);
  EXPECT_TRUE(emu.tms().qase_runs().empty());
}

TEST(QaseEndToEnd, BadConfigurationIsOneLineNamingTheVariable) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_BATCH_SIZE"] = "lots";
  const process_result r = run_fixture("fixture_acceptance", env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("QASE_TESTOPS_BATCH_SIZE"), std::string::npos) << r.err;
  // the test output itself is untouched: every test still ran
  EXPECT_NE(r.out.find("[  PASSED  ]"), std::string::npos);
}

TEST(QaseEndToEnd, HttpUrlsAreRefusedWithAClearLine) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_API_HOST"] = "http://127.0.0.1:1";
  const process_result r = run_fixture("fixture_acceptance", env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("https"), std::string::npos) << r.err;
}

TEST(QaseEndToEnd, JoiningARunNeverCreatesOrCompletesIt) {
  emulator_fixture emu;
  // A first process creates a run and leaves it open; the second joins it.
  auto env = emu.qase_env();
  env["QASE_TESTOPS_RUN_COMPLETE"] = "false";
  run_fixture("fixture_acceptance", env, {"--gtest_filter=Basics.Passes"});
  auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].complete_count, 0);
  env = emu.qase_env();
  env["QASE_TESTOPS_RUN_ID"] = std::to_string(runs[0].id);
  const process_result r = run_fixture("fixture_acceptance", env, {"--gtest_filter=Basics.Skipped"});
  runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].complete_count, 0) << r.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 2u);
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

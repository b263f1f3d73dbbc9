// Real gtest binaries reporting to the emulator's QA Sphere API over TLS (issue 3's acceptance).

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "emulator_fixture.hpp"
#include "golden.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using env_map = std::map<std::string, std::optional<std::string>>;

// BD-001..BD-004 and the unmarked tests, without BD-005 (parameterized) and BD-006 (throws).
constexpr const char* acceptance_filter = "--gtest_filter=Login.*:Cart.*:Misc.*";

process_result run_fixture(const std::string& name, env_map env, std::vector<std::string> args = {}) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 180s;
  return run_process(fixture_path(name), po);
}

/// The exit code of the binary without any reporter configuration.
int plain_exit_code(const std::string& name, const std::vector<std::string>& args = {}) {
  static std::map<std::string, int> cache;
  std::string key = name;
  for (const auto& a : args) key += " " + a;
  if (!cache.count(key)) cache[key] = run_fixture(name, emulator_fixture::clean_env(), args).exit_code;
  return cache.at(key);
}

env_map qas_env(const emulator_fixture& emu) {
  auto env = emu.qasphere_env();
  env["QAS_RUN_NAME"] = "gtest-tms e2e";  // a fixed title keeps the golden logs stable
  return env;
}

// Qase and QA Sphere reporting from one binary.
env_map both_env(const emulator_fixture& emu) {
  auto env = emu.qase_env();
  for (const auto& [k, v] : qas_env(emu)) {
    if (v) env[k] = v;
  }
  return env;
}

std::map<std::string, emulator::qasphere_result_view> by_tcase(const std::vector<emulator::qasphere_result_view>& rs) {
  std::map<std::string, emulator::qasphere_result_view> out;
  for (const auto& r : rs) {
    EXPECT_EQ(out.count(r.tcase_id), 0u) << "more than one result for " << r.tcase_id;
    out[r.tcase_id] = r;
  }
  return out;
}

/// stderr lines that contain `text`.
std::vector<std::string> lines_with(const std::string& err, const std::string& text) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin < err.size()) {
    std::size_t end = err.find('\n', begin);
    if (end == std::string::npos) end = err.size();
    std::string line = err.substr(begin, end - begin);
    if (line.find(text) != std::string::npos) out.push_back(line);
    begin = end + 1;
  }
  return out;
}

TEST(QasphereEndToEnd, MarkedTestsGiveOneClosedRunWithOneResultEachUsingApiKey) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_qasphere", qas_env(emu), {acceptance_filter});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(plain_exit_code("fixture_qasphere", {acceptance_filter}), 1);
  EXPECT_EQ(r.exit_code, plain_exit_code("fixture_qasphere", {acceptance_filter})) << r.err;

  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs[0].project, "BD");
  EXPECT_EQ(runs[0].title, "gtest-tms e2e");
  EXPECT_EQ(runs[0].tcase_ids, (std::vector<std::string>{"tc0001", "tc0002", "tc0003", "tc0004"}));
  EXPECT_TRUE(runs[0].closed);
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);

  const auto results = by_tcase(emu.tms().qasphere_results(runs[0].id));
  ASSERT_EQ(results.size(), 4u) << r.err;
  const std::map<std::string, std::string> expected{
      {"tc0001", "passed"}, {"tc0002", "passed"}, {"tc0003", "failed"}, {"tc0004", "skipped"}};
  for (const auto& [tcase, status] : expected) {
    ASSERT_TRUE(results.count(tcase)) << "missing " << tcase;
    EXPECT_EQ(results.at(tcase).status, status) << tcase;
    ASSERT_TRUE(results.at(tcase).time_taken.has_value()) << tcase;
    EXPECT_GE(*results.at(tcase).time_taken, 0) << tcase;
  }
  // test_bd002_logout sleeps 60 ms: milliseconds, neither seconds nor microseconds.
  EXPECT_GE(*results.at("tc0002").time_taken, 60);
  EXPECT_LT(*results.at("tc0002").time_taken, 30000);

  const std::string& fail = results.at("tc0003").comment;
  EXPECT_NE(fail.find("cart shows &lt;b&gt;&amp; wrong count"), std::string::npos) << fail;
  EXPECT_EQ(fail.find("<b>&"), std::string::npos) << fail;
  EXPECT_NE(fail.find("fixture_qasphere.cpp:"), std::string::npos) << fail;
  EXPECT_NE(results.at("tc0004").comment.find("payment sandbox is down"), std::string::npos);

  // Authorization: ApiKey by default, on every request.
  const auto schemes = emu.tms().qasphere_auth_schemes();
  ASSERT_FALSE(schemes.empty());
  for (const auto& s : schemes) EXPECT_EQ(s, "ApiKey");

  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 4 results sent (1 failed)").size(), 1u) << r.err;
  EXPECT_NE(r.err.find("/project/BD/run/" + std::to_string(runs[0].id)), std::string::npos) << r.err;
  // The failed test's case page, and only that one.
  const auto failed = lines_with(r.err, "gtest-tms: QA Sphere: failed ");
  ASSERT_EQ(failed.size(), 1u) << r.err;
  EXPECT_NE(failed[0].find(": " + emu.url() + "/project/BD/tcase/3"), std::string::npos) << failed[0];
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "qasphere_acceptance.json"));
}

TEST(QasphereEndToEnd, ParameterizedInstancesFoldIntoOneResultAndAnExceptionIsBlocked) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_qasphere", qas_env(emu));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, plain_exit_code("fixture_qasphere")) << r.err;

  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs[0].tcase_ids.size(), 6u);
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);
  const auto results = by_tcase(emu.tms().qasphere_results(runs[0].id));
  ASSERT_EQ(results.size(), 6u) << r.err;

  const auto& rounds = results.at("tc0005");
  EXPECT_EQ(rounds.status, "failed");  // the worst of passed, passed, failed
  EXPECT_NE(rounds.comment.find("3 instances"), std::string::npos) << rounds.comment;
  for (const char* instance :
       {"Values/Rounds.TestBd005Rounds/0", "Values/Rounds.TestBd005Rounds/1", "Values/Rounds.TestBd005Rounds/2"})
    EXPECT_NE(rounds.comment.find(instance), std::string::npos) << instance << "\n" << rounds.comment;
  EXPECT_NE(rounds.comment.find("round 3 too large"), std::string::npos) << rounds.comment;

  const auto& throws = results.at("tc0006");
  EXPECT_EQ(throws.status, "blocked");
  EXPECT_NE(throws.comment.find("boom from BD-006"), std::string::npos) << throws.comment;

  // The summary counts gtest instances (8), which QA Sphere received as 6 results.
  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 8 results sent (2 failed, 1 blocked)").size(), 1u) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "qasphere_full.json"));
}

TEST(QasphereEndToEnd, BearerSchemeWhenConfigured) {
  emulator_fixture emu;
  auto env = qas_env(emu);
  env["QAS_AUTH_SCHEME"] = "Bearer";
  const process_result r = run_fixture("fixture_qasphere", env, {acceptance_filter});
  EXPECT_EQ(r.exit_code, 1);
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), 4u);
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);
  const auto schemes = emu.tms().qasphere_auth_schemes();
  ASSERT_FALSE(schemes.empty());
  for (const auto& s : schemes) EXPECT_EQ(s, "Bearer");
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// --- authentication and project errors: one line each, the exit code unchanged, no run -------------

struct auth_case {
  const char* name;
  std::optional<emulator::key_state> key_state;  // the emulator's state of the configured key
  env_map env;                                   // on top of qas_env()
  const char* line;                              // the one stderr line's distinctive text
  bool reaches_server;                           // false: rejected by the configuration
  bool without_project_bd = false;               // the emulator knows only project QA
};

void expect_one_line_error(const auth_case& c) {
  emulator::emulator_options o = emulator_fixture::default_options();
  if (c.key_state) o.qasphere_keys = {{qas_test_key, *c.key_state}};
  if (c.without_project_bd) o.qasphere_projects = {emulator::default_qasphere_project("QA")};
  emulator_fixture emu(o);
  auto env = qas_env(emu);
  for (const auto& [k, v] : c.env) env[k] = v;
  const process_result r = run_fixture("fixture_qasphere", env, {acceptance_filter});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, plain_exit_code("fixture_qasphere", {acceptance_filter})) << r.err;
  const auto lines = lines_with(r.err, c.line);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].rfind("gtest-tms: ", 0), 0u) << lines[0];
  EXPECT_TRUE(emu.tms().qasphere_runs().empty());
  std::size_t requests = 0;
  for (const auto& q : emu.tms().requests()) requests += q.system == "qasphere";
  if (c.reaches_server) {
    EXPECT_GE(requests, 1u);
  } else {
    EXPECT_EQ(requests, 0u);
  }
  // every test still ran and printed as usual
  EXPECT_NE(r.out.find("[  FAILED  ] Cart.TestBd003AddsItems"), std::string::npos);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(QasphereEndToEnd, UnknownKeyIsInvalidCredentials) {
  expect_one_line_error({"unknown key",
                         std::nullopt,
                         {{"QAS_TOKEN", "tenant1.key9.qas-e2e-secret-77d1"}},
                         "QA Sphere rejected QAS_TOKEN: Invalid credentials",
                         true});
}

TEST(QasphereEndToEnd, SuspendedTenant) {
  expect_one_line_error({"suspended", emulator::key_state::suspended, {}, "QA Sphere tenant suspended", true});
}

TEST(QasphereEndToEnd, KeyOfAnotherDomain) {
  expect_one_line_error({"wrong domain",
                         emulator::key_state::wrong_domain,
                         {},
                         "QAS_TOKEN belongs to another QA Sphere domain than QAS_URL",
                         true});
}

TEST(QasphereEndToEnd, UnknownProjectIs404) {
  expect_one_line_error({"unknown project", std::nullopt, {}, "QA Sphere project 'BD' not found", true, true});
}

TEST(QasphereEndToEnd, AProjectCodeWithoutMarkersNamesTheMarkersFound) {
  // QAS_PROJECT_CODE=ZZ while the tests carry BD markers: nothing is for ZZ, and the line says why.
  expect_one_line_error({"other code",
                         std::nullopt,
                         {{"QAS_PROJECT_CODE", "ZZ"}},
                         "no QA Sphere markers of project ZZ in the 6 tests of this run (e.g. TEST(Suite, "
                         "TestZz001Login)), but 4 tests with markers of another project (e.g. BD-001); QA Sphere "
                         "reporting is off",
                         false});
}

TEST(QasphereEndToEnd, MalformedKeyIsRejectedLocally) {
  expect_one_line_error({"malformed",
                         std::nullopt,
                         {{"QAS_TOKEN", "abc"}},
                         "is not an API key of the form tenantId.keyId.keyToken",
                         false});
}

TEST(QasphereEndToEnd, MissingKeyIsOneLine) {
  expect_one_line_error({"missing",
                         std::nullopt,
                         {{"QAS_TOKEN", std::nullopt}},
                         "QAS_URL is set in the environment but QAS_TOKEN is not",
                         false});
}

TEST(QasphereEndToEnd, TheServerTellsAMissingOrMalformedKeyApart) {
  // The reporter never sends these (the configuration stops them), so the server's answers are
  // checked here directly: the three 401 texts the backend's messages are written against.
  emulator_fixture emu;
  auto reply_to = [&](const std::string& auth) {
    server_request q;
    q.method = "GET";
    q.target = "/api/public/v0/project/BD";
    if (!auth.empty()) q.headers.push_back({"Authorization", auth});
    return emu.tms().handle(q);
  };
  const auto missing = reply_to("");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find("Missing API key"), std::string::npos) << missing.body;
  const auto bad = reply_to("ApiKey abc");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("Invalid API key format"), std::string::npos) << bad.body;
  const auto unknown = reply_to("ApiKey a.b.c");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(unknown.body.find("Invalid credentials"), std::string::npos) << unknown.body;
}

// --- other paths ----------------------------------------------------------------------------------

TEST(QasphereEndToEnd, NoMarkersIsOneLineAndNoRun) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_acceptance", qas_env(emu));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, plain_exit_code("fixture_acceptance")) << r.err;
  const auto lines = lines_with(r.err, "no QA Sphere markers");
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines_with(r.err, "QA Sphere").size(), 1u) << r.err;
  EXPECT_TRUE(emu.tms().qasphere_runs().empty());
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(QasphereEndToEnd, JoiningARunViaRunIdNeverClosesIt) {
  emulator_fixture emu;
  auto env = qas_env(emu);
  env["QAS_CLOSE_RUN"] = "false";
  const process_result first = run_fixture("fixture_qasphere", env, {"--gtest_filter=Login.*:Cart.*"});
  auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << first.err;
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 0);
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), 4u);

  env = qas_env(emu);
  env["QAS_RUN_ID"] = std::to_string(runs[0].id);
  const process_result r = run_fixture("fixture_qasphere", env, {"--gtest_filter=Login.*"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].closed);
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 0) << r.err;
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), 6u);
  EXPECT_EQ(lines_with(r.err, "left open: this process did not create it").size(), 1u) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(QasphereEndToEnd, QaseAndQasphereFromOneBinary) {
  emulator_fixture emu;
  auto env = both_env(emu);
  const process_result r = run_fixture("fixture_qasphere", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, plain_exit_code("fixture_qasphere")) << r.err;

  const auto qase_runs = emu.tms().qase_runs();
  ASSERT_EQ(qase_runs.size(), 1u) << r.err;
  EXPECT_EQ(qase_runs[0].complete_count, 1);
  // Qase gets every executed instance: 4 marked + 2 unmarked + 3 rounds + 1 throwing.
  EXPECT_EQ(emu.tms().qase_results(qase_runs[0].id).size(), 10u) << r.err;

  const auto qas_runs = emu.tms().qasphere_runs();
  ASSERT_EQ(qas_runs.size(), 1u) << r.err;
  EXPECT_EQ(emu.tms().qasphere_close_count(qas_runs[0].id), 1);
  EXPECT_EQ(emu.tms().qasphere_results(qas_runs[0].id).size(), 6u) << r.err;
  EXPECT_EQ(lines_with(r.err, "gtest-tms: Qase: 10 results sent").size(), 1u) << r.err;
  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 8 results sent").size(), 1u) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// Reporting to both systems, each QA Sphere result links the Qase run of the same process (issue 12,
// item 5). QA Sphere's run creation is held back 300 ms so that Qase's run exists when its results
// are made (a result made before it is known goes without the link).
TEST(QasphereEndToEnd, WithBothSystemsEachQaSphereResultLinksTheQaseRun) {
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST /api/public/v0/project/BD/run=latency:300");
  emulator_fixture emu(o);
  auto env = both_env(emu);
  const process_result r = run_fixture("fixture_qasphere", env, {acceptance_filter});
  ASSERT_FALSE(r.timed_out) << r.err;
  const auto qase_runs = emu.tms().qase_runs();
  const auto qas_runs = emu.tms().qasphere_runs();
  ASSERT_EQ(qase_runs.size(), 1u) << r.err;
  ASSERT_EQ(qas_runs.size(), 1u) << r.err;
  const std::string qase_run = emu.url() + "/run/DEMO/dashboard/" + std::to_string(qase_runs[0].id);
  EXPECT_NE(r.err.find(qase_run), std::string::npos) << r.err;  // the link the Qase summary prints
  const auto results = emu.tms().qasphere_results(qas_runs[0].id);
  ASSERT_EQ(results.size(), 4u) << r.err;
  for (const auto& res : results) {
    EXPECT_EQ(res.links, (std::vector<std::pair<std::string, std::string>>{{"Qase run", qase_run}})) << res.tcase_id;
  }
}

TEST(QasphereEndToEnd, A429OnTheResultBatchIsRetriedAndDeliveredOnce) {
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST .*/result/batch#1=429:retry-after=1");
  emulator_fixture emu(o);
  const process_result r = run_fixture("fixture_qasphere", qas_env(emu), {acceptance_filter});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  const auto results = by_tcase(emu.tms().qasphere_results(runs[0].id));
  EXPECT_EQ(results.size(), 4u) << r.err;
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), 4u) << r.err;
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);
  std::size_t injected = 0;
  std::size_t batches_ok = 0;
  for (const auto& q : emu.tms().requests()) {
    if (q.path.find("/result/batch") == std::string::npos) continue;
    if (q.injected && q.status == 429) ++injected;
    if (q.status == 200) ++batches_ok;
  }
  EXPECT_EQ(injected, 1u);
  EXPECT_GE(batches_ok, 1u);
  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 4 results sent").size(), 1u) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// Failures no test case carries (TearDownTestSuite, a global Environment's TearDown) go to the run log,
// one request each, before the run is closed; every result links the CI job (issue 12, item 5).
TEST(QasphereEndToEnd, FailuresOutsideTestsGoToTheRunLogAndResultsLinkTheCiJob) {
  emulator_fixture emu;
  auto env = qas_env(emu);
  env["FIXTURE_ENVIRONMENT"] = "teardown_fail";
  env["GITHUB_SERVER_URL"] = "https://github.example";
  env["GITHUB_REPOSITORY"] = "acme/app";
  env["GITHUB_RUN_ID"] = "4242";
  const process_result r = run_fixture("fixture_setup_failures", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // as without the reporter: SetUpTestSuite and two teardowns fail

  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  const auto results = by_tcase(emu.tms().qasphere_results(runs[0].id));
  const std::map<std::string, std::string> expected{
      {"tc0001", "blocked"}, {"tc0002", "blocked"}, {"tc0003", "passed"}, {"tc0004", "passed"}};
  ASSERT_EQ(results.size(), expected.size()) << r.err;
  const std::vector<std::pair<std::string, std::string>> ci_link{
      {"CI job", "https://github.example/acme/app/actions/runs/4242"}};
  for (const auto& [tcase, status] : expected) {
    ASSERT_TRUE(results.count(tcase)) << "missing " << tcase;
    EXPECT_EQ(results.at(tcase).status, status) << tcase;
    EXPECT_EQ(results.at(tcase).links, ci_link) << tcase;
  }
  EXPECT_NE(results.at("tc0001").comment.find("SetUpTestSuite failed: "), std::string::npos);

  ASSERT_EQ(runs[0].logs.size(), 2u) << r.err;
  std::string logs;
  for (const auto& l : runs[0].logs) logs += l + "\n";
  for (const char* text : {"Failed: BrokenTearDown.TearDownTestSuite", "fixture server did not stop",
                           "Failed: GlobalEnvironment.TearDown", "temporary files were left behind"})
    EXPECT_NE(logs.find(text), std::string::npos) << text << " in " << logs;
  std::size_t log_requests = 0;
  std::uint64_t close_seq = 0, last_log_seq = 0;
  for (const auto& q : emu.tms().requests()) {
    if (q.path.ends_with("/log")) {
      ++log_requests;
      last_log_seq = q.seq;
    }
    if (q.path.ends_with("/close")) close_seq = q.seq;
  }
  EXPECT_EQ(log_requests, 2u);
  EXPECT_GT(close_seq, last_log_seq);  // closed once everything, the log included, arrived
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);
  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 6 results sent").size(), 1u) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "qasphere_run_log.json"));
}

TEST(QasphereEndToEnd, ARunLogEntryRefusedWithA503IsRetriedAndStoredOnce) {
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST .*/run/[0-9]+/log#1=503");
  emulator_fixture emu(o);
  auto env = qas_env(emu);
  env["FIXTURE_ENVIRONMENT"] = "teardown_fail";
  const process_result r = run_fixture("fixture_setup_failures", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs[0].logs.size(), 2u) << r.err;
  std::size_t injected = 0, log_requests = 0;
  for (const auto& q : emu.tms().requests()) {
    if (!q.path.ends_with("/log")) continue;
    ++log_requests;
    injected += q.injected ? 1 : 0;
  }
  EXPECT_EQ(injected, 1u);
  EXPECT_EQ(log_requests, 3u);
  for (const auto& res : emu.tms().qasphere_results(runs[0].id)) EXPECT_TRUE(res.links.empty()) << res.tcase_id;
  EXPECT_EQ(emu.tms().qasphere_close_count(runs[0].id), 1);
  EXPECT_EQ(lines_with(r.err, "gtest-tms: QA Sphere: 6 results sent").size(), 1u) << r.err;
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

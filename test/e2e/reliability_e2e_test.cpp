// "Nothing lost, nothing duplicated, nothing hidden": deep steps that go through a fallback report,
// QA Sphere-only runs and their fallback settings, run creation whose answer is lost, and QA Sphere
// results whose fate is unknown. Each scenario ends with every finished result stored once.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "emulator_fixture.hpp"
#include "platform/file_lock.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using env_map = std::map<std::string, std::optional<std::string>>;

process_result run_fixture(const std::string& name, env_map env, std::vector<std::string> args = {}) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 180s;
  return run_process(fixture_path(name), po);
}

process_result run_cli(env_map env, std::vector<std::string> args) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 180s;
  return run_process(GTEST_TMS_CLI, po);
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string(); }

std::size_t step_depth(const json::value* steps) {
  std::size_t depth = 0;
  while (steps != nullptr && steps->is_array() && !steps->as_array().empty()) {
    ++depth;
    steps = steps->as_array().front().as_object().if_contains("steps");
  }
  return depth;
}

// Uses up the rest of an injected fault's occurrences (counted per rule) by replaying a request the
// binary made, so that the next step meets a healthy server and the log stays valid for the spec.
void burn(emulator_fixture& emu, const std::string& suffix, std::size_t until) {
  const auto log = emu.tms().requests();
  const emulator::recorded_request* model = nullptr;
  std::size_t seen = 0;
  for (const auto& q : log) {
    if (q.method != "POST" || q.path.size() < suffix.size() ||
        q.path.compare(q.path.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    ++seen;
    if (model == nullptr) model = &q;
  }
  ASSERT_NE(model, nullptr) << "no " << suffix << " request to replay";
  for (; seen < until; ++seen) {
    server_request q;
    q.method = model->method;
    q.target = model->path;
    q.body = json::serialize(model->body);
    ASSERT_EQ(emu.tms().handle(q).status, 500) << seen;
  }
}

std::size_t count_posts(const std::vector<emulator::recorded_request>& log, const std::string& suffix) {
  std::size_t n = 0;
  for (const auto& q : log)
    n += q.method == "POST" && q.path.size() >= suffix.size() &&
                 q.path.compare(q.path.size() - suffix.size(), suffix.size(), suffix) == 0
             ? 1
             : 0;
  return n;
}

// Item 3: a result with 16 nested steps lands in the fallback report, and `upload` stores it with
// every level and completes the run the binary created.
TEST(ReliabilityEndToEnd, SixteenNestedStepsGoThroughTheFallbackReportAndUpload) {
  constexpr std::size_t failing = 40;
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1.." + std::to_string(failing) + "=500"));
  auto env = emu.qase_env();
  env["QASE_FALLBACK"] = "report";
  env["GTEST_TMS_DEADLINE"] = "10";
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture("fixture_deep_steps", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed) << r.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 0u);
  const std::size_t posts = count_posts(emu.tms().requests(), "/results");
  ASSERT_LT(posts, failing) << "the binary kept retrying: raise `failing`";
  burn(emu, "/results", failing);

  const process_result u = run_cli(emu.qase_env(), {"upload", report_dir});
  ASSERT_FALSE(u.timed_out) << u.out << u.err;
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  EXPECT_EQ(u.out.find("lost"), std::string::npos) << u.out;
  EXPECT_EQ(u.out.find("skipped"), std::string::npos) << u.out;
  EXPECT_NE(u.out.find("completed"), std::string::npos) << u.out;

  const auto after = emu.tms().qase_runs();
  ASSERT_EQ(after.size(), 1u) << u.out;
  EXPECT_TRUE(after[0].completed) << u.out;
  EXPECT_EQ(after[0].complete_count, 1);
  std::map<std::string, json::object> stored;
  for (const auto& res : emu.tms().qase_results(after[0].id)) {
    EXPECT_EQ(stored.count(str(res.at("title"))), 0u) << "stored twice: " << str(res.at("title"));
    stored[str(res.at("title"))] = res;
  }
  ASSERT_EQ(stored.size(), 2u) << u.out;
  ASSERT_EQ(stored.count("TestBd001SixteenNestedSteps"), 1u);
  EXPECT_EQ(step_depth(stored["TestBd001SixteenNestedSteps"].if_contains("steps")), 16u);
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// Item 4: with only QAS_* set, QASE_FALLBACK=report and QASE_REPORT_CONNECTION_PATH decide where
// QA Sphere's unconfirmed results and the journal go, and the line names that place.
TEST(ReliabilityEndToEnd, QasphereOnlyRunsHonourTheFallbackSettings) {
  constexpr std::size_t failing = 40;
  const std::string batch = "/api/public/v0/project/BD/run/[0-9]+/result/batch";
  emulator_fixture emu(emulator_fixture::with_faults("POST " + batch + "#1.." + std::to_string(failing) + "=500"));
  const std::string cwd = emu.dir() + "/cwd";
  const std::string report_dir = emu.dir() + "/rep";
  std::filesystem::create_directories(cwd);
  auto env = emu.qasphere_env();
  env["QAS_RUN_NAME"] = "gtest-tms e2e";
  env["GTEST_TMS_JOURNAL_DIR"] = std::nullopt;  // the default: next to the report
  env["QASE_FALLBACK"] = "report";
  env["QASE_REPORT_CONNECTION_PATH"] = report_dir;
  env["GTEST_TMS_DEADLINE"] = "10";
  process_options po;
  po.env = env;
  po.args = {"--gtest_filter=Login.*:Cart.*"};  // BD-001..BD-004
  po.cwd = cwd;
  po.timeout = 180s;
  const process_result r = run_process(fixture_path("fixture_qasphere"), po);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // BD-003 fails on purpose
  EXPECT_EQ(r.err.find("set QASE_FALLBACK"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("QA Sphere: 4 results not confirmed by the server; written to " + report_dir +
                       "/qasphere (send them with: gtest-tms upload " + report_dir + "/qasphere)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(cwd + "/build")) << "the default report folder was used";
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].closed);
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), 0u);
  const std::size_t posts = count_posts(emu.tms().requests(), "/result/batch");
  ASSERT_LT(posts, failing) << "the binary kept retrying: raise `failing`";
  burn(emu, "/result/batch", failing);

  auto upload_env = emu.qasphere_env();
  upload_env["GTEST_TMS_JOURNAL_DIR"] = std::nullopt;
  const process_result u = run_cli(upload_env, {"upload", report_dir});
  ASSERT_FALSE(u.timed_out) << u.out << u.err;
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  std::set<std::string> tcases;
  const auto stored = emu.tms().qasphere_results(runs[0].id);
  for (const auto& res : stored) tcases.insert(res.tcase_id);
  EXPECT_EQ(stored.size(), 4u) << u.out << u.err;
  EXPECT_EQ(tcases.size(), 4u);
  const auto after = emu.tms().qasphere_runs();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].closed) << u.out;
  EXPECT_EQ(after[0].close_count, 1);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// Item 8: fixture_confirm has 49 tests (4 with QA Sphere markers); every scenario below ends with
// one run holding each of them once, completed once, and nothing said about a failed creation.
constexpr std::size_t confirm_tests = 49;
constexpr std::size_t confirm_marked = 4;

// One Qase run, completed once, holding each of fixture_confirm's tests once.
void expect_one_completed_run_with_each_test_once(emulator_fixture& emu, const std::string& context) {
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << "a second run was created beside the first:\n" << context;
  EXPECT_TRUE(runs[0].completed) << context;
  EXPECT_EQ(runs[0].complete_count, 1);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), confirm_tests) << context;
  EXPECT_EQ(qase_keys(emu, runs[0].id).size(), confirm_tests);
}

std::size_t run_list_requests(emulator_fixture& emu, const std::string& path) {
  std::size_t n = 0;
  for (const auto& q : emu.tms().requests()) n += q.method == "GET" && q.path == path ? 1 : 0;
  return n;
}

// The run is created but the answer is lost on the way back: the binary finds the run by the
// marker it wrote into the description, and reports into it instead of giving up on Qase.
TEST(ReliabilityEndToEnd, ALostRunCreationAnswerIsFoundByItsMarkerAndUsed) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v1/run/DEMO#1=reset_after_read"));
  const process_result r = run_fixture("fixture_confirm", emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the fixture's own failures
  EXPECT_EQ(r.err.find("could not create"), std::string::npos) << r.err;
  expect_one_completed_run_with_each_test_once(emu, r.err);
  EXPECT_EQ(run_list_requests(emu, "/v1/run/DEMO"), 1u);
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// The answer never comes and the binary's deadline passes: the run exists, its id is known to
// nobody. `upload` of the journal looks for the marker the journal recorded before the request.
TEST(ReliabilityEndToEnd, UploadFindsTheRunWhoseCreationAnswerTheBinaryNeverGot) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v1/run/DEMO#1=hang"));
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "3";
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture("fixture_confirm", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed) << r.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 0u);

  const process_result u = run_cli(emu.qase_env(), {"upload", journal_dir});
  ASSERT_FALSE(u.timed_out) << u.out << u.err;
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  expect_one_completed_run_with_each_test_once(emu, u.out + u.err);
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// `gtest-tms run create` (the CI step before the shards) meets the same lost answer: it reports the
// run it finds by its marker, and no second run appears.
TEST(ReliabilityEndToEnd, RunCreateFindsTheRunWhoseCreationAnswerWasLost) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v1/run/DEMO#1=reset_after_read"));
  const process_result c = run_cli(emu.qase_env(), {"run", "create", "--env-file", emu.dir() + "/run.env"});
  ASSERT_FALSE(c.timed_out) << c.err;
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << c.out << c.err;
  EXPECT_NE(c.out.find("QASE_TESTOPS_RUN_ID=" + std::to_string(runs[0].id)), std::string::npos) << c.out;
  EXPECT_FALSE(runs[0].completed);  // completed by the step after the tests, not by this one
  EXPECT_TRUE(no_secret_in(c, emu.dir()));
}

// The request never reached the server (the connection closed as its head arrived): the lookup
// finds no run, so the creation is sent again, once, and the suite reports as if nothing happened.
TEST(ReliabilityEndToEnd, ARunCreationTheServerNeverSawIsSentAgainOnce) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v1/run/DEMO#1=reset_before_read"));
  const process_result r = run_fixture("fixture_confirm", emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("could not create"), std::string::npos) << r.err;
  expect_one_completed_run_with_each_test_once(emu, r.err);
  EXPECT_EQ(count_posts(emu.tms().requests(), "/v1/run/DEMO"), 2u);  // the unprocessed one, then once more
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ReliabilityEndToEnd, QasphereALostRunCreationAnswerIsFoundByItsMarkerAndUsed) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /api/public/v0/project/BD/run#1=reset_after_read"));
  const process_result r = run_fixture("fixture_confirm", emu.qasphere_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("could not create"), std::string::npos) << r.err;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].closed) << r.err;
  EXPECT_EQ(runs[0].close_count, 1);
  std::set<std::string> tcases;
  const auto stored = emu.tms().qasphere_results(runs[0].id);
  for (const auto& res : stored) tcases.insert(res.tcase_id);
  EXPECT_EQ(stored.size(), confirm_marked) << r.err;
  EXPECT_EQ(tcases.size(), confirm_marked);
  EXPECT_EQ(run_list_requests(emu, "/api/public/v0/project/BD/run"), 1u);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// Item 2: a QA Sphere batch is stored but its answer never comes (the binary's deadline passes
// with it in flight, as a crash would leave it). The journal says it was in flight; `upload` asks
// the run, finds each case already has its result, and sends nothing twice.
TEST(ReliabilityEndToEnd, QasphereResultsWhoseAnswerWasLostAreNotSentTwiceByUpload) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /api/public/v0/project/BD/run/[0-9]+/result/batch#1=hang"));
  auto env = emu.qasphere_env();
  env["GTEST_TMS_DEADLINE"] = "3";
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture("fixture_confirm", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].closed) << r.err;
  ASSERT_EQ(emu.tms().qasphere_results(runs[0].id).size(), confirm_marked) << "the hung batch was not stored";

  const process_result u = run_cli(emu.qasphere_env(), {"upload", journal_dir});
  ASSERT_FALSE(u.timed_out) << u.out << u.err;
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  EXPECT_NE(u.out.find("4 of them found already stored"), std::string::npos) << u.out;
  std::set<std::string> tcases;
  const auto stored = emu.tms().qasphere_results(runs[0].id);
  for (const auto& res : stored) tcases.insert(res.tcase_id);
  EXPECT_EQ(stored.size(), confirm_marked) << "results stored twice:\n" << u.out << u.err;
  EXPECT_EQ(tcases.size(), confirm_marked);
  runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].closed) << u.out;
  EXPECT_EQ(runs[0].close_count, 1);
  // A second upload has nothing left: the first acknowledged them in the journal.
  const process_result again = run_cli(emu.qasphere_env(), {"upload", journal_dir});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), confirm_marked) << again.out;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// The same through the fallback report (QASE_FALLBACK=report): the report marks the results whose
// request went unanswered, and `upload` of the report asks the run before sending them.
TEST(ReliabilityEndToEnd, QasphereFallbackReportMarksResultsOfUnknownFateForUpload) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /api/public/v0/project/BD/run/[0-9]+/result/batch#1=hang"));
  auto env = emu.qasphere_env();
  const std::string report_dir = emu.dir() + "/rep";
  env["GTEST_TMS_DEADLINE"] = "3";
  env["QASE_FALLBACK"] = "report";
  env["QASE_REPORT_CONNECTION_PATH"] = report_dir;
  const process_result r = run_fixture("fixture_confirm", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  ASSERT_EQ(emu.tms().qasphere_results(runs[0].id).size(), confirm_marked) << "the hung batch was not stored";

  const process_result u = run_cli(emu.qasphere_env(), {"upload", report_dir});
  ASSERT_FALSE(u.timed_out) << u.out << u.err;
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  EXPECT_NE(u.out.find("4 of them found already stored"), std::string::npos) << u.out;
  EXPECT_EQ(emu.tms().qasphere_results(runs[0].id).size(), confirm_marked) << "results stored twice:\n" << u.out;
  runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].closed) << u.out;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// Item 2: while one `upload` of a folder runs, a second one of the same folder sends nothing and
// says why; the first one's lock is held here by a stand-in.
TEST(ReliabilityEndToEnd, ASecondUploadOfTheSameFolderLeavesItToTheFirst) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1..40=500"));
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "3";
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture("fixture_confirm", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  burn(emu, "/results", 40);
  {
    file_lock first;
    std::string error;
    ASSERT_EQ(first.try_lock(journal_dir + "/.gtest-tms-upload.lock", error), file_lock::result::locked) << error;
    const process_result second = run_cli(emu.qase_env(), {"upload", journal_dir});
    ASSERT_FALSE(second.timed_out);
    EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
    EXPECT_NE(second.out.find(journal_dir + " is already being uploaded by another gtest-tms upload; nothing sent"),
              std::string::npos)
        << second.out;
    EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 0u);
  }
  const process_result u = run_cli(emu.qase_env(), {"upload", journal_dir});  // the lock is free again
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), confirm_tests) << u.out;
}

// A 429 on the project check (many CI jobs on one account) is waited out as Retry-After says, not
// taken as "cannot start" (issue 11 item 4: 402 of 600 results were lost that way).
TEST(ReliabilityEndToEnd, A429OnTheProjectAndRunChecksIsWaitedOutAndNothingIsLost) {
  emulator_fixture emu(emulator_fixture::with_faults(
      "GET /v1/project/DEMO#1..2=429:retry-after=1;GET /v1/run/DEMO/1#1=429:retry-after=1"));
  // The CI step's own checks meet the first two 429s; the test binary joining its run the third.
  const process_result created = run_cli(emu.qase_env(), {"run", "create"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("QASE_TESTOPS_RUN_ID=1"), std::string::npos) << created.out << created.err;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_RUN_ID"] = "1";
  const process_result r = run_fixture("fixture_confirm", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_NE(r.err.find("Qase: " + std::string("49") + " results sent"), std::string::npos) << r.err;
  std::size_t injected = 0;
  for (const auto& q : emu.tms().requests()) injected += q.injected && q.status == 429 ? 1 : 0;
  EXPECT_EQ(injected, 3u);
  EXPECT_EQ(emu.tms().qase_results(1).size(), 49u);
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

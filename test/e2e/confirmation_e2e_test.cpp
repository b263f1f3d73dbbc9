// Nothing lost, nothing duplicated, nothing hidden: a 2xx that is not the documented success
// answer confirms nothing (retried, then kept on disk), and the summary's wording says what happened.
// Real fixture binaries against the in-process emulator; every scenario ends with each finished
// result stored exactly once (after at most one `gtest-tms upload`) and no token in any byte written.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <set>

#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

using env_map = std::map<std::string, std::optional<std::string>>;

// fixture_confirm: 40 + 5 + 1 + 3 tests; 4 of them carry QA Sphere markers BD-001..BD-004.
constexpr std::size_t fixture_tests = 49;
constexpr std::size_t fixture_marked = 4;
constexpr std::uint64_t failing = 20;  // injected replies; more than the binary makes (checked)

process_result run_fixture(env_map env, std::vector<std::string> args = {}) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 180s;
  return run_process(fixture_path("fixture_confirm"), po);
}

process_result run_upload(env_map env, const std::string& dir) {
  process_options po;
  po.env = std::move(env);
  po.args = {"upload", dir};
  po.timeout = 120s;
  return run_process(GTEST_TMS_CLI, po);
}

std::size_t count_requests(emulator_fixture& emu, const std::string& suffix) {
  std::size_t n = 0;
  for (const auto& q : emu.tms().requests())
    n += q.method == "POST" && q.path.size() >= suffix.size() &&
                 q.path.compare(q.path.size() - suffix.size(), suffix.size(), suffix) == 0
             ? 1
             : 0;
  return n;
}

// Uses up the injected replies the binary did not meet, so the upload meets a healthy server.
void burn(emulator_fixture& emu, const std::string& target, std::size_t used) {
  ASSERT_LT(used, failing) << "the binary met every injected reply: raise `failing`";
  for (std::size_t i = used; i < failing; ++i) {
    server_request b;
    b.method = "POST";
    b.target = target;
    b.body = R"({"results":[{"title":"burn","execution":{"status":"passed"}}]})";
    ASSERT_EQ(emu.tms().handle(b).status, 200);
  }
}

TEST(ConfirmationEndToEnd, AQase200ThatIsNotJsonIsRetriedAndEveryResultStoredOnce) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1=200:body=not json"));
  const process_result r = run_fixture(emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // tests fail on purpose; the reporter changes nothing
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed) << r.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), fixture_tests) << r.err;
  EXPECT_NE(r.err.find("Qase: " + std::to_string(fixture_tests) + " results sent"), std::string::npos) << r.err;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// QASE_DEBUG (reliability item 10): one line per request attempt, with the retry decision; bodies
// only at level 2; never a token.
TEST(ConfirmationEndToEnd, QaseDebugPrintsOneLinePerRequestWithItsRetryDecisionAndNoToken) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1=429:retry-after=1"));
  auto env = emu.qase_env();
  env["QASE_DEBUG"] = "true";
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // tests fail on purpose; the reporter changes nothing
  EXPECT_NE(r.err.find("gtest-tms: debug: Qase GET /v1/project/DEMO -> 200 in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gtest-tms: debug: Qase POST /v1/run/DEMO -> 200 in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/results -> 429 in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("; retry 1 of 3 in 1000 ms"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/results -> 202 in "), std::string::npos) << r.err;  // v2 bulk answers 202
  EXPECT_NE(r.err.find("/complete -> 200 in "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("request body:"), std::string::npos) << "bodies only at level 2";
  // One line per request the emulator saw.
  std::size_t lines = 0;
  for (auto at = r.err.find("gtest-tms: debug: "); at != std::string::npos;
       at = r.err.find("gtest-tms: debug: ", at + 1))
    ++lines;
  EXPECT_EQ(lines, emu.tms().requests().size()) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), fixture_tests) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(ConfirmationEndToEnd, QaseDebugLevelTwoShowsBodiesCutShort) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_DEBUG"] = "2";
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_NE(r.err.find("gtest-tms:   request body: {\"results\":["), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gtest-tms:   response body: {\"status\":true"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[truncated]"), std::string::npos) << "a results batch is longer than the cap";
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(ConfirmationEndToEnd, AQaseAnswerThatNeverConfirmsKeepsTheResultsOnDiskAndUploadSendsThemOnce) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1.." + std::to_string(failing) +
                                                     "=200:body=<html><body>Request blocked by policy</body></html>"));
  auto env = emu.qase_env();
  env["QASE_FALLBACK"] = "report";
  env["QASE_TESTOPS_API_RETRIES"] = "1";
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed) << r.err;  // not every result arrived
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 0u);
  EXPECT_NE(r.err.find("Qase: 0 results sent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("without the documented success answer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gtest-tms upload " + report_dir), std::string::npos) << r.err;
  burn(emu, "/v2/BURN/run/1/results", count_requests(emu, "/results"));

  auto upload_env = emu.qase_env();
  upload_env["QASE_TESTOPS_RUN_ID"] = std::to_string(runs[0].id);
  const process_result u = run_upload(upload_env, report_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const auto keys = qase_keys(emu, runs[0].id);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), fixture_tests) << u.out << u.err;
  for (const auto& [k, n] : keys) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

TEST(ConfirmationEndToEnd, AQaseProjectCheckAnsweredByAProxyPageIsNotAStart) {
  emulator_fixture emu(emulator_fixture::with_faults("GET /v1/project/.*=200:body=<html>captive portal</html>"));
  auto env = emu.qase_env();
  env["QASE_FALLBACK"] = "report";
  env["QASE_TESTOPS_API_RETRIES"] = "1";
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(emu.tms().qase_runs().empty()) << r.err;
  EXPECT_NE(r.err.find("Qase: not started: Qase project check failed: HTTP 200 without the documented"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(std::to_string(fixture_tests) + " results not confirmed"), std::string::npos) << r.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(ConfirmationEndToEnd, AQaSphereBatchAnsweredWithoutIdsHasUnknownFateIsNotResentAndUploadSendsItOnce) {
  emulator_fixture emu(emulator_fixture::with_faults("POST .*/result/batch#1.." + std::to_string(failing) +
                                                     "=200:body=<html>proxy says ok</html>"));
  // QASE_FALLBACK is a Qase setting: QA Sphere's results stay in the crash journal.
  const auto env = emu.qasphere_env();
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].closed) << r.err;
  EXPECT_TRUE(emu.tms().qasphere_results(runs[0].id).empty());
  const std::size_t batches = count_requests(emu, "/result/batch");
  EXPECT_EQ(batches, 1u) << r.err;  // never resent: the server may have stored it
  EXPECT_NE(r.err.find("of unknown fate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("QA Sphere: 0 results sent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("gtest-tms upload " + journal_dir), std::string::npos) << r.err;
  burn(emu, "/api/public/v0/project/BURN/run/1/result/batch", batches);

  auto upload_env = emu.qasphere_env();
  upload_env["QAS_RUN_ID"] = std::to_string(runs[0].id);
  const process_result u = run_upload(upload_env, journal_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  std::set<std::string> cases;
  const auto stored = emu.tms().qasphere_results(runs[0].id);
  for (const auto& s : stored) cases.insert(s.tcase_id);
  EXPECT_EQ(stored.size(), fixture_marked) << u.out << u.err;
  EXPECT_EQ(cases.size(), fixture_marked);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

// Item 11: Types<int, double, int> gives three distinct results; control bytes are removed; the
// summary counts failed, invalid and blocked apart.
TEST(ConfirmationEndToEnd, EveryTypedInstanceStaysDistinctAndEachStatusIsCountedOnItsOwn) {
  emulator_fixture emu;
  const process_result r = run_fixture(emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  const auto keys = qase_keys(emu, runs[0].id);
  EXPECT_EQ(keys.size(), fixture_tests) << r.err;  // no two results look alike to Qase
  std::set<std::string> signatures;
  std::size_t repeated = 0;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) {
    signatures.insert(std::string(res.at("signature").as_string()));
    if (res.at("title").as_string() == "Works") ++repeated;
    if (res.at("title").as_string() == "ControlBytes") {
      const std::string m(res.at("message").as_string());
      EXPECT_NE(m.find("bell null-free esc"), std::string::npos) << m;
      EXPECT_NE(m.find("red tab\tend"), std::string::npos) << m;
      EXPECT_EQ(m.find('?'), std::string::npos) << m;
      for (const char c : m) EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') << m;
    }
  }
  EXPECT_EQ(repeated, 3u);
  EXPECT_EQ(signatures.size(), fixture_tests);
  EXPECT_NE(r.err.find("Qase: " + std::to_string(fixture_tests) +
                       " results sent (3 failed, 1 invalid, 1 blocked), run 1 completed"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// Item 12: QASE_MODE=report writes, it does not "send"; a kept journal names its binary.
TEST(ConfirmationEndToEnd, ReportModeSaysWrittenAndAKeptJournalNamesItsBinary) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_MODE"] = "report";
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("gtest-tms: Qase report: " + std::to_string(fixture_tests) + " results written to " +
                       report_dir + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("not confirmed"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("results sent"), std::string::npos) << r.err;
  EXPECT_TRUE(emu.tms().requests().empty());
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// Issue 12: QASE_REPORT_CONNECTION_FORMAT=jsonp writes the official reporters' qaseJsonp(...); files,
// and `gtest-tms upload` sends them as it sends JSON reports.
TEST(ConfirmationEndToEnd, AJsonpReportIsWrappedFileByFileAndUploadSendsItOnce) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_MODE"] = "report";
  env["QASE_REPORT_CONNECTION_FORMAT"] = "jsonp";
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::size_t files = 0;
  for (const auto& f : list_files(report_dir)) {
    if (f.size() < 5 || f.substr(f.size() - 5) != ".json") continue;
    ++files;
    const std::string text = read_file(f);
    EXPECT_EQ(text.rfind("qaseJsonp({", 0), 0u) << f;
    EXPECT_EQ(text.substr(text.size() - 3), ");\n") << f;
  }
  EXPECT_EQ(files, fixture_tests + 1) << r.err;  // a file per result, and run.json
  EXPECT_TRUE(emu.tms().requests().empty());

  const process_result u = run_upload(emu.qase_env(), report_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << u.out << u.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), fixture_tests) << u.out << u.err;
  for (const auto& [k, n] : qase_keys(emu, runs[0].id)) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

TEST(ConfirmationEndToEnd, UnconfirmedResultsWithoutAFallbackStayInAJournalThatNamesItsBinary) {
  emulator_fixture emu(
      emulator_fixture::with_faults("POST /v2/.*/results#1.." + std::to_string(failing) + "=200:body=not json"));
  auto env = emu.qase_env();
  env["QASE_TESTOPS_API_RETRIES"] = "0";
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::vector<std::string> journals;
  for (const auto& f : list_files(journal_dir))
    if (f.find("/journal-") != std::string::npos) journals.push_back(f);
  ASSERT_EQ(journals.size(), 1u) << r.err;
  const std::string text = read_file(journals[0]);
  const json::value header = json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(header.at("binary").as_string(), "fixture_confirm");
  EXPECT_NE(r.err.find("gtest-tms upload " + journal_dir), std::string::npos) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed);
  burn(emu, "/v2/BURN/run/1/results", count_requests(emu, "/results"));

  const process_result u = run_upload(emu.qase_env(), journal_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), fixture_tests) << u.out << u.err;
  for (const auto& [k, n] : qase_keys(emu, runs[0].id)) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(requests_match_spec(emu));
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

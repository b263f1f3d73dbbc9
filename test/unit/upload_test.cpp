// gtest-tms upload / run create / run complete as functions: against a scripted Qase server
// (the real Qase backend over loop_transport) and with recording fake backends. The promise:
// what the server lacks is sent exactly once, then marked so a second upload sends nothing.

#include "cli/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "storage/journal.hpp"
#include "storage/qase_report.hpp"
#include "support/loop_transport.hpp"
#include "support/process.hpp"

namespace gtest_tms::detail {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing_support::json_response;
using testing_support::loop_transport;
using testing_support::temp_dir;

std::string uuid_for(int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "7a1b2c3d-4e5f-4a6b-8c7d-%012d", n);
  return buf;
}

std::shared_ptr<const test_result> make(int n, test_status st = test_status::passed) {
  auto r = std::make_shared<test_result>();
  r->id = uuid_for(n);
  r->suite = "Suite";
  r->name = "Test" + std::to_string(n);
  r->status = st;
  r->start_ms = 1700000000000 + n;
  r->duration_ms = 5;
  return r;
}

settings qase_settings_for_test() {
  settings s;
  s.qase.mode = qase_mode::testops;
  s.qase.token = "secret-token-value";
  s.qase.project = "DEMO";
  s.qase.api_base = "https://api.qase.test";
  s.qase.app_base = "https://app.qase.test";
  s.common.retries = 0;
  s.common.batch_age = 5ms;
  s.common.flush_deadline = 10s;
  return s;
}

// A scripted Qase: project DEMO, runs numbered from 42, results recorded per run.
class fake_qase {
 public:
  http_response operator()(const http_request& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string base = "https://api.qase.test";
    const std::string path = req.url.substr(base.size());
    log_.push_back(req.method + " " + path);
    if (req.method == "GET" && path == "/v1/project/DEMO")
      return json_response(200, R"({"status":true,"result":{"code":"DEMO"}})");
    if (req.method == "POST" && path == "/v1/run/DEMO") {
      const int id = next_run_++;
      return json_response(200, R"({"status":true,"result":{"id":)" + std::to_string(id) + "}}");
    }
    if (req.method == "GET" && path.rfind("/v1/run/DEMO/", 0) == 0)
      return json_response(200, R"({"status":true,"result":{}})");
    if (req.method == "POST" && path.rfind("/v1/run/DEMO/", 0) == 0 && path.size() > 9 &&
        path.substr(path.size() - 9) == "/complete") {
      completed_.push_back(std::stoi(path.substr(13)));
      return json_response(200, R"({"status":true})");
    }
    if (req.method == "POST" && path.rfind("/v2/DEMO/run/", 0) == 0) {
      if (fail_results_) return json_response(500, R"({"status":false,"errorMessage":"down"})");
      const int run = std::stoi(path.substr(13));
      const json::value v = json::parse(req.body);
      for (const auto& r : v.at("results").as_array()) results_[run].push_back(std::string(r.at("id").as_string()));
      return json_response(200, R"({"status":true})");
    }
    return json_response(404, R"({"status":false,"errorMessage":"no route"})");
  }

  std::mutex mutex_;
  std::vector<std::string> log_;
  std::map<int, std::vector<std::string>> results_;
  std::vector<int> completed_;
  int next_run_ = 42;
  bool fail_results_ = false;
};

session_hooks tools_for(fake_qase& server) {
  session_hooks t;
  t.make_transport = [&server](const transport_options&) {
    return std::make_unique<loop_transport>([&server](const http_request& r) { return server(r); });
  };
  return t;
}

std::size_t total_sent(fake_qase& s) {
  std::size_t n = 0;
  for (const auto& [run, ids] : s.results_) n += ids.size();
  return n;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(Upload, ReportDirectoryIsSentOnceAndMarked) {
  temp_dir dir;
  ASSERT_EQ(
      write_qase_report(dir.path(), {make(1), make(2, test_status::failed), make(3)}, {1, 2, tms::qase, 0, false}, {}),
      "");
  fake_qase server;
  const settings s = qase_settings_for_test();

  const ci_outcome first = upload_results(dir.path(), s, tools_for(server));
  EXPECT_TRUE(first.ok) << joined(first.lines);
  EXPECT_EQ(first.found, 3u);
  EXPECT_EQ(first.sent, 3u);
  ASSERT_EQ(server.results_.size(), 1u);
  EXPECT_EQ(server.results_.begin()->first, 42);  // a new run, as the reporter would create
  EXPECT_EQ(std::set<std::string>(server.results_[42].begin(), server.results_[42].end()),
            (std::set<std::string>{uuid_for(1), uuid_for(2), uuid_for(3)}));
  EXPECT_EQ(server.completed_, std::vector<int>{42});
  EXPECT_TRUE(fs::exists(dir.path() + "/uploaded/" + uuid_for(1) + ".json"));
  EXPECT_FALSE(fs::exists(dir.path() + "/results/" + uuid_for(1) + ".json"));
  for (const auto& l : first.lines) EXPECT_EQ(l.find("secret-token-value"), std::string::npos) << l;

  const std::size_t requests = server.log_.size();
  const ci_outcome second = upload_results(dir.path(), s, tools_for(server));
  EXPECT_TRUE(second.ok) << joined(second.lines);
  EXPECT_EQ(second.found, 0u);
  EXPECT_EQ(server.log_.size(), requests) << "a second upload must not talk to the server";
  EXPECT_EQ(total_sent(server), 3u);
}

TEST(Upload, ResultsGoIntoTheRunTheyWereMeantFor) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 7, true}, {}), "");
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(server.results_[7], std::vector<std::string>{uuid_for(1)});
  // The crashed process created run 7, so the upload completes it as that process would have.
  EXPECT_EQ(server.completed_, std::vector<int>{7});
  for (const auto& l : server.log_) EXPECT_NE(l, "POST /v1/run/DEMO") << "no new run";
}

TEST(Upload, ConfiguredRunIdWins) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 7, true}, {}), "");
  fake_qase server;
  settings s = qase_settings_for_test();
  s.qase.run_id = 99;
  const ci_outcome out = upload_results(dir.path(), s, tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(server.results_[99], std::vector<std::string>{uuid_for(1)});
  EXPECT_TRUE(server.completed_.empty()) << "a joined run is not completed unless asked";
}

TEST(Upload, JournalOfACrashedBinarySendsOnlyWhatWasNotAcknowledged) {
  temp_dir dir;
  std::string error;
  {
    journal_header h;
    h.systems = {"qase"};
    auto j = journal::create(dir.path(), h, error);
    ASSERT_TRUE(j) << error;
    for (int i = 1; i <= 4; ++i) j->append(*make(i));
    j->run_started(tms::qase, 50, true);
    j->ack(tms::qase, std::vector<std::string_view>{uuid_for(1), uuid_for(2)});
    j->close();  // as the kernel leaves it after a crash (nothing removed it)
  }
  fake_qase server;
  const settings s = qase_settings_for_test();
  const ci_outcome out = upload_results(dir.path(), s, tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(out.found, 2u);
  EXPECT_EQ(std::set<std::string>(server.results_[50].begin(), server.results_[50].end()),
            (std::set<std::string>{uuid_for(3), uuid_for(4)}));
  EXPECT_EQ(server.completed_, std::vector<int>{50});
  EXPECT_TRUE(find_journals(dir.path()).empty()) << "a fully acknowledged journal is removed";

  const ci_outcome again = upload_results(dir.path(), s, tools_for(server));
  EXPECT_EQ(again.found, 0u);
  EXPECT_EQ(total_sent(server), 2u);
}

TEST(Upload, RunOfACrashedBinaryIsCompletedEvenWhenEverythingArrived) {
  temp_dir dir;
  std::string error;
  {
    journal_header h;
    h.systems = {"qase"};
    auto j = journal::create(dir.path(), h, error);
    ASSERT_TRUE(j) << error;
    j->append(*make(1));
    j->run_started(tms::qase, 60, true);
    j->ack(tms::qase, std::vector<std::string_view>{uuid_for(1)});
    j->close();
  }
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(out.found, 0u);
  EXPECT_EQ(total_sent(server), 0u);
  EXPECT_EQ(server.completed_, std::vector<int>{60});
  EXPECT_TRUE(find_journals(dir.path()).empty());
}

TEST(Upload, FailedDeliveryKeepsEverythingForTheNextTry) {
  temp_dir dir;
  std::string error;
  std::string journal_path;
  {
    journal_header h;
    h.systems = {"qase"};
    auto j = journal::create(dir.path() + "/journal", h, error);
    ASSERT_TRUE(j) << error;
    j->append(*make(1));
    journal_path = j->path();
    j->close();
  }
  ASSERT_EQ(write_qase_report(dir.path(), {make(2)}, {1, 2, tms::qase, 0, false}, {}), "");
  fake_qase server;
  server.fail_results_ = true;
  const settings s = qase_settings_for_test();
  const ci_outcome out = upload_results(dir.path(), s, tools_for(server));  // the report dir and its journal/
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.found, 2u);
  EXPECT_EQ(out.sent, 0u);
  EXPECT_TRUE(fs::exists(journal_path));
  EXPECT_TRUE(fs::exists(dir.path() + "/results/" + uuid_for(2) + ".json"));
  EXPECT_NE(joined(out.lines).find("not confirmed"), std::string::npos) << joined(out.lines);

  server.fail_results_ = false;
  const ci_outcome retry = upload_results(dir.path(), s, tools_for(server));
  EXPECT_TRUE(retry.ok) << joined(retry.lines);
  EXPECT_EQ(retry.sent, 2u);
  EXPECT_FALSE(fs::exists(journal_path));
}

TEST(Upload, SameResultInReportAndJournalIsSentOnce) {
  temp_dir dir;
  std::string error;
  {
    journal_header h;
    h.systems = {"qase"};
    auto j = journal::create(dir.path() + "/journal", h, error);
    ASSERT_TRUE(j) << error;
    j->append(*make(1));
    j->append(*make(2));
    j->close();
  }
  ASSERT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 0, false}, {}), "");
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(out.found, 2u);
  EXPECT_EQ(total_sent(server), 2u);
  EXPECT_TRUE(find_journals(dir.path() + "/journal").empty());
}

TEST(Upload, UnconfiguredSystemIsReportedAndKept) {
  temp_dir dir;
  std::string error;
  std::string path;
  {
    journal_header h;
    h.systems = {"qase", "qasphere"};
    auto j = journal::create(dir.path(), h, error);
    ASSERT_TRUE(j) << error;
    j->append(*make(1));
    path = j->path();
    j->close();
  }
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(total_sent(server), 1u);
  EXPECT_NE(joined(out.lines).find("QA Sphere is not configured"), std::string::npos) << joined(out.lines);
  ASSERT_TRUE(fs::exists(path));
  journal_contents jc;
  ASSERT_TRUE(read_journal(path, jc, error)) << error;
  EXPECT_TRUE(jc.unacknowledged("qase").empty());
  EXPECT_EQ(jc.unacknowledged("qasphere").size(), 1u);
}

TEST(Upload, LiveJournalIsLeftAlone) {
  temp_dir dir;
  std::string error;
  journal_header h;
  h.systems = {"qase"};
  auto live = journal::create(dir.path(), h, error);
  ASSERT_TRUE(live) << error;
  live->append(*make(1));
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_TRUE(out.ok) << joined(out.lines);
  EXPECT_EQ(total_sent(server), 0u);
  EXPECT_NE(joined(out.lines).find("in use"), std::string::npos) << joined(out.lines);
}

TEST(Upload, MissingPathFails) {
  fake_qase server;
  const ci_outcome out = upload_results("/nonexistent/gtest-tms/dir", qase_settings_for_test(), tools_for(server));
  EXPECT_FALSE(out.ok);
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_NE(out.lines[0].find("does not exist"), std::string::npos);
}

TEST(Upload, UnreadableFilesMakeItFail) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 0, false}, {}), "");
  testing_support::write_file(dir.path() + "/results/broken.json", "{");
  fake_qase server;
  const ci_outcome out = upload_results(dir.path(), qase_settings_for_test(), tools_for(server));
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.sent, 1u);
  EXPECT_NE(joined(out.lines).find("broken.json"), std::string::npos);
}

TEST(RunSteps, CreateLeavesTheRunOpenAndCompleteCompletesIt) {
  fake_qase server;
  settings s = qase_settings_for_test();
  const ci_outcome created = create_runs(s, {}, tools_for(server));
  EXPECT_TRUE(created.ok) << joined(created.lines);
  EXPECT_EQ(created.qase_run_id, 42);
  EXPECT_EQ(created.qasphere_run_id, 0);
  EXPECT_TRUE(server.completed_.empty());

  s.qase.run_id = created.qase_run_id;
  const ci_outcome completed = complete_runs(s, {}, tools_for(server));
  EXPECT_TRUE(completed.ok) << joined(completed.lines);
  EXPECT_EQ(server.completed_, std::vector<int>{42});
}

TEST(RunSteps, CompleteNeedsARunId) {
  fake_qase server;
  const ci_outcome out = complete_runs(qase_settings_for_test(), {}, tools_for(server));
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.usage_error);
  EXPECT_NE(joined(out.lines).find("QASE_TESTOPS_RUN_ID is not set"), std::string::npos);
  EXPECT_TRUE(server.log_.empty());
}

TEST(RunSteps, CompleteTouchesNothingWhenOneSystemLacksItsRun) {
  fake_qase server;
  settings s = qase_settings_for_test();
  s.qase.run_id = 42;
  s.qasphere.enabled = true;  // without QAS_RUN_ID
  s.qasphere.url = "https://qas.test";
  const ci_outcome out = complete_runs(s, {}, tools_for(server));
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.usage_error);
  EXPECT_NE(joined(out.lines).find("QAS_RUN_ID is not set"), std::string::npos) << joined(out.lines);
  EXPECT_TRUE(server.log_.empty());
  EXPECT_TRUE(server.completed_.empty());
}

TEST(RunSteps, NothingConfigured) {
  fake_qase server;
  const ci_outcome out = create_runs(settings{}, {}, tools_for(server));
  EXPECT_FALSE(out.ok);
  EXPECT_NE(joined(out.lines).find("nothing to create"), std::string::npos);
}

TEST(RunSteps, CreateFailureIsOneLine) {
  fake_qase server;
  settings s = qase_settings_for_test();
  s.qase.project = "NOPE";
  const ci_outcome out = create_runs(s, {}, tools_for(server));
  EXPECT_FALSE(out.ok);
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0].find('\n'), std::string::npos);
  EXPECT_EQ(out.qase_run_id, 0);
}

TEST(RunSteps, CiEnvTurnsReportModeIntoTestops) {
  const env_lookup base = [](const std::string& name) -> std::optional<std::string> {
    if (name == "QASE_MODE") return std::string("report");
    if (name == "OTHER") return std::string("x");
    return std::nullopt;
  };
  const env_lookup e = ci_env(base);
  EXPECT_EQ(e("QASE_MODE"), std::optional<std::string>("testops"));
  EXPECT_EQ(e("OTHER"), std::optional<std::string>("x"));
  EXPECT_EQ(e("MISSING"), std::nullopt);
}

TEST(GtestList, ParsesSuitesTestsAndDropsComments) {
  const std::string out =
      "Running main() from gtest_main.cc\n"
      "Suite.\n"
      "  First\n"
      "  SecondBd001\n"
      "Inst/Param.  # TypeParam = int\n"
      "  Works/0  # GetParam() = 4\n"
      "  Works/1  # GetParam() = \"a b\"\n"
      "\n"
      "Other.\r\n"
      "  X\r\n";
  const auto tests = parse_gtest_list(out);
  ASSERT_EQ(tests.size(), 5u);
  EXPECT_EQ(tests[0].suite, "Suite");
  EXPECT_EQ(tests[0].name, "First");
  EXPECT_EQ(tests[1].name, "SecondBd001");
  EXPECT_EQ(tests[2].suite, "Inst/Param");
  EXPECT_EQ(tests[2].name, "Works/0");
  EXPECT_EQ(tests[3].name, "Works/1");
  EXPECT_EQ(tests[4].suite, "Other");
  EXPECT_EQ(tests[4].name, "X");
}

}  // namespace
}  // namespace gtest_tms::detail

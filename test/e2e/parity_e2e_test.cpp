// What the official Qase reporters give their users (issue 12), from a real gtest binary to the
// emulated Qase: every gtest_tms::qase::* call and RecordProperty key reaches the result as they
// send it, ignored tests are not sent, with reporting off the API leaves no trace; the official
// configuration keys (status mapping, excluded parameters, milestone, attachments, public report
// link) shape what is sent. Requests validate against the spec.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "emulator_fixture.hpp"
#include "golden.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

process_result run_metadata(std::map<std::string, std::optional<std::string>> env, std::vector<std::string> args = {}) {
  return run_fixture("fixture_metadata", std::move(env), std::move(args));
}

TEST(ParityEndToEnd, EveryKeyArrivesAsTheOfficialReportersSendIt) {
  emulator_fixture emu;
  const process_result r = run_metadata(emu.qase_env());
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // two failures, one of them in an ignored test
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed) << r.err;

  std::map<std::string, json::object> results;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) {
    std::string key = str(res.at("title"));
    if (res.contains("params")) key += " " + json::serialize(res.at("params"));
    results[key] = res;
  }
  // 8 tests ran, 2 asked not to be reported.
  ASSERT_EQ(results.size(), 6u) << r.err;
  EXPECT_NE(r.err.find("Qase: 6 results sent (1 failed)"), std::string::npos) << r.err;
  // The failed test's case page: its DEMO id, not OTHER's.
  EXPECT_NE(r.err.find("Qase: failed Metadata.ByTheApi: " + emu.url() + "/case/DEMO-5\n"), std::string::npos) << r.err;

  const json::object& api = results.at("Log in with a valid password {\"user\":\"alice\",\"browser\":\"firefox\"}");
  EXPECT_EQ(json::serialize(api.at("relations")),
            R"({"suite":{"data":[{"title":"Auth","public_id":null},{"title":"Login","public_id":null}]}})");
  EXPECT_EQ(json::serialize(api.at("fields")),
            R"({"custom_team":"identity","description":"The user logs in.","layer":"e2e","priority":"high",)"
            R"("severity":"critical","tags":"smoke,auth,nightly","muted":"true"})");
  EXPECT_EQ(json::serialize(api.at("param_groups")), R"([["user","browser"]])");
  EXPECT_EQ(json::serialize(api.at("testops_ids")), "[5]");  // DEMO's id only: OTHER is another project
  const std::string message = str(api.at("message"));
  EXPECT_EQ(message.rfind("checked against staging\n\n", 0), 0u) << message;
  EXPECT_NE(message.find("deliberate failure"), std::string::npos) << message;
  EXPECT_EQ(str(api.at("signature")),
            "5::auth::login::log_in_with_a_valid_password::{'user':'alice'}::{'browser':'firefox'}");

  const json::object& prop = results.at("Same keys, no header {\"size\":\"10\"}");
  EXPECT_EQ(json::serialize(prop.at("relations")),
            R"({"suite":{"data":[{"title":"Top","public_id":null},{"title":"Middle","public_id":null},)"
            R"({"title":"Leaf","public_id":null}]}})");
  EXPECT_EQ(json::serialize(prop.at("fields")),
            R"({"preconditions":"a clean database","severity":"minor","tags":"one,two","muted":"true"})");
  EXPECT_EQ(json::serialize(prop.at("param_groups")), R"([["size"]])");
  EXPECT_EQ(json::serialize(prop.at("testops_ids")), "[6]");
  EXPECT_EQ(str(prop.at("message")), "only a comment");
  EXPECT_EQ(str(prop.at("execution").at("status")), "passed");

  // A named parameter replaces gtest's anonymous one; without one, "param" stays.
  EXPECT_EQ(results.count("NamedParameter/0 {\"browser\":\"chrome\"}"), 1u);
  EXPECT_EQ(results.count("NamedParameter/1 {\"browser\":\"safari\"}"), 1u);
  EXPECT_EQ(results.count("AnonymousParameter/0 {\"param\":\"\\\"chrome\\\"\"}"), 1u);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(matches_golden(normalized_log(emu.tms().requests()), "qase_metadata.json"));
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ParityEndToEnd, WithReportingOffTheApiLeavesNoTraceAndTheKeysStayInTheXml) {
  temp_dir dir;
  const std::string xml = dir.path() + "/out.xml";
  const process_result r = run_metadata(emulator_fixture::clean_env(), {"--gtest_output=xml:" + xml});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.find("gtest-tms"), std::string::npos) << r.err;
  const std::string text = read_file(xml);
  EXPECT_EQ(text.find("Log in with a valid password"), std::string::npos);  // the API: nothing when off
  EXPECT_NE(text.find("Same keys, no header"), std::string::npos);          // RecordProperty: gtest's own
}

// QASE_STATUS_MAPPING before QASE_TESTOPS_STATUS_FILTER, QASE_EXCLUDE_PARAMS, QASE_TESTOPS_RUN_MILESTONE.
TEST(ParityEndToEnd, StatusMappingExcludedParamsAndMilestoneShapeWhatIsSent) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_STATUS_MAPPING"] = "invalid=failed,skipped=blocked";
  env["QASE_TESTOPS_STATUS_FILTER"] = "blocked";  // applies to the mapped status: the skip is not sent
  env["QASE_EXCLUDE_PARAMS"] = "param";
  env["QASE_TESTOPS_RUN_MILESTONE"] = "4";
  const process_result r = run_fixture("fixture_acceptance", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs[0].request.at("milestone_id"), json::value(4));
  EXPECT_NE(r.err.find("(4 failed)"), std::string::npos) << r.err;  // the summary counts what Qase got
  std::map<std::string, json::object> results;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) results[str(res.at("title"))] = res;
  ASSERT_EQ(results.count("Throws"), 1u) << r.err;
  EXPECT_EQ(str(results.at("Throws").at("execution").at("status")), "failed");
  EXPECT_EQ(results.count("Skipped"), 0u);
  for (const auto& [title, res] : results) {
    if (!res.contains("params")) continue;
    EXPECT_FALSE(res.at("params").as_object().contains("param")) << title;
  }
  EXPECT_TRUE(results.count("IsSmall/0") == 1u);
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ParityEndToEnd, WithoutAttachmentUploadsResultsCarryNoAttachments) {
  emulator_fixture emu;
  temp_dir files;
  write_file(files.path() + "/first.log", "first log line\n");
  write_file(files.path() + "/second.bin", "second");
  auto env = emu.qase_env();
  env["ATTACH_DIR"] = files.path();
  env["QASE_TESTOPS_UPLOAD_ATTACHMENTS"] = "false";
  const process_result r = run_fixture("fixture_attachments", env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  const auto results = emu.tms().qase_results(runs[0].id);
  EXPECT_EQ(results.size(), 5u);
  for (const auto& res : results) EXPECT_FALSE(res.contains("attachments")) << json::serialize(res);
  for (const auto& req : emu.tms().requests()) EXPECT_EQ(req.path.find("/v1/attachment/"), std::string::npos);
}

TEST(ParityEndToEnd, APublicReportLinkIsMadeOnceTheRunIsCompletedAndPrinted) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK"] = "true";
  const process_result r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  EXPECT_NE(r.err.find("run " + std::to_string(runs[0].id) +
                       " completed, public report: "
                       "https://emulator.invalid/public/report/" +
                       std::to_string(runs[0].id)),
            std::string::npos)
      << r.err;
  // Completed first, then published: the official order.
  std::vector<std::string> order;
  for (const auto& req : emu.tms().requests())
    if (req.path.find("/complete") != std::string::npos || req.path.find("/public") != std::string::npos)
      order.push_back(req.method + " " + req.path.substr(req.path.rfind('/')));
  EXPECT_EQ(order, (std::vector<std::string>{"POST /complete", "PATCH /public"}));
  EXPECT_TRUE(requests_match_spec(emu));
}

TEST(ParityEndToEnd, ARefusedPublicLinkCostsTheLinkNeverTheRun) {
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("PATCH /v1/run/.*/public=403");
  emulator_fixture emu(o);
  auto env = emu.qase_env();
  env["QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK"] = "true";
  const process_result r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the fixture's own failure, nothing more
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  EXPECT_NE(r.err.find("completed (no public report link: HTTP 403"), std::string::npos) << r.err;
}

// Requests of `method` whose path ends with `tail`.
std::size_t count_requests(emulator_fixture& emu, const std::string& method, const std::string& tail) {
  std::size_t n = 0;
  for (const auto& req : emu.tms().requests())
    n += req.method == method && req.path.size() >= tail.size() &&
                 req.path.compare(req.path.size() - tail.size(), tail.size(), tail) == 0
             ? 1
             : 0;
  return n;
}

// QASE_TESTOPS_CONFIGURATIONS_VALUES with ..._CREATE_IF_NOT_EXISTS: the first run makes the groups
// and configurations it lacks, the second finds them; both runs carry the same ids.
TEST(ParityEndToEnd, ConfigurationsAreMadeOnceThenFoundAndSetOnEveryCreatedRun) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_CONFIGURATIONS_VALUES"] = "os=linux,compiler=gcc,os=debian";
  env["QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS"] = "true";
  for (int i = 0; i < 2; ++i) {
    const process_result r = run_metadata(env);
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;  // the fixture's own failure
    EXPECT_EQ(r.err.find("configuration"), std::string::npos) << r.err;
  }
  // Two groups (os once, though two values are in it) and three configurations, all by the first run.
  EXPECT_EQ(count_requests(emu, "POST", "/v1/configuration/DEMO/group"), 2u);
  EXPECT_EQ(count_requests(emu, "POST", "/v1/configuration/DEMO"), 3u);
  EXPECT_EQ(count_requests(emu, "GET", "/v1/configuration/DEMO"), 2u);
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 2u);
  ASSERT_TRUE(runs[0].request.contains("configurations"));
  EXPECT_EQ(runs[0].request.at("configurations").as_array().size(), 3u);
  EXPECT_EQ(runs[0].request.at("configurations"), runs[1].request.at("configurations"));
  EXPECT_TRUE(runs[0].completed && runs[1].completed);
  EXPECT_TRUE(requests_match_spec(emu));
}

// Without ..._CREATE_IF_NOT_EXISTS a missing configuration is named in the summary; the run still
// carries the others and every result.
TEST(ParityEndToEnd, AMissingConfigurationIsNamedAndCostsOnlyItself) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_CONFIGURATIONS_VALUES"] = "os=linux";
  env["QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS"] = "true";
  ASSERT_FALSE(run_metadata(env).timed_out);
  env["QASE_TESTOPS_CONFIGURATIONS_VALUES"] = "os=linux,os=mac";
  env["QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS"] = std::nullopt;
  const process_result r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("Qase: configuration os=mac not found in project 'DEMO'; set "
                       "QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS=true to create it"),
            std::string::npos)
      << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].request.at("configurations"), runs[0].request.at("configurations"));
  EXPECT_EQ(emu.tms().qase_results(runs[1].id).size(), 6u);
  EXPECT_TRUE(runs[1].completed);
  EXPECT_EQ(count_requests(emu, "POST", "/v1/configuration/DEMO"), 1u);  // linux, by the first run
}

// QASE_TESTOPS_RUN_EXTERNAL_LINK in its JS and Python spellings: the created run is linked once it
// exists. A refused link costs the link, never the run.
TEST(ParityEndToEnd, AJiraIssueIsLinkedToTheCreatedRunAndARefusalCostsOnlyTheLink) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_TESTOPS_RUN_EXTERNAL_LINK"] = R"({"type": "jiraCloud", "link": "PROJ-1"})";
  process_result r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  env["QASE_TESTOPS_RUN_EXTERNAL_LINK"] = std::nullopt;
  env["QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE"] = "jiraServer";
  env["QASE_TESTOPS_RUN_EXTERNAL_LINK_URL"] = "OPS-2";
  r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].external_issue, json::parse(R"({"id": "PROJ-1", "type": "jira-cloud", "link": null})"));
  EXPECT_EQ(runs[1].external_issue, json::parse(R"({"id": "OPS-2", "type": "jira-server", "link": null})"));
  EXPECT_TRUE(requests_match_spec(emu));

  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST /v1/run/.*/external-issue=403");
  emulator_fixture refusing(o);
  env = refusing.qase_env();
  env["QASE_TESTOPS_RUN_EXTERNAL_LINK"] = R"({"type": "jiraCloud", "link": "PROJ-1"})";
  r = run_metadata(env);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("Qase: Jira issue PROJ-1 not linked to the run (QASE_TESTOPS_RUN_EXTERNAL_LINK): HTTP 403"),
            std::string::npos)
      << r.err;
  runs = refusing.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].completed);
  EXPECT_EQ(refusing.tms().qase_results(runs[0].id).size(), 6u);
}

// A pass after a failed attempt (--gtest_repeat) is marked flaky (fields.is_flaky, as the official
// reporters mark retry passes); every attempt is its own result.
TEST(ParityEndToEnd, APassAfterAFailedAttemptIsMarkedFlakyAndEveryAttemptIsKept) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_flaky", emu.qase_env(), {"--gtest_repeat=3"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  std::map<std::string, std::vector<std::string>> attempts;  // title -> "status" or "status flaky"
  for (const auto& res : emu.tms().qase_results(runs[0].id)) {
    std::string a = str(res.at("execution").at("status"));
    if (res.contains("fields") && res.at("fields").as_object().contains("is_flaky"))
      a += " flaky=" + str(res.at("fields").at("is_flaky"));
    attempts[str(res.at("title"))].push_back(a);
  }
  for (auto& [title, a] : attempts) std::sort(a.begin(), a.end());
  EXPECT_EQ(attempts["TestBd001FailsOnceThenPasses"],
            (std::vector<std::string>{"failed", "passed flaky=true", "passed flaky=true"}));
  EXPECT_EQ(attempts["TestBd002AlwaysFails"], (std::vector<std::string>{"failed", "failed", "failed"}));
  EXPECT_EQ(attempts["TestBd003AlwaysPasses"], (std::vector<std::string>{"passed", "passed", "passed"}));
  EXPECT_TRUE(requests_match_spec(emu));
}

// QA Sphere, as qas-cli notes a flaky test: the pass after the failed attempt says "passed in 2
// attempts"; each attempt (iteration) is its own result, as in Qase.
TEST(ParityEndToEnd, QaSpherePassAfterAFailedAttemptSaysInHowManyAttemptsItPassed) {
  emulator_fixture emu;
  const process_result r = run_fixture("fixture_flaky", emu.qasphere_env(), {"--gtest_repeat=3"});
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto runs = emu.tms().qasphere_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  std::map<std::string, std::vector<std::string>> attempts;  // case -> status, "+note" when noted
  for (const auto& res : emu.tms().qasphere_results(runs[0].id)) {
    const bool noted =
        res.comment.find("Passed in 2 attempts (flaky: the earlier attempts failed)") != std::string::npos;
    attempts[res.tcase_id].push_back(res.status + (noted ? "+note" : ""));
  }
  for (auto& [tcase, a] : attempts) std::sort(a.begin(), a.end());
  EXPECT_EQ(attempts["tc0001"], (std::vector<std::string>{"failed", "passed", "passed+note"}));
  EXPECT_EQ(attempts["tc0002"], (std::vector<std::string>{"failed", "failed", "failed"}));
  EXPECT_EQ(attempts["tc0003"], (std::vector<std::string>{"passed", "passed", "passed"}));
}

// QA Sphere results take links only: the files go through POST /file/batch and the comment links
// them, as qas-cli's --attachments does (QAS_UPLOAD_ATTACHMENTS=false keeps them back).
struct qasphere_files_run {
  process_result r;
  std::map<std::string, emulator::qasphere_result_view> results;  // by case id
};

qasphere_files_run run_qasphere_files(emulator_fixture& emu, const std::string& upload) {
  temp_dir files;
  write_file(files.path() + "/first.log", "first log line\n");
  auto env = emu.qasphere_env();
  env["ATTACH_DIR"] = files.path();
  if (!upload.empty()) env["QAS_UPLOAD_ATTACHMENTS"] = upload;
  qasphere_files_run out;
  out.r = run_fixture("fixture_qasphere_files", env);
  const auto runs = emu.tms().qasphere_runs();
  EXPECT_EQ(runs.size(), 1u) << out.r.err;
  if (runs.empty()) return out;
  for (const auto& res : emu.tms().qasphere_results(runs[0].id)) out.results[res.tcase_id] = res;
  EXPECT_EQ(out.results.size(), 3u) << out.r.err;
  return out;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ParityEndToEnd, QaSphereAttachmentsAreUploadedAndLinkedInTheComment) {
  emulator_fixture emu;
  const auto run = run_qasphere_files(emu, "");
  ASSERT_FALSE(run.r.timed_out) << run.r.err;
  EXPECT_EQ(run.r.exit_code, 1) << run.r.err;
  const auto files = emu.tms().qasphere_files();
  ASSERT_EQ(files.size(), 3u) << run.r.err;
  std::string all;
  for (const auto& [id, res] : run.results) all += res.comment;
  for (const auto& f : files) EXPECT_EQ(count_of(all, "/qasphere/file/" + f.id + "/"), 1u) << f.id << all;
  std::size_t with_links = 0;
  for (const auto& [id, res] : run.results) {
    if (res.comment.find("<h4>Attachments:</h4><ul>") == std::string::npos) continue;
    ++with_links;
    EXPECT_EQ(res.comment.find("not uploaded"), std::string::npos) << res.comment;
  }
  EXPECT_EQ(with_links, 2u) << all;
  EXPECT_NE(all.find(">inline &lt;b&gt;.json</a>"), std::string::npos) << all;  // names are escaped
  EXPECT_EQ(run.r.err.find("incomplete"), std::string::npos) << run.r.err;
}

TEST(ParityEndToEnd, QaSphereAttachmentsOffOrRefusedCostTheFilesNeverTheResults) {
  {
    emulator_fixture emu;
    const auto run = run_qasphere_files(emu, "false");
    EXPECT_TRUE(emu.tms().qasphere_files().empty());
    std::string all;
    for (const auto& [id, res] : run.results) all += res.comment;
    EXPECT_EQ(count_of(all, "not uploaded (QAS_UPLOAD_ATTACHMENTS=false)"), 2u) << all;
  }
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST /api/public/v0/file/batch=413");
  emulator_fixture emu(o);
  const auto run = run_qasphere_files(emu, "");
  ASSERT_FALSE(run.r.timed_out) << run.r.err;
  EXPECT_TRUE(emu.tms().qasphere_files().empty());
  std::string all;
  for (const auto& [id, res] : run.results) all += res.comment;
  EXPECT_EQ(count_of(all, " not uploaded (HTTP 413"), 2u) << all;
  EXPECT_NE(run.r.err.find("attachments not uploaded: HTTP 413"), std::string::npos) << run.r.err;
}

// The reporter's lines ("gtest-tms: ..."), in order, without the prefix.
std::vector<std::string> reporter_lines(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("gtest-tms: ", 0) == 0) out.push_back(line.substr(11));
  return out;
}

// QASE_LOGGING_CONSOLE / QASE_LOGGING_FILE, as the official reporters name them: the reporter's lines go
// to logs/gtest-tms-<pid>.log under the working directory (each after its UTC time), and to stderr
// unless the console is off; the tests' own output is untouched.
TEST(ParityEndToEnd, LoggingOptionsPutTheReportersLinesInAFileAndOffTheConsole) {
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["QASE_LOGGING_CONSOLE"] = "false";
  env["QASE_LOGGING_FILE"] = "true";
  env["QASE_DEBUG"] = "true";
  const auto run_in = [&](const std::string& cwd) {
    std::filesystem::create_directories(cwd);
    process_options po;
    po.env = env;
    po.args = {"--gtest_filter=Alpha.*"};
    po.cwd = cwd;
    po.timeout = 180s;
    return run_process(fixture_path("fixture_modes"), po);
  };
  const auto log_lines = [](const std::string& cwd, std::string& name) {
    std::vector<std::string> files = list_files(cwd + "/logs");
    EXPECT_EQ(files.size(), 1u);
    if (files.empty()) return std::vector<std::string>{};
    name = std::filesystem::path(files[0]).filename().string();
    std::vector<std::string> out;
    std::istringstream in(read_file(files[0]));
    static const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (.*)$)");
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      EXPECT_TRUE(std::regex_match(line, m, stamped)) << line;
      out.push_back(m.size() > 2 ? m[2].str() : line);
    }
    return out;
  };

  const process_result quiet = run_in(emu.dir() + "/quiet");
  ASSERT_FALSE(quiet.timed_out) << quiet.err;
  EXPECT_TRUE(reporter_lines(quiet.err).empty()) << quiet.err;
  EXPECT_NE(quiet.out.find("[  PASSED  ]"), std::string::npos) << quiet.out;  // gtest's own output stays
  std::string name;
  const auto quiet_log = log_lines(emu.dir() + "/quiet", name);
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(gtest-tms-\d+\.log)"))) << name;
  const auto has = [](const std::vector<std::string>& lines, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(has(quiet_log, "Qase: ")) << "no summary in the log";
  EXPECT_TRUE(has(quiet_log, "debug: Qase POST /v2/DEMO/run/")) << "no request line in the log";
  EXPECT_TRUE(no_secret_in(quiet, emu.dir()));

  // Console and file both on: the same lines in both places.
  env["QASE_LOGGING_CONSOLE"] = "true";
  const process_result both = run_in(emu.dir() + "/both");
  ASSERT_FALSE(both.timed_out) << both.err;
  const auto both_log = log_lines(emu.dir() + "/both", name);
  EXPECT_FALSE(both_log.empty());
  EXPECT_EQ(reporter_lines(both.err), both_log);
  EXPECT_TRUE(no_secret_in(both, emu.dir()));
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

// Handler-level tests of the TMS emulator: requests go straight into tms_emulator::handle (no sockets).

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json.hpp>

#include "emulator/emulator.hpp"
#include "str_cat.hpp"

namespace gtest_tms::detail::emulator {
namespace {

using testing_support::str_cat;

namespace json = boost::json;

constexpr const char* qase_token = "qase-secret-token-123";
constexpr const char* qas_key = "tnt1.key1.s3cr3tT0ken";

emulator_options base_options() {
  emulator_options o;
  o.qase_tokens = {qase_token};
  o.qasphere_keys = {{qas_key, key_state::active},
                     {"tnt1.key2.other", key_state::active},
                     {"tnt2.susp.zzz", key_state::suspended},
                     {"tnt3.dom.yyy", key_state::wrong_domain}};
  return o;
}

server_request make(const std::string& method, const std::string& target, const std::string& body = "",
                    std::vector<http_header> headers = {}) {
  server_request r;
  r.method = method;
  r.target = target;
  r.body = body;
  r.headers = std::move(headers);
  if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
  return r;
}

json::value parse(const server_reply& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec) return json::value(r.body);  // keep the text so a failing check shows it
  return v;
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

// --- Qase helpers ---------------------------------------------------------------------------------

server_reply qase(tms_emulator& e, const std::string& method, const std::string& target, const std::string& body = "") {
  return e.handle(make(method, target, body, {{"Token", qase_token}}));
}

json::object result(const std::string& title, const std::string& status, const std::string& id = "") {
  json::object r{{"title", title}, {"execution", {{"status", status}, {"duration", 5}}}};
  if (!id.empty()) r["id"] = id;
  return r;
}

std::string results_body(const json::array& results) { return json::serialize(json::object{{"results", results}}); }

std::int64_t create_qase_run(tms_emulator& e, const std::string& title = "nightly") {
  auto r = qase(e, "POST", "/v1/run/DEMO", json::serialize(json::object{{"title", title}, {"is_autotest", true}}));
  EXPECT_EQ(r.status, 200) << r.body;
  return parse(r).at("result").at("id").as_int64();
}

// --- QA Sphere helpers ----------------------------------------------------------------------------

server_reply qas(tms_emulator& e, const std::string& method, const std::string& path, const std::string& body = "",
                 const std::string& key = qas_key) {
  return e.handle(make(method, "/api/public/v0" + path, body, {{"Authorization", "ApiKey " + key}}));
}

std::int64_t create_qas_run(tms_emulator& e, const std::string& title, const json::array& tcase_ids) {
  json::object body{
      {"title", title}, {"type", "static_struct"}, {"queryPlans", json::array{{{"tcaseIds", tcase_ids}}}}};
  auto r = qas(e, "POST", "/project/BD/run", json::serialize(body));
  EXPECT_EQ(r.status, 200) << r.body;
  return parse(r).at("id").as_int64();
}

json::object item(const std::string& tcase, const std::string& status, json::value time_taken = 10) {
  return {{"tcaseId", tcase}, {"status", status}, {"comment", ""}, {"timeTaken", time_taken}};
}

std::string items_body(const json::array& items) { return json::serialize(json::object{{"items", items}}); }

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("gtest_tms_emulator_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// =================================================================================================
// Qase
// =================================================================================================

TEST(EmulatorQase, MissingOrWrongTokenIs401) {
  tms_emulator e(base_options());
  for (auto headers : {std::vector<http_header>{}, std::vector<http_header>{{"Token", "nope"}},
                       std::vector<http_header>{{"Authorization", std::string("Bearer ") + qase_token}}}) {
    auto r = e.handle(make("GET", "/v1/project/DEMO", "", headers));
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(parse(r), json::parse(R"({"status":false,"errorMessage":"Unauthenticated."})"));
  }
  // Header names are case-insensitive.
  EXPECT_EQ(e.handle(make("GET", "/v1/project/DEMO", "", {{"token", qase_token}})).status, 200);
}

TEST(EmulatorQase, ProjectLookup) {
  auto o = base_options();
  o.qase_projects = {"DEMO", "APP"};
  tms_emulator e(o);
  auto ok = qase(e, "GET", "/v1/project/APP");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(parse(ok).at("result").at("code"), "APP");
  auto missing = qase(e, "GET", "/v1/project/NOPE");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(parse(missing).at("status"), false);
  EXPECT_EQ(qase(e, "POST", "/v1/run/NOPE", R"({"title":"x"})").status, 404);
  EXPECT_TRUE(e.qase_runs().empty());
}

TEST(EmulatorQase, CreateRunReturnsIncreasingIdsAndKeepsTheRequest) {
  tms_emulator e(base_options());
  auto r = qase(e, "POST", "/v1/run/DEMO", R"({"title":"CI #42","description":"","is_autotest":true,"tags":["a"],
                                                "start_time":"2026-08-20 10:15:02","environment_slug":"local"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r), json::parse(R"({"status":true,"result":{"id":1}})"));
  EXPECT_EQ(create_qase_run(e, "second"), 2);
  auto runs = e.qase_runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].title, "CI #42");
  EXPECT_EQ(runs[0].request.at("environment_slug"), "local");
  EXPECT_FALSE(runs[0].completed);
}

TEST(EmulatorQase, CreateRunValidationIsLaravelStyle422) {
  tms_emulator e(base_options());
  struct bad {
    std::string body;
    std::string field;
    std::string message;
  };
  std::vector<bad> cases{
      {R"({})", "title", "The title field is required."},
      {R"({"title":""})", "title", "The title field is required."},
      {R"({"title":7})", "title", "The title must be a string."},
      {json::serialize(json::object{{"title", std::string(256, 'x')}}), "title",
       "The title must not be greater than 255 characters."},
      {json::serialize(json::object{{"title", "t"}, {"description", std::string(10001, 'd')}}), "description",
       "The description must not be greater than 10000 characters."},
      {R"({"title":"t","is_autotest":"yes"})", "is_autotest", "The is autotest field must be true or false."},
      {R"({"title":"t","environment_id":0})", "environment_id", "The environment id must be at least 1."},
      {R"({"title":"t","plan_id":"3"})", "plan_id", "The plan id must be an integer."},
      {R"({"title":"t","cases":[1,"2"]})", "cases.1", "The cases.1 must be an integer."},
      {R"({"title":"t","tags":"nightly"})", "tags", "The tags must be an array."},
      {R"({"title":"t","start_time":"2026-08-20T10:15:02Z"})", "start_time",
       "The start time does not match the format Y-m-d H:i:s."},
  };
  for (const auto& c : cases) {
    auto r = qase(e, "POST", "/v1/run/DEMO", c.body);
    EXPECT_EQ(r.status, 422) << c.body;
    auto v = parse(r);
    ASSERT_TRUE(v.is_object()) << r.body;
    EXPECT_EQ(str(v.at("message")), c.message) << c.body;
    ASSERT_TRUE(v.at("errors").as_object().contains(c.field)) << r.body;
    EXPECT_EQ(str(v.at("errors").at(c.field).at(0)), c.message);
  }
  // 255 characters (counted as characters, not bytes) is fine.
  std::string title;
  for (int i = 0; i < 255; ++i) title += "\xC3\xA9";  // é
  EXPECT_EQ(qase(e, "POST", "/v1/run/DEMO", json::serialize(json::object{{"title", title}})).status, 200);
  EXPECT_EQ(qase(e, "POST", "/v1/run/DEMO", "{not json").status, 400);
  EXPECT_EQ(e.qase_runs().size(), 1u);
}

TEST(EmulatorQase, GetRunReflectsCompletionAndStats) {
  tms_emulator e(base_options());
  auto id = create_qase_run(e);
  ASSERT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results",
                 results_body({result("A", "passed", "u1"), result("B", "failed", "u2"), result("C", "passed", "u3")}))
                .status,
            202);
  auto before = parse(qase(e, "GET", str_cat("/v1/run/DEMO/", id)));
  EXPECT_EQ(before.at("result").at("status"), 0);
  EXPECT_EQ(before.at("result").at("stats").at("total"), 3);
  EXPECT_EQ(before.at("result").at("stats").at("statuses").at("passed"), 2);
  EXPECT_EQ(before.at("result").at("stats").at("statuses").at("failed"), 1);
  ASSERT_EQ(qase(e, "POST", "/v1/run/DEMO/1/complete").status, 200);
  auto after = parse(qase(e, "GET", "/v1/run/DEMO/1"));
  EXPECT_EQ(after.at("result").at("status"), 1);
  EXPECT_EQ(after.at("result").at("status_text"), "complete");
  EXPECT_EQ(qase(e, "GET", "/v1/run/DEMO/99").status, 404);
  EXPECT_EQ(qase(e, "GET", "/v1/run/DEMO/abc").status, 404);
}

TEST(EmulatorQase, BulkResultsAreAcceptedWith202AndStored) {
  tms_emulator e(base_options());
  auto id = create_qase_run(e);
  json::object full = result("ParsesEmptyInput", "failed", "6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11");
  full["testops_ids"] = json::array{42};
  full["relations"] = {{"suite",
                        {{"data", json::array{{{"title", "parser_tests"}, {"public_id", nullptr}},
                                              {{"title", "Parser"}, {"public_id", nullptr}}}}}}};
  full["params"] = {{"n", "1"}};
  // Not json::array{json::array{"n"}}: Clang reads a one-element list of an array as a copy of it.
  json::array groups;
  groups.emplace_back(json::array{"n"});
  full["param_groups"] = std::move(groups);
  full["fields"] = {{"severity", "major"}};
  full["steps"] = json::array{{{"data", {{"action", "open"}}},
                               {"execution", {{"status", "passed"}}},
                               {"steps", json::array{{{"data", {{"action", "nested"}}}}}}}};
  full["message"] = nullptr;
  full["execution"].as_object()["stacktrace"] = "parser_test.cc:17";
  full["execution"].as_object()["start_time"] = 1758786805.233;
  auto r = qase(e, "POST", str_cat("/v2/DEMO/run/", id, "/results"), results_body({full, result("Other", "skipped")}));
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(parse(r), json::parse(R"({"status":true})"));
  auto stored = e.qase_results(id);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0], full);
  EXPECT_EQ(stored[1].at("title"), "Other");
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/77/results", results_body({result("x", "passed")})).status, 404);
}

// 16 nested steps (the most the reporter sends) are a JSON document about 35 levels deep.
TEST(EmulatorQase, SixteenNestedStepsAreAccepted) {
  tms_emulator e(base_options());
  auto id = create_qase_run(e);
  json::array steps;
  for (int i = 0; i < 16; ++i) {
    json::object st{{"data", {{"action", str_cat("level ", 16 - i)}}}, {"execution", {{"status", "passed"}}}};
    if (!steps.empty()) st["steps"] = steps;
    steps = json::array{st};
  }
  json::object r = result("Deep", "passed", "6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d12");
  r["steps"] = steps;
  const auto reply = qase(e, "POST", str_cat("/v2/DEMO/run/", id, "/results"), results_body({r}));
  ASSERT_EQ(reply.status, 202) << reply.body;
  ASSERT_EQ(e.qase_results(id).size(), 1u);
  EXPECT_EQ(e.qase_results(id)[0].at("steps"), steps);
}

TEST(EmulatorQase, InvalidStatusRejectsTheWholeBatchWith422) {
  auto o = base_options();
  o.qase_extra_statuses = {"flaky"};
  tms_emulator e(o);
  auto id = create_qase_run(e);
  auto r =
      qase(e, "POST", "/v2/DEMO/run/1/results",
           results_body({result("a", "passed"), result("b", "flaky"), result("c", "passed"), result("d", "disabled")}));
  ASSERT_EQ(r.status, 422);
  auto v = parse(r);
  EXPECT_EQ(v.at("message"), "The selected results.3.execution.status is invalid.");
  EXPECT_EQ(v.at("errors").at("results.3.execution.status").at(0),
            "The selected results.3.execution.status is invalid.");
  EXPECT_EQ(v.at("errors").as_object().size(), 1u);  // the custom status "flaky" is fine
  EXPECT_TRUE(e.qase_results(id).empty());

  json::object no_title{{"execution", {{"status", "passed"}}}};
  json::object no_exec{{"title", "t"}};
  auto r2 = qase(e, "POST", "/v2/DEMO/run/1/results", results_body({no_title, no_exec}));
  ASSERT_EQ(r2.status, 422);
  auto v2 = parse(r2);
  EXPECT_TRUE(v2.at("errors").as_object().contains("results.0.title"));
  EXPECT_TRUE(v2.at("errors").as_object().contains("results.1.execution"));
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", R"({"results":[]})").status, 422);
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", R"({"results":{}})").status, 422);
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", "garbage").status, 400);
  EXPECT_TRUE(e.qase_results(id).empty());
}

TEST(EmulatorQase, DataErrorsRejectTheBatchWith400AndFieldPaths) {
  tms_emulator e(base_options());
  create_qase_run(e);
  struct bad {
    std::function<void(json::object&)> edit;
    std::string field;
  };
  std::vector<bad> cases{
      {[](json::object& r) { r["testops_ids"] = json::array{}; }, "results.0.testops_ids"},
      {[](json::object& r) {
         r["testops_ids"] = json::array{3, 0};
       },
       "results.0.testops_ids.1"},
      {[](json::object& r) { r["testops_id"] = 0; }, "results.0.testops_id"},
      {[](json::object& r) {
         r["params"] = {{"n", 1}};
       },
       "results.0.params.n"},
      {[](json::object& r) {
         r["fields"] = {{"muted", false}};
       },
       "results.0.fields.muted"},
      {[](json::object& r) {
         r["steps"] = json::array{{{"data", {{"action", nullptr}}}}};
       },
       "results.0.steps.0.data.action"},
      {[](json::object& r) {
         r["steps"] = json::array{{{"data", {{"action", ""}}}}};
       },
       "results.0.steps.0.data.action"},
      {[](json::object& r) {
         r["steps"] = json::array{{{"data", {{"action", "a"}}},
                                   {"steps", json::array{{{"data", {{"action", "b"}}}}, {{"data", {{"action", 5}}}}}}}};
       },
       "results.0.steps.0.steps.1.data.action"},
      {[](json::object& r) {
         r["steps"] = json::array{{{"data", {{"action", "a"}}}, {"execution", {{"status", "disabled"}}}}};
       },
       "results.0.steps.0.execution.status"},
      {[](json::object& r) { r["execution"].as_object()["duration"] = 1.5; }, "results.0.execution.duration"},
      {[](json::object& r) { r["execution"].as_object()["start_time"] = "now"; }, "results.0.execution.start_time"},
      {[](json::object& r) {
         r["relations"] = {{"suite", {{"data", json::array{{{"public_id", 1}}}}}}};
       },
       "results.0.relations.suite.data.0.title"},
      {[](json::object& r) {
         r["testops_id"] = 1;
         r["testops_ids"] = json::array{2};
       },
       "results.0.testops_id"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto r0 = result("t", "passed");
    cases[i].edit(r0);
    auto r = qase(e, "POST", "/v2/DEMO/run/1/results", results_body({r0, result("ok", "passed")}));
    ASSERT_EQ(r.status, 400) << "case " << i << ": " << r.body;
    auto v = parse(r);
    EXPECT_EQ(v.at("status"), false);
    EXPECT_EQ(v.at("errorMessage"), "Data is invalid.");
    EXPECT_EQ(str(v.at("errorFields").at(0).at("field")), cases[i].field) << "case " << i << ": " << r.body;
  }
  EXPECT_TRUE(e.qase_results(1).empty());
}

TEST(EmulatorQase, MoreThan200ResultsIs413AndNothingIsStored) {
  tms_emulator e(base_options());
  create_qase_run(e);
  json::array many;
  for (int i = 0; i < 201; ++i) many.push_back(result(str_cat("t", i), "passed", str_cat("id", i)));
  auto r = qase(e, "POST", "/v2/DEMO/run/1/results", results_body(many));
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(e.qase_results(1).empty());
  many.pop_back();
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", results_body(many)).status, 202);
  EXPECT_EQ(e.qase_results(1).size(), 200u);

  auto big = result("ctx", "failed");
  big["execution"].as_object()["error_context"] = std::string(2100000, 'x');
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", results_body({big, big})).status, 413);
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", results_body({big})).status, 202);
}

TEST(EmulatorQase, ResentResultIdsAreAcceptedButStoredOnce) {
  tms_emulator e(base_options());
  create_qase_run(e);
  auto batch = results_body({result("A", "passed", "u1"), result("B", "failed", "u2")});
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", batch).status, 202);
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", batch).status, 202);  // a retry after a lost reply
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results",
                 results_body({result("B", "failed", "u2"), result("C", "passed", "u3"), result("C", "passed", "u3")}))
                .status,
            202);
  auto stored = e.qase_results(1);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[2].at("title"), "C");
  // Without an id every post stores a new result: the duplicate problem of real reporters.
  auto no_id = results_body({result("D", "passed")});
  qase(e, "POST", "/v2/DEMO/run/1/results", no_id);
  qase(e, "POST", "/v2/DEMO/run/1/results", no_id);
  EXPECT_EQ(e.qase_results(1).size(), 5u);
  // Idempotency is per run.
  create_qase_run(e, "other");
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/2/results", batch).status, 202);
  EXPECT_EQ(e.qase_results(2).size(), 2u);
}

TEST(EmulatorQase, CompletedRunRejectsResultsAndRepeatedCompletion) {
  tms_emulator e(base_options());
  create_qase_run(e);
  auto done = qase(e, "POST", "/v1/run/DEMO/1/complete");
  ASSERT_EQ(done.status, 200);
  EXPECT_EQ(parse(done), json::parse(R"({"status":true})"));
  auto late = qase(e, "POST", "/v2/DEMO/run/1/results", results_body({result("late", "passed", "u9")}));
  EXPECT_EQ(late.status, 400);
  EXPECT_EQ(parse(late), json::parse(R"({"status":false,"errorMessage":"Test run is not active"})"));
  EXPECT_TRUE(e.qase_results(1).empty());
  auto again = qase(e, "POST", "/v1/run/DEMO/1/complete");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(e.qase_complete_count(1), 2);
  EXPECT_TRUE(e.qase_runs().at(0).completed);
  EXPECT_EQ(qase(e, "POST", "/v1/run/DEMO/5/complete").status, 404);
  EXPECT_EQ(e.qase_complete_count(5), 0);
}

TEST(EmulatorQase, SingleResultEndpoint) {
  tms_emulator e(base_options());
  create_qase_run(e);
  auto ok = qase(e, "POST", "/v2/DEMO/run/1/result", json::serialize(result("one", "passed", "s1")));
  ASSERT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(parse(ok).at("result").at("case_id"), nullptr);
  EXPECT_EQ(str(parse(ok).at("result").at("hash")).size(), 40u);
  auto bad = qase(e, "POST", "/v2/DEMO/run/1/result", json::serialize(result("one", "disabled")));
  ASSERT_EQ(bad.status, 422);
  EXPECT_TRUE(parse(bad).at("errors").as_object().contains("execution.status"));  // no "results.N." prefix here
  EXPECT_EQ(e.qase_results(1).size(), 1u);
}

TEST(EmulatorQase, AttachmentUploadReturnsHashesInOrder) {
  tms_emulator e(base_options());
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file[]\"; filename=\"log.txt\"\r\nContent-Type: "
      "text/plain\r\n\r\n"
      "hello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file[]\"; filename=\"shot.png\"\r\n"
      "Content-Type: image/png\r\n\r\n\x89PNG\r\n\r\n--XyZ--\r\n";
  server_request req = make("POST", "/v1/attachment/DEMO", "", {{"Token", qase_token}});
  req.body = body;
  req.headers.push_back({"Content-Type", "multipart/form-data; boundary=XyZ"});
  auto r = e.handle(req);
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = parse(r);
  ASSERT_EQ(v.at("result").as_array().size(), 2u);
  // sha256("hello")
  EXPECT_EQ(v.at("result").at(0).at("hash"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(v.at("result").at(0).at("filename"), "log.txt");
  EXPECT_EQ(v.at("result").at(1).at("extension"), "png");
  EXPECT_EQ(e.qase_attachments().size(), 2u);
  // The recorded body lists the files, not their bytes.
  EXPECT_EQ(e.requests().back().body.at("files").at(1).at("size"), 6);

  std::string wrong_name =
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n--XyZ--\r\n";
  req.body = wrong_name;
  EXPECT_EQ(e.handle(req).status, 422);
  auto plain = qase(e, "POST", "/v1/attachment/DEMO", R"({"file":"x"})");
  EXPECT_EQ(plain.status, 400);
}

// =================================================================================================
// QA Sphere
// =================================================================================================

TEST(EmulatorQasphere, AuthenticationFormsAndErrors) {
  tms_emulator e(base_options());
  auto with = [&](std::vector<http_header> h) {
    return e.handle(make("GET", "/api/public/v0/users/me", "", std::move(h)));
  };
  auto expect = [&](const server_reply& r, int status, const std::string& msg) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(parse(r), (json::object{{"message", msg}}));
  };
  expect(with({}), 401, "Missing API key");
  expect(with({{"Authorization", std::string("Basic ") + qas_key}}), 401, "Missing API key");
  expect(with({{"Authorization", "ApiKey"}}), 401, "Missing API key");
  expect(with({{"Authorization", "ApiKey a.b"}}), 401, "Invalid API key format");
  expect(with({{"Authorization", "ApiKey a..c"}}), 401, "Invalid API key format");
  expect(with({{"Authorization", "ApiKey .b.c"}}), 401, "Invalid API key format");
  expect(with({{"Authorization", "ApiKey a.b.c.d"}}), 401, "Invalid API key format");
  expect(with({{"Authorization", "ApiKey tnt1.key1.wrong"}}), 401, "Invalid credentials");
  expect(with({{"Authorization", "ApiKey tnt2.susp.zzz"}}), 403, "Tenant suspended");
  expect(with({{"Authorization", "Bearer tnt3.dom.yyy"}}), 400, "Wrong domain");
  for (const char* scheme : {"ApiKey ", "Bearer ", "bearer "}) {
    auto ok = with({{"authorization", scheme + std::string(qas_key)}});
    ASSERT_EQ(ok.status, 200) << scheme;
    EXPECT_TRUE(parse(ok).at("user").as_object().contains("email"));
  }
  // A Qase token is no QA Sphere key.
  expect(e.handle(make("GET", "/api/public/v0/users/me", "", {{"Token", qase_token}})), 401, "Missing API key");
}

TEST(EmulatorQasphere, ProjectsAndMarkerLookup) {
  tms_emulator e(base_options());
  EXPECT_EQ(qas(e, "GET", "/project/BD").status, 200);
  EXPECT_EQ(parse(qas(e, "GET", "/project/BD")).at("code"), "BD");
  EXPECT_EQ(qas(e, "GET", "/project/XX").status, 404);
  EXPECT_EQ(parse(qas(e, "GET", "/project")).at("projects").as_array().size(), 1u);

  auto r = qas(e, "POST", "/project/BD/tcase/seq",
               R"({"seqIds":["BD-020","BD-001","BD-999","XX-002","BD-0003","bd-004","BD-1"],"offset":0,"limit":5000})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto v = parse(r);
  EXPECT_EQ(v.at("total"), 4);  // BD-1 and BD-001 are the same case; bd- matches case-insensitively
  std::vector<std::string> ids;
  for (const auto& tc : v.at("data").as_array()) ids.push_back(str(tc.at("id")));
  EXPECT_EQ(ids, (std::vector<std::string>{"tc0001", "tc0003", "tc0004", "tc0020"}));
}

TEST(EmulatorQasphere, MarkerLookupPagination) {
  tms_emulator e(base_options());
  json::array seqs;
  for (int i = 1; i <= 20; ++i) {
    char m[16];
    std::snprintf(m, sizeof m, "BD-%03d", i);
    seqs.push_back(json::string(m));
  }
  auto page = [&](int offset, int limit) {
    return parse(qas(e, "POST", "/project/BD/tcase/seq",
                     json::serialize(json::object{{"seqIds", seqs}, {"offset", offset}, {"limit", limit}})));
  };
  auto p1 = page(0, 8);
  EXPECT_EQ(p1.at("total"), 20);
  EXPECT_EQ(p1.at("data").as_array().size(), 8u);
  EXPECT_EQ(p1.at("data").at(0).at("seq"), 1);
  auto p3 = page(16, 8);
  EXPECT_EQ(p3.at("data").as_array().size(), 4u);
  EXPECT_EQ(p3.at("data").at(0).at("seq"), 17);
  EXPECT_EQ(page(0, 0).at("data").as_array().size(), 0u);
  EXPECT_EQ(qas(e, "POST", "/project/BD/tcase/seq", R"({"seqIds":["BD-001"],"limit":5001})").status, 400);
  EXPECT_EQ(qas(e, "POST", "/project/BD/tcase/seq", R"({"seqIds":["BD-001"],"page":1})").status, 400);
}

TEST(EmulatorQasphere, CreateRunRules) {
  tms_emulator e(base_options());
  auto post = [&](const std::string& body) { return qas(e, "POST", "/project/BD/run", body); };
  auto ok = post(
      R"({"title":"Smoke","description":"d","type":"static_struct","queryPlans":[{"tcaseIds":["tc0002","tc0001"]}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(parse(ok), json::parse(R"({"id":1})"));
  EXPECT_EQ(e.qasphere_runs().at(0).tcase_ids, (std::vector<std::string>{"tc0001", "tc0002"}));

  auto dup = post(R"({"title":"Smoke","type":"static","queryPlans":[{"tcaseIds":["tc0003"]}]})");
  EXPECT_EQ(dup.status, 403);
  EXPECT_EQ(parse(dup).at("message"), "run title must be unique within the milestone, conflicting run id: 1");
  // Another milestone is another scope.
  EXPECT_EQ(post(R"({"title":"Smoke","type":"static","milestoneId":3,"queryPlans":[{"tcaseIds":["tc0003"]}]})").status,
            200);

  for (const char* bad : {
           R"({"title":"x","type":"static","queryPlans":[{"tcaseIds":["tc0001"]}],"extra":1})",
           R"({"title":"x","type":"static","queryPlans":[{"tcaseIds":["tc0001"],"junk":[]}]})",
           R"({"title":"x","type":"static","queryPlans":[{"tcaseIds":["tc0001"]},{"folderIds":[1]}]})",
           R"({"title":"x","type":"live","queryPlans":[{"tcaseIds":["tc0001"]}]})",
           R"({"title":"x","type":"dynamic","queryPlans":[{"tcaseIds":["tc0001"]}]})",
           R"({"title":"x","queryPlans":[{"tcaseIds":["tc0001"]}]})",
           R"({"title":"","type":"static","queryPlans":[{"tcaseIds":["tc0001"]}]})",
           R"({"title":"x","type":"static","queryPlans":[]})",
           R"({"title":"x","type":"static","queryPlans":[{}]})",
           R"({"title":"x","type":"static","queryPlans":[{"tcaseIds":["nope"]}]})",
           R"({"title":"x","type":"static","queryPlans":[{"tcaseIds":[1]}]})",
       }) {
    auto r = post(bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_TRUE(parse(r).as_object().contains("message")) << r.body;
  }
  EXPECT_EQ(post(json::serialize(json::object{{"title", std::string(256, 't')},
                                              {"type", "static"},
                                              {"queryPlans", json::array{{{"tcaseIds", json::array{"tc0001"}}}}}}))
                .status,
            400);
  EXPECT_EQ(post(json::serialize(json::object{{"title", "long description"},
                                              {"type", "static"},
                                              {"description", std::string(513, 'd')},
                                              {"queryPlans", json::array{{{"tcaseIds", json::array{"tc0001"}}}}}}))
                .status,
            400);
  EXPECT_EQ(e.qasphere_runs().size(), 2u);

  // Folder and priority filters intersect within a plan; live runs may unite several plans.
  auto folder =
      post(R"({"title":"Folder 2 high","type":"static","queryPlans":[{"folderIds":[2],"priorities":["high"]}]})");
  ASSERT_EQ(folder.status, 200) << folder.body;
  EXPECT_EQ(e.qasphere_runs().back().tcase_ids, (std::vector<std::string>{"tc0012", "tc0015", "tc0018"}));
  auto live = post(
      R"({"title":"Live","type":"live","queryPlans":[{"folderIds":[1],"priorities":["high"]},{"priorities":["high"],"folderIds":[2]}]})");
  ASSERT_EQ(live.status, 200) << live.body;
  EXPECT_EQ(e.qasphere_runs().back().tcase_ids.size(), 6u);
}

TEST(EmulatorQasphere, BatchResultsCheckRunMembershipAndFields) {
  tms_emulator e(base_options());
  auto run = create_qas_run(e, "Batch", {"tc0001", "tc0002", "tc0003"});
  std::string path = str_cat("/project/BD/run/", run, "/result/batch");
  auto ok = qas(e, "POST", path,
                items_body({item("tc0001", "passed"), item("tc0002", "failed", nullptr), item("tc0003", "custom2")}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(parse(ok), json::parse(R"({"ids":[1,2,3]})"));
  auto stored = e.qasphere_results(run);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].time_taken, 10);
  EXPECT_FALSE(stored[1].time_taken.has_value());
  EXPECT_EQ(stored[2].status, "custom2");

  // One bad item rejects the whole batch: nothing of it is stored.
  auto outsider = qas(e, "POST", path, items_body({item("tc0001", "passed"), item("tc0009", "passed")}));
  EXPECT_EQ(outsider.status, 400);
  EXPECT_EQ(parse(outsider).at("message"), "items[1]: test case \"tc0009\" is not part of run 1");
  auto no_comment = item("tc0001", "passed");
  no_comment.erase("comment");
  for (const auto& bad_items : std::vector<json::array>{{item("tc0001", "disabled")},
                                                        {item("tc0001", "passed", -1)},
                                                        {item("tc0001", "passed", 1.5)},
                                                        {item("tc0001", "passed", "12")},
                                                        {no_comment},
                                                        {json::object{{"status", "passed"}, {"comment", ""}}},
                                                        {}}) {
    auto r = qas(e, "POST", path, items_body(bad_items));
    EXPECT_EQ(r.status, 400) << json::serialize(bad_items) << " -> " << r.body;
  }
  EXPECT_EQ(e.qasphere_results(run).size(), 3u);
  EXPECT_EQ(qas(e, "POST", "/project/BD/run/42/result/batch", items_body({item("tc0001", "passed")})).status, 404);

  // The run's case list shows the latest status per case.
  auto list = parse(qas(e, "GET", "/project/BD/run/1/tcase"));
  ASSERT_EQ(list.at("tcases").as_array().size(), 3u);
  EXPECT_EQ(list.at("tcases").at(0).at("status"), "passed");
  EXPECT_EQ(list.at("tcases").at(1).at("status"), "failed");
  EXPECT_EQ(list.at("tcases").at(0).at("seq"), 1);
}

TEST(EmulatorQasphere, SingleResultByIdOrSequence) {
  tms_emulator e(base_options());
  auto run = create_qas_run(e, "Single", {"tc0005", "tc0006"});
  std::string base = str_cat("/project/BD/run/", run, "/tcase/");
  auto by_seq = qas(e, "POST", base + "5/result", R"({"status":"blocked","comment":"<p>x</p>","timeTaken":3})");
  ASSERT_EQ(by_seq.status, 200) << by_seq.body;
  EXPECT_EQ(parse(by_seq), json::parse(R"({"id":1})"));
  EXPECT_EQ(qas(e, "POST", base + "tc0006/result", R"({"status":"passed","comment":""})").status, 200);
  EXPECT_EQ(qas(e, "POST", base + "7/result", R"({"status":"passed","comment":""})").status, 400);  // not in the run
  EXPECT_EQ(qas(e, "POST", base + "99/result", R"({"status":"passed","comment":""})").status, 404);
  EXPECT_EQ(qas(e, "POST", base + "5/result", R"({"status":"passed","comment":"","tcaseId":"tc0005"})").status, 400);
  auto stored = e.qasphere_results(run);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].tcase_id, "tc0005");
  EXPECT_EQ(stored[0].status, "blocked");
}

TEST(EmulatorQasphere, CloseAndLog) {
  tms_emulator e(base_options());
  auto run = create_qas_run(e, "Close me", {"tc0001"});
  std::string base = str_cat("/project/BD/run/", run);
  EXPECT_EQ(qas(e, "POST", base + "/log", R"({"comment":""})").status, 400);
  auto log = qas(e, "POST", base + "/log", R"({"comment":"<p>SetUpTestSuite failed</p>"})");
  ASSERT_EQ(log.status, 200);
  EXPECT_TRUE(parse(log).at("id").is_string());
  auto closed = qas(e, "POST", base + "/close");
  ASSERT_EQ(closed.status, 200);
  EXPECT_EQ(parse(closed), json::parse(R"({"message":"Run closed"})"));
  EXPECT_EQ(qas(e, "POST", base + "/close").status, 400);
  EXPECT_EQ(e.qasphere_close_count(run), 2);
  auto late = qas(e, "POST", base + "/result/batch", items_body({item("tc0001", "passed")}));
  EXPECT_EQ(late.status, 400);
  EXPECT_TRUE(e.qasphere_results(run).empty());
  auto runs = e.qasphere_runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_TRUE(runs[0].closed);
  EXPECT_EQ(runs[0].logs, (std::vector<std::string>{"<p>SetUpTestSuite failed</p>"}));
}

TEST(EmulatorQasphere, RateLimitPerKeyPerSecond) {
  auto o = base_options();
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  o.clock = [&now] { return now; };
  tms_emulator e(o);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(qas(e, "GET", "/users/me").status, 200) << i;
    now += std::chrono::milliseconds(10);
  }
  auto limited = qas(e, "GET", "/users/me");
  EXPECT_EQ(limited.status, 429);
  ASSERT_EQ(limited.headers.size(), 1u);
  EXPECT_EQ(limited.headers[0].name, "Retry-After");
  EXPECT_EQ(limited.headers[0].value, "1");
  EXPECT_EQ(parse(limited).at("message"), "Too many requests, please try again later.");
  EXPECT_EQ(qas(e, "GET", "/users/me", "", "tnt1.key2.other").status, 200);  // another key, another window
  // The window slides: the first request (at t0) drops out 1 s after it was made.
  now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1) + std::chrono::seconds(1);
  EXPECT_EQ(qas(e, "GET", "/users/me").status, 200);
  EXPECT_EQ(qas(e, "GET", "/users/me").status, 429);

  auto off = base_options();
  off.qasphere_rate_limit = false;
  off.clock = [&now] { return now; };
  tms_emulator unlimited(off);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(qas(unlimited, "GET", "/users/me").status, 200) << i;
}

TEST(EmulatorQase, OptionalWorkspaceRateLimitPerMinute) {
  auto o = base_options();
  o.qase_tokens = {qase_token, "second-token"};
  o.qase_rate_limit_per_minute = 3;
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  o.clock = [&now] { return now; };
  tms_emulator e(o);
  auto first = qase(e, "GET", "/v1/project/DEMO");
  ASSERT_EQ(first.status, 200);
  auto header = [](const server_reply& r, const std::string& name) {
    for (const auto& h : r.headers)
      if (h.name == name) return h.value;
    return std::string("absent");
  };
  EXPECT_EQ(header(first, "X-RateLimit-Limit"), "3");
  EXPECT_EQ(header(first, "X-RateLimit-Remaining"), "2");
  now += std::chrono::seconds(20);
  EXPECT_EQ(qase(e, "GET", "/v1/project/DEMO").status, 200);
  // The limit is per workspace: another token shares it.
  EXPECT_EQ(e.handle(make("GET", "/v1/project/DEMO", "", {{"Token", "second-token"}})).status, 200);
  auto limited = qase(e, "POST", "/v1/run/DEMO", R"({"title":"t"})");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(header(limited, "Retry-After"), "40");  // the first request leaves the window 60 s after it came
  EXPECT_EQ(parse(limited), json::parse(R"({"status":false,"errorMessage":"API rate limit exceeded."})"));
  EXPECT_TRUE(e.qase_runs().empty());
  now += std::chrono::seconds(40);
  EXPECT_EQ(qase(e, "POST", "/v1/run/DEMO", R"({"title":"t"})").status, 200);
  // Off by default.
  tms_emulator unlimited(base_options());
  for (int i = 0; i < 700; ++i) ASSERT_EQ(qase(unlimited, "GET", "/v1/project/DEMO").headers.size(), 0u);
}

// =================================================================================================
// Fault plan
// =================================================================================================

TEST(EmulatorFaults, ParsesTheDocumentedSyntax) {
  auto plan = parse_fault_plan(
      "POST /v2/.*/results#1=429:retry-after=1;POST /v2/.*/results#2=503; POST /v1/run/.*#1=502;"
      "POST /v2/.*/results#3=reset_after_read;*=latency:20;/v1/project/.*#2..3=hang,latency:5;GET#4..=close;");
  ASSERT_EQ(plan.rules.size(), 7u);
  const auto& r0 = plan.rules[0];
  EXPECT_EQ(r0.method, "POST");
  EXPECT_EQ(r0.path_regex, "/v2/.*/results");
  EXPECT_EQ(r0.first, 1u);
  EXPECT_EQ(r0.last, 1u);
  EXPECT_EQ(r0.status, 429);
  EXPECT_EQ(r0.retry_after, 1);
  EXPECT_EQ(plan.rules[1].status, 503);
  EXPECT_EQ(plan.rules[1].retry_after, -1);
  EXPECT_EQ(plan.rules[2].path_regex, "/v1/run/.*");
  EXPECT_EQ(plan.rules[3].fault, server_fault::reset_after_read);
  EXPECT_EQ(plan.rules[4].method, "*");
  EXPECT_EQ(plan.rules[4].first, 0u);
  EXPECT_EQ(plan.rules[4].latency, std::chrono::milliseconds(20));
  EXPECT_EQ(plan.rules[5].method, "*");
  EXPECT_EQ(plan.rules[5].path_regex, "/v1/project/.*");
  EXPECT_EQ(plan.rules[5].first, 2u);
  EXPECT_EQ(plan.rules[5].last, 3u);
  EXPECT_EQ(plan.rules[5].fault, server_fault::hang);
  EXPECT_EQ(plan.rules[5].latency, std::chrono::milliseconds(5));
  EXPECT_EQ(plan.rules[6].method, "GET");
  EXPECT_EQ(plan.rules[6].first, 4u);
  EXPECT_EQ(plan.rules[6].last, 0u);
  EXPECT_TRUE(plan.rules[6].close);
  EXPECT_TRUE(parse_fault_plan("").rules.empty());
  EXPECT_TRUE(parse_fault_plan(" ; ").rules.empty());
}

TEST(EmulatorFaults, ABodyReplacesTheInjectedReply) {
  auto plan = parse_fault_plan("POST /v2/.*/results#2..=200:body=not json;*=200:retry-after=2:body=<html>a:b</html>");
  ASSERT_EQ(plan.rules.size(), 2u);
  EXPECT_EQ(plan.rules[0].status, 200);
  EXPECT_EQ(plan.rules[0].first, 2u);
  EXPECT_EQ(plan.rules[0].body, "not json");
  EXPECT_EQ(plan.rules[1].retry_after, 2);
  EXPECT_EQ(plan.rules[1].body, "<html>a:b</html>");
  EXPECT_EQ(plan.rules[1].content_type, "text/html");
  EXPECT_THROW(parse_fault_plan("*=200:body="), std::invalid_argument);
}

TEST(EmulatorFaults, RejectsMalformedRulesWithOneLine) {
  for (const char* bad : {"POST /x", "*=999", "*=latency:abc", "*#0=503", "*#3..2=503", "*=frobnicate", "POST [=503",
                          "*=503,reset_after_read", "*=429:retry=1", "post /x=503", "=503"}) {
    try {
      parse_fault_plan(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const std::invalid_argument& e) {
      std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos);
      EXPECT_NE(what.find("fault plan"), std::string::npos) << what;
    }
  }
}

TEST(EmulatorFaults, StatusFaultsPreemptProcessingInOrder) {
  auto o = base_options();
  o.faults = parse_fault_plan(
      "POST /v2/.*/results#1=429:retry-after=1;POST /v2/.*/results#2=503;POST /v1/run/.*#1=502;"
      "POST /v2/.*/results#3=reset_after_read;*=latency:20");
  o.latency = std::chrono::milliseconds(5);
  tms_emulator e(o);
  auto gateway = qase(e, "POST", "/v1/run/DEMO", R"({"title":"r"})");
  EXPECT_EQ(gateway.status, 502);
  EXPECT_EQ(gateway.content_type, "text/html");
  EXPECT_EQ(gateway.delay, std::chrono::milliseconds(25));
  EXPECT_TRUE(e.qase_runs().empty());  // not processed
  ASSERT_EQ(create_qase_run(e), 1);    // 2nd run creation passes

  auto batch = results_body({result("A", "passed", "u1")});
  auto first = qase(e, "POST", "/v2/DEMO/run/1/results", batch);
  EXPECT_EQ(first.status, 429);
  ASSERT_EQ(first.headers.size(), 1u);
  EXPECT_EQ(first.headers[0].value, "1");
  EXPECT_EQ(parse(first), json::parse(R"({"status":false,"errorMessage":"API rate limit exceeded."})"));
  EXPECT_EQ(qase(e, "POST", "/v2/DEMO/run/1/results", batch).status, 503);
  EXPECT_TRUE(e.qase_results(1).empty());
  auto lost = qase(e, "POST", "/v2/DEMO/run/1/results", batch);
  EXPECT_EQ(lost.fault, server_fault::reset_after_read);
  EXPECT_EQ(e.qase_results(1).size(), 1u);  // processed, only the reply was lost
  auto retry = qase(e, "POST", "/v2/DEMO/run/1/results", batch);
  EXPECT_EQ(retry.status, 202);
  EXPECT_EQ(retry.fault, server_fault::none);
  EXPECT_EQ(e.qase_results(1).size(), 1u);  // the retry is deduplicated by id

  auto log = e.requests();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_TRUE(log[0].injected);
  EXPECT_EQ(log[0].status, 502);
  EXPECT_FALSE(log[1].injected);
  EXPECT_EQ(log[4].fault, "reset_after_read");
  EXPECT_EQ(log[4].status, 0);
  EXPECT_EQ(to_json(log[4]).at("status"), "reset_after_read");
  EXPECT_TRUE(log[4].effects.contains("results"));
}

TEST(EmulatorFaults, ProgrammaticRuleWithOwnBody) {
  auto o = base_options();
  fault_rule r;
  r.method = "GET";
  r.path_regex = "/v1/project/DEMO";
  r.first = 2;
  r.last = 2;
  r.status = 200;
  r.body = "{\"status\":true,\"result\":";  // truncated JSON with a success status
  r.content_type = "application/json";
  o.faults.rules.push_back(r);
  tms_emulator e(o);
  auto normal = qase(e, "GET", "/v1/project/DEMO");
  auto broken = qase(e, "GET", "/v1/project/DEMO");
  auto again = qase(e, "GET", "/v1/project/DEMO");
  EXPECT_NE(normal.body.find("\"code\":\"DEMO\""), std::string::npos);
  EXPECT_EQ(broken.status, 200);
  EXPECT_EQ(broken.body, "{\"status\":true,\"result\":");
  EXPECT_EQ(again.body, normal.body);
  EXPECT_TRUE(e.requests()[1].injected);
}

TEST(EmulatorFaults, ResetBeforeReadIsNotProcessedAndRangesCount) {
  auto o = base_options();
  o.faults = parse_fault_plan("POST /api/.*/run#1=reset_before_read;GET /api/public/v0/users/me#2..3=500");
  tms_emulator e(o);
  auto reset =
      qas(e, "POST", "/project/BD/run", R"({"title":"t","type":"static","queryPlans":[{"tcaseIds":["tc0001"]}]})");
  EXPECT_EQ(reset.fault, server_fault::reset_before_read);
  EXPECT_TRUE(e.qasphere_runs().empty());
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) statuses.push_back(qas(e, "GET", "/users/me").status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 500, 500, 200, 200}));
  auto five_hundred = e.requests()[2];
  EXPECT_TRUE(five_hundred.injected);
  EXPECT_EQ(five_hundred.error, "Internal Server Error");
}

// =================================================================================================
// Recording and summary
// =================================================================================================

TEST(EmulatorRecording, NeverRecordsSecretsAndWritesJsonLines) {
  auto path = temp_path("log.jsonl");
  auto o = base_options();
  o.log_path = path;
  {
    tms_emulator e(o);
    create_qase_run(e);
    qase(e, "POST", "/v2/DEMO/run/1/results", results_body({result("A", "passed", "u1")}));
    e.handle(make("GET", "/v1/project/DEMO", "", {{"Token", "wrong-token-value"}}));
    qas(e, "GET", "/users/me");
    e.handle(make("GET", "/api/public/v0/users/me", "", {{"Authorization", "Bearer tnt1.key1.badsecretpart"}}));
    e.handle(make("GET", "/nowhere"));

    auto log = e.requests();
    ASSERT_EQ(log.size(), 6u);
    EXPECT_EQ(log[0].seq, 1u);
    EXPECT_EQ(log[0].system, "qase");
    EXPECT_EQ(log[0].method, "POST");
    EXPECT_EQ(log[0].path, "/v1/run/DEMO");
    EXPECT_EQ(log[0].status, 200);
    EXPECT_EQ(log[0].body.at("title"), "nightly");
    EXPECT_EQ(log[2].status, 401);
    EXPECT_EQ(log[2].error, "Unauthenticated.");
    EXPECT_EQ(log[3].system, "qasphere");
    EXPECT_EQ(log[5].system, "other");
    EXPECT_EQ(log[5].status, 404);

    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    for (const char* secret : {qase_token, qas_key, "wrong-token-value", "badsecretpart", "s3cr3tT0ken"})
      EXPECT_EQ(all.find(secret), std::string::npos) << secret;
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 6);

    auto loaded = load_request_log(path);
    ASSERT_EQ(loaded.size(), log.size());
    for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(to_json(loaded[i]), to_json(log[i])) << i;
    EXPECT_EQ(summarize(loaded), e.summary());
  }
  std::filesystem::remove(path);
}

TEST(EmulatorRecording, LoadRejectsBrokenLinesButToleratesATruncatedTail) {
  auto path = temp_path("broken.jsonl");
  {
    std::ofstream out(path);
    out << R"({"seq":1,"system":"qase","method":"GET","path":"/v1/project/DEMO","status":200,"body":null})"
        << "\n"
        << R"({"seq":2,"system":"qa)";
  }
  EXPECT_EQ(load_request_log(path).size(), 1u);
  {
    std::ofstream out(path);
    out << "not json\n"
        << R"({"seq":2})"
        << "\n";
  }
  EXPECT_THROW(load_request_log(path), std::runtime_error);
  std::filesystem::remove(path);
  EXPECT_THROW(load_request_log(path), std::runtime_error);
}

TEST(EmulatorRecording, SummaryIsDeterministicAndComplete) {
  auto o = base_options();
  o.faults = parse_fault_plan("POST /v2/.*/results#2=reset_after_read;POST /api/.*/result/batch#1=503");
  tms_emulator e(o);
  create_qase_run(e, "gtest nightly");
  json::object sum = result("Adds", "passed", "u1");
  sum["relations"] = {{"suite", {{"data", json::array{{{"title", "calc"}}, {{"title", "Calc"}}}}}}};
  json::object param = result("Divides", "failed", "u2");
  param["params"] = {{"b", "0"}, {"a", "1"}};
  qase(e, "POST", "/v2/DEMO/run/1/results", results_body({sum, result("Zeta", "skipped", "u3")}));
  qase(e, "POST", "/v2/DEMO/run/1/results", results_body({param}));  // reply lost, stored
  qase(e, "POST", "/v2/DEMO/run/1/results", results_body({param}));  // resent: duplicate
  qase(e, "POST", "/v2/DEMO/run/1/results", results_body({result("Bad", "disabled")}));
  qase(e, "POST", "/v1/run/DEMO/1/complete");
  qase(e, "POST", "/v1/run/DEMO/1/complete");

  auto run = create_qas_run(e, "QAS run", {"tc0001", "tc0002"});
  auto path = str_cat("/project/BD/run/", run);
  qas(e, "POST", path + "/result/batch", items_body({item("tc0002", "failed")}));  // 503 injected
  qas(e, "POST", path + "/result/batch", items_body({item("tc0002", "failed"), item("tc0001", "passed")}));
  qas(e, "POST", path + "/log", R"({"comment":"global setup failed"})");
  qas(e, "POST", path + "/close");

  const std::string expected =
      "Qase (emulated): 7 requests, 1 run, 2 rejected, 1 fault injected\n"
      "  Run 1 \"gtest nightly\" (DEMO): completed (2 complete requests, 1 rejected as repeats)\n"
      "    results stored: 3 (passed 1, failed 1, skipped 1); 1 resent duplicate ignored\n"
      "      failed   Divides [a=1, b=0]\n"
      "      skipped  Zeta\n"
      "      passed   calc > Calc > Adds\n"
      "  rejected requests:\n"
      "    #5 POST /v2/DEMO/run/1/results -> 422 The selected results.0.execution.status is invalid.\n"
      "    #7 POST /v1/run/DEMO/1/complete -> 400 Test run is already completed\n"
      "  injected faults:\n"
      "    #3 POST /v2/DEMO/run/1/results -> reset_after_read, request processed\n"
      "QA Sphere (emulated): 5 requests, 1 run, 0 rejected, 1 fault injected\n"
      "  Run 1 \"QAS run\" (BD): closed\n"
      "    run log entries: 1\n"
      "    results stored: 2 (passed 1, failed 1)\n"
      "      passed   BD-001 Test case 001\n"
      "      failed   BD-002 Test case 002\n"
      "  injected faults:\n"
      "    #9 POST /api/public/v0/project/BD/run/1/result/batch -> 503\n";
  EXPECT_EQ(e.summary(), expected);
  EXPECT_EQ(summarize({}), "No requests received.\n");
  // Order of the log entries does not matter, only their sequence numbers.
  auto log = e.requests();
  std::reverse(log.begin(), log.end());
  EXPECT_EQ(summarize(log), expected);
}

TEST(EmulatorRecording, ConcurrentRequestsAreAllRecorded) {
  tms_emulator e(base_options());
  create_qase_run(e);
  constexpr int threads = 4;
  constexpr int per_thread = 25;
  std::vector<std::thread> pool;
  std::atomic<int> accepted{0};
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = str_cat(t, "-", i);
        if (qase(e, "POST", "/v2/DEMO/run/1/results", results_body({result("t" + id, "passed", id)})).status == 202)
          ++accepted;
      }
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(accepted.load(), threads * per_thread);
  EXPECT_EQ(e.qase_results(1).size(), static_cast<std::size_t>(threads * per_thread));
  auto log = e.requests();
  ASSERT_EQ(log.size(), static_cast<std::size_t>(threads * per_thread + 1));
  for (std::size_t i = 0; i < log.size(); ++i) EXPECT_EQ(log[i].seq, i + 1);
}

}  // namespace
}  // namespace gtest_tms::detail::emulator

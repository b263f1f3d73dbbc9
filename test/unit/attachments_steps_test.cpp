// Attachments and steps: the per-test context (step tree, statuses, caps, threads), the multipart
// builder read back by the emulator's parser, and the Qase JSON / upload preparation.

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "emulator/multipart.hpp"
#include "fake_requester.hpp"
#include "gtest_tms/gtest_tms.hpp"
#include "listener/test_context.hpp"
#include "net/multipart.hpp"
#include "process.hpp"
#include "str_cat.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qase/qase_mapping.hpp"
#include "tms/qasphere/qasphere_backend.hpp"

namespace gtest_tms::detail {
namespace {

using testing_support::str_cat;

namespace json = boost::json;
using fakes::fake_requester;

// The process-wide context, started for the running test and always ended (so a failing check
// does not leak an active context into the next test).
class context_guard {
 public:
  context_guard() { test_context::instance().begin(); }
  ~context_guard() {
    if (test_context::instance().active()) (void)test_context::instance().end(nullptr);
  }
  test_context_data end() { return test_context::instance().end(current()); }
  static const testing::TestResult* current() {
    return testing::UnitTest::GetInstance()->current_test_info()->result();
  }
};

// --- steps ---------------------------------------------------------------------------------------

TEST(TestContext, NestedStepsBuildATreeInOrder) {
  context_guard g;
  {
    GTEST_TMS_STEP("open the file", "it opens");
    { GTEST_TMS_STEP("read the header"); }
    {
      step inner("parse the body");
      { step deepest("parse one record"); }
    }
  }
  { step second("close the file"); }
  const test_context_data d = g.end();
  ASSERT_EQ(d.steps.size(), 2u);
  EXPECT_EQ(d.steps[0].action, "open the file");
  EXPECT_EQ(d.steps[0].expected, "it opens");
  ASSERT_EQ(d.steps[0].children.size(), 2u);
  EXPECT_EQ(d.steps[0].children[0].action, "read the header");
  EXPECT_EQ(d.steps[0].children[1].action, "parse the body");
  ASSERT_EQ(d.steps[0].children[1].children.size(), 1u);
  EXPECT_EQ(d.steps[0].children[1].children[0].action, "parse one record");
  EXPECT_EQ(d.steps[1].action, "close the file");
  EXPECT_TRUE(d.steps[1].children.empty());
  for (const auto& s : d.steps) {
    EXPECT_EQ(s.status, test_status::passed);
    EXPECT_GT(s.start_ms, 0);
    EXPECT_GE(s.duration_ms, 0);
  }
  EXPECT_TRUE(d.notes.empty());
}

TEST(TestContext, AnExceptionLeavingAStepFailsItAndItsParents) {
  context_guard g;
  {
    step outer("outer");
    try {
      step inner("inner");
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    step after("after the exception");
  }
  const test_context_data d = g.end();
  ASSERT_EQ(d.steps.size(), 1u);
  ASSERT_EQ(d.steps[0].children.size(), 2u);
  EXPECT_EQ(d.steps[0].children[0].status, test_status::failed);
  EXPECT_EQ(d.steps[0].children[1].status, test_status::passed);
  // The exception was caught inside "outer": it did not leave it.
  EXPECT_EQ(d.steps[0].status, test_status::passed);
}

TEST(TestContext, StepsStillOpenAtTheEndAreClosed) {
  context_guard g;
  auto leaked = std::make_unique<step>("left open");
  auto child = std::make_unique<step>("child left open");
  const test_context_data d = g.end();
  ASSERT_EQ(d.steps.size(), 1u);
  ASSERT_EQ(d.steps[0].children.size(), 1u);
  EXPECT_EQ(d.steps[0].status, test_status::passed);
  // Destroying them after the test ended must not touch the next test's steps.
  test_context::instance().begin();
  { step fresh("next test"); }
  child.reset();
  leaked.reset();
  const test_context_data next = g.end();
  ASSERT_EQ(next.steps.size(), 1u);
  EXPECT_EQ(next.steps[0].action, "next test");
}

TEST(TestContext, StepsOnOtherThreadsAreIgnoredAttachmentsAreKept) {
  context_guard g;
  std::thread t([] {
    step ignored("from a worker");
    gtest_tms::attach("worker.txt", "from a worker");
  });
  t.join();
  const test_context_data d = g.end();
  EXPECT_TRUE(d.steps.empty());
  ASSERT_EQ(d.attachments.size(), 1u);
  EXPECT_EQ(d.attachments[0].name, "worker.txt");
  EXPECT_EQ(d.attachments[0].content, "from a worker");
}

TEST(TestContext, NothingIsRecordedWhenNoTestIsActive) {
  ASSERT_FALSE(test_context::instance().active());
  { step s("not recorded"); }
  gtest_tms::attach("a.txt", "not recorded");
  gtest_tms::attach("/etc/hostname");
  test_context::instance().begin();
  const test_context_data d = test_context::instance().end(nullptr);
  EXPECT_TRUE(d.steps.empty());
  EXPECT_TRUE(d.attachments.empty());
}

TEST(TestContext, DepthAndCountAreCapped) {
  context_guard g;
  {
    std::vector<std::unique_ptr<step>> chain;
    for (std::size_t i = 0; i < max_step_depth + 3; ++i) chain.push_back(std::make_unique<step>("level"));
    while (!chain.empty()) chain.pop_back();  // innermost first
  }
  for (std::size_t i = 0; i < max_steps_per_test; ++i) step s("flat");
  const test_context_data d = g.end();
  std::size_t depth = 0;
  for (const step_record* s = &d.steps[0]; s != nullptr; s = s->children.empty() ? nullptr : &s->children[0]) ++depth;
  EXPECT_EQ(depth, max_step_depth);
  EXPECT_EQ(d.steps.size(), 1 + (max_steps_per_test - max_step_depth));
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_NE(d.notes[0].find(std::to_string(3 + max_step_depth) + " steps not recorded"), std::string::npos)
      << d.notes[0];
}

// --- attachments ---------------------------------------------------------------------------------

TEST(TestContext, AttachmentsAreCappedPerTestWithANote) {
  testing_support::temp_dir dir;
  const std::string file = dir.path() + "/log.txt";
  testing_support::write_file(file, "line 1\nline 2\n");
  context_guard g;
  gtest_tms::attach(file);
  gtest_tms::attach(dir.path() + "/missing.txt");
  for (std::size_t i = 0; i < max_attachments_per_test + 2; ++i)
    gtest_tms::attach(str_cat("n", i, ".json"), "{}", "application/json");
  const test_context_data d = g.end();
  ASSERT_EQ(d.attachments.size(), max_attachments_per_test);
  EXPECT_EQ(d.attachments[0].name, "log.txt");
  EXPECT_EQ(d.attachments[0].size, 14u);
  EXPECT_TRUE(d.attachments[0].content.empty());
  EXPECT_EQ(d.attachments[0].path.substr(d.attachments[0].path.size() - 8), "/log.txt");
  EXPECT_EQ(d.attachments[1].name, "n0.json");
  EXPECT_EQ(d.attachments[1].mime, "application/json");
  ASSERT_EQ(d.notes.size(), 2u);
  EXPECT_NE(d.notes[0].find("missing.txt not found"), std::string::npos) << d.notes[0];
  EXPECT_NE(d.notes[1].find("3 attachments dropped"), std::string::npos) << d.notes[1];
}

TEST(TestContext, AttachPropertySplitsOnSemicolons) {
  EXPECT_EQ(split_attach_property(" a.log ; ;b dir/c.png;"), (std::vector<std::string>{"a.log", "b dir/c.png"}));
  EXPECT_TRUE(split_attach_property(" ; ").empty());
}

// --- multipart -----------------------------------------------------------------------------------

TEST(Multipart, BodyParsesBackWithTheEmulatorsParser) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  const std::vector<form_file> files{
      {"file[]", "report.txt", "text/plain", "hello\r\n--not-a-boundary\r\n"},
      {"file[]", "we\"ird\\na\nme.bin", "", binary},
      {"file[]", "", "application/json", ""},
  };
  const multipart_body mp = make_multipart(files);
  const auto boundary = emulator::multipart_boundary(mp.content_type);
  ASSERT_TRUE(boundary.has_value()) << mp.content_type;
  const auto parts = emulator::parse_multipart(mp.body, *boundary);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "file[]");
  EXPECT_EQ((*parts)[0].filename, "report.txt");
  EXPECT_EQ((*parts)[0].content_type, "text/plain");
  EXPECT_EQ((*parts)[0].data, files[0].data);
  EXPECT_EQ((*parts)[1].filename, "we_ird_na_me.bin");
  EXPECT_EQ((*parts)[1].content_type, "application/octet-stream");
  EXPECT_EQ((*parts)[1].data, binary);
  EXPECT_EQ((*parts)[2].filename, "file");
  EXPECT_EQ((*parts)[2].data, "");
}

TEST(Multipart, ABoundaryFoundInTheContentIsReplaced) {
  const std::string chosen = "fixed-boundary-123";
  const std::vector<form_file> files{{"files", "a.txt", "text/plain", "x\r\n--" + chosen + "\r\ny"}};
  const multipart_body mp = make_multipart(files, chosen);
  const auto boundary = emulator::multipart_boundary(mp.content_type);
  ASSERT_TRUE(boundary.has_value());
  EXPECT_NE(*boundary, chosen);
  EXPECT_EQ(mp.body.find("--" + *boundary + "\r\n"), 0u);
  const auto parts = emulator::parse_multipart(mp.body, *boundary);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].data, files[0].data);
  // Without a collision the chosen boundary is kept.
  EXPECT_EQ(make_multipart({{"files", "b.txt", "", "plain"}}, chosen).content_type,
            "multipart/form-data; boundary=" + chosen);
}

// --- Qase ----------------------------------------------------------------------------------------

std::shared_ptr<test_result> result_with_steps() {
  auto r = std::make_shared<test_result>();
  r->id = "6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11";
  r->suite = "Parser";
  r->name = "Parses";
  r->status = test_status::failed;
  r->start_ms = 1767225600000;
  r->duration_ms = 40;
  step_record inner{"", "", test_status::failed, 1767225600010, 5, {}};
  step_record outer{"parse", "a tree", test_status::failed, 1767225600005, 20, {inner}};
  step_record skipped{"later", "", test_status::skipped, 1767225600030, 1, {}};
  r->steps = {outer, skipped};
  r->notes = {"1 attachment dropped (at most 20 per test)"};
  return r;
}

TEST(QaseSteps, ResultJsonCarriesNestedClassicSteps) {
  const auto r = result_with_steps();
  const json::value v = qase_result_json(*r, {});
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("steps_type").as_string(), "classic");
  const auto& steps = o.at("steps").as_array();
  ASSERT_EQ(steps.size(), 2u);
  const auto& outer = steps[0].as_object();
  EXPECT_EQ(outer.at("data").at("action").as_string(), "parse");
  EXPECT_EQ(outer.at("data").at("expected_result").as_string(), "a tree");
  EXPECT_EQ(outer.at("execution").at("status").as_string(), "failed");
  EXPECT_EQ(outer.at("execution").at("duration").to_number<std::int64_t>(), 20);
  EXPECT_NEAR(outer.at("execution").at("start_time").to_number<double>(), 1767225600.005, 1e-4);
  EXPECT_NEAR(outer.at("execution").at("end_time").to_number<double>(), 1767225600.025, 1e-4);
  const auto& inner = outer.at("steps").as_array().at(0).as_object();
  EXPECT_EQ(inner.at("data").at("action").as_string(), "Unnamed step");
  EXPECT_FALSE(inner.at("data").as_object().contains("expected_result"));
  EXPECT_FALSE(inner.contains("steps"));
  EXPECT_EQ(steps[1].at("execution").at("status").as_string(), "skipped");
  EXPECT_NE(std::string(o.at("message").as_string()).find("gtest-tms: 1 attachment dropped"), std::string::npos);
  EXPECT_FALSE(o.contains("attachments"));

  json::object linked = v.as_object();
  qase_set_attachments(linked, {});
  EXPECT_EQ(linked, v.as_object());
  qase_set_attachments(linked, {"h1", "h2"});
  EXPECT_EQ(linked.at("attachments"), (json::array{"h1", "h2"}));
  EXPECT_EQ(linked.at("steps"), v.at("steps"));
}

TEST(QaseSteps, NoStepsNoStepsField) {
  auto r = result_with_steps();
  r->steps.clear();
  r->notes.clear();
  r->status = test_status::passed;
  const json::value v = qase_result_json(*r, {});
  EXPECT_FALSE(v.as_object().contains("steps"));
  EXPECT_FALSE(v.as_object().contains("steps_type"));
  EXPECT_TRUE(v.at("message").is_null());
}

qase_settings settings() {
  qase_settings s;
  s.mode = qase_mode::testops;
  s.token = "tok-SECRET";
  s.api_base = "https://api.qase.test";
  s.app_base = "https://app.qase.test";
  s.project = "DEMO";
  return s;
}

std::unique_ptr<backend> started(fake_requester& r) {
  auto b = make_qase_backend(settings(), common_settings{});
  r.push(200, R"({"status":true,"result":{"code":"DEMO"}})");
  r.push(200, R"({"status":true,"result":{"id":77}})");
  std::string error = "not called";
  b->start(r, {}, [&](std::string e) { error = std::move(e); });
  EXPECT_EQ(error, "");
  return b;
}

// Answers an upload like Qase: one hash per "file[]" part, in order.
std::optional<http_response> upload_answer(const http_request& req, std::vector<std::vector<std::string>>& seen) {
  if (req.url.find("/v1/attachment/") == std::string::npos) return std::nullopt;
  const auto boundary = emulator::multipart_boundary(req.content_type);
  const auto parts = boundary ? emulator::parse_multipart(req.body, *boundary) : std::nullopt;
  if (!parts) return fakes::make_response(400, R"({"status":false})");
  json::array result;
  std::vector<std::string> names;
  for (const auto& p : *parts) {
    EXPECT_EQ(p.name, "file[]");
    names.push_back(p.filename);
    result.push_back({{"hash", "hash-" + p.filename + "-" + std::to_string(p.data.size())}, {"filename", p.filename}});
  }
  seen.push_back(names);
  return fakes::make_response(200, json::serialize(json::object{{"status", true}, {"result", result}}));
}

TEST(QaseAttachments, UploadedInChunksOf20AndLinkedByHash) {
  testing_support::temp_dir dir;
  testing_support::write_file(dir.path() + "/trace.log", "0123456789");
  fake_requester req;
  auto b = started(req);
  std::vector<std::vector<std::string>> uploads;
  req.responder = [&](const http_request& q) { return upload_answer(q, uploads); };

  auto with = std::make_shared<test_result>(*result_with_steps());
  with->attachments.push_back({"trace.log", dir.path() + "/trace.log", "", "text/plain", 10});
  for (int i = 0; i < 20; ++i)
    with->attachments.push_back({str_cat("m", i, ".txt"), "", std::string(static_cast<std::size_t>(i), 'x'),
                                 "text/plain", static_cast<std::uint64_t>(i)});
  auto without = std::make_shared<test_result>(*result_with_steps());
  without->attachments.clear();

  std::vector<outbound_item> batch;
  b->add(with, batch);
  b->add(without, batch);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_TRUE(b->needs_preparation(batch[0]));
  EXPECT_FALSE(b->needs_preparation(batch[1]));
  const json::object untouched = batch[1].value;

  std::vector<std::string> warnings{"not called"};
  b->prepare(req, batch, [&](std::vector<std::string> w) { warnings = std::move(w); });
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  ASSERT_EQ(uploads.size(), 2u);  // 21 files: 20 + 1
  EXPECT_EQ(uploads[0].size(), 20u);
  EXPECT_EQ(uploads[1].size(), 1u);
  EXPECT_EQ(uploads[0][0], "trace.log");
  const std::size_t upload_requests = std::count_if(req.requests.begin(), req.requests.end(), [](const auto& s) {
    return s.request.url == "https://api.qase.test/v1/attachment/DEMO" && s.request.method == "POST";
  });
  EXPECT_EQ(upload_requests, 2u);

  const json::object& v = batch[0].value;
  const auto& hashes = v.at("attachments").as_array();
  ASSERT_EQ(hashes.size(), 21u);
  EXPECT_EQ(hashes[0].as_string(), "hash-trace.log-10");
  EXPECT_EQ(hashes[20].as_string(), "hash-m19.txt-19");
  EXPECT_TRUE(batch[0].prepared);
  EXPECT_TRUE(batch[1].prepared);
  EXPECT_EQ(batch[1].value, untouched);
}

TEST(QaseAttachments, AFailedUploadKeepsTheResultAndSaysSo) {
  fake_requester req;
  auto b = started(req);
  req.responder = [](const http_request& q) -> std::optional<http_response> {
    if (q.url.find("/v1/attachment/") == std::string::npos) return std::nullopt;
    return fakes::make_response(413, R"({"status":false,"errorMessage":"File too large"})");
  };
  auto r = std::make_shared<test_result>(*result_with_steps());
  r->attachments.push_back({"a.txt", "", "abc", "text/plain", 3});
  r->attachments.push_back({"gone.txt", "/nonexistent/gone.txt", "", "text/plain", 3});
  std::vector<outbound_item> batch;
  b->add(r, batch);
  const json::object before = batch[0].value;
  std::vector<std::string> warnings;
  bool called = false;
  b->prepare(req, batch, [&](std::vector<std::string> w) {
    called = true;
    warnings = std::move(w);
  });
  ASSERT_TRUE(called);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0], "Parser.Parses: attachment gone.txt cannot be read");
  EXPECT_NE(warnings[1].find("Parser.Parses: attachments not uploaded: HTTP 413"), std::string::npos) << warnings[1];
  EXPECT_EQ(batch[0].value, before);
  EXPECT_TRUE(batch[0].prepared);
  EXPECT_EQ(req.requests.back().request.url, "https://api.qase.test/v1/attachment/DEMO");
}

// --- QA Sphere -----------------------------------------------------------------------------------

TEST(QasphereSteps, CommentListsNestedEscapedStepsWithStatuses) {
  qasphere_settings s;
  s.enabled = true;
  s.token = "tst0000001.1CKCEtest_JYyckc3zYtest.dhhjYY3BYEoQH41e62itest";
  s.url = "https://qas.eu1.qasphere.com";
  s.project = "BD";
  fake_requester req;
  req.responder = [](const http_request& q) -> std::optional<http_response> {
    const std::string path = q.url.substr(q.url.find("/api/public/v0") + 14);
    if (path == "/project/BD") return fakes::make_response(200, R"({"id":"p","code":"BD","title":"Bank"})");
    if (path == "/project/BD/tcase/seq")
      return fakes::make_response(200, R"({"data":[{"id":"c1","seq":1}],"total":1,"offset":0,"limit":5000})");
    if (path == "/project/BD/run") return fakes::make_response(200, R"({"id":42})");
    return fakes::make_response(500, "{}");
  };
  auto b = make_qasphere_backend(s, common_settings{});
  run_plan plan;
  plan.tests.push_back({"Suite", "TestBd001Login"});
  std::string error = "not called";
  b->start(req, plan, [&](std::string e) { error = std::move(e); });
  ASSERT_EQ(error, "");

  auto r = std::make_shared<test_result>();
  r->suite = "Suite";
  r->name = "TestBd001Login";
  r->status = test_status::failed;
  r->duration_ms = 30;
  step_record child{"type <password>", "", test_status::failed, 1, 4, {}};
  r->steps = {{"log in", "home & dashboard", test_status::failed, 1, 10, {child}},
              {"", "", test_status::skipped, 1, 0, {}}};
  r->attachments.push_back({"a.txt", "", "abc", "text/plain", 3});
  std::vector<outbound_item> items;
  b->add(r, items);
  ASSERT_EQ(items.size(), 1u);
  const std::string comment(items[0].value.at("comment").as_string());
  EXPECT_NE(comment.find("<p>Steps:</p><ol><li><b>failed</b> log in <i>(expected: home &amp; dashboard)</i> (10 ms)"
                         "<ol><li><b>failed</b> type &lt;password&gt; (4 ms)</li></ol></li>"
                         "<li><b>skipped</b> Unnamed step (0 ms)</li></ol>"),
            std::string::npos)
      << comment;
  // The attachment is uploaded and linked just before the batch (prepare), not named here.
  EXPECT_EQ(comment.find("attachment"), std::string::npos) << comment;
  EXPECT_TRUE(b->needs_preparation(items[0]));
}

}  // namespace
}  // namespace gtest_tms::detail

// Qase backend: requests made by start()/finish(), golden ResultCreate JSON from records, batch
// bodies and error descriptions. A fake requester answers; no sockets.
//
// Set GTEST_TMS_DUMP_QASE_REQUESTS=<file> to append every request these tests build (bodies of
// successful-path requests) to a requests.jsonl file, then check them against the official spec:
//   node test/spec/validate_requests.mjs <file>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "fake_requester.hpp"
#include "gtest_tms/version.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qase/qase_mapping.hpp"
#include "tms/qase/qase_metadata.hpp"

namespace gtest_tms::detail {
namespace {

namespace json = boost::json;
using fakes::fake_requester;
using fakes::find_header;
using fakes::make_response;
using fakes::make_transport_error;

constexpr std::int64_t fixed_now = 1767225645000;  // 2026-01-01 00:00:45 UTC
constexpr const char* token = "tok-SECRET-1234567890";

// --- JSON comparison -----------------------------------------------------------------------

json::value parse_or_fail(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  EXPECT_FALSE(ec) << "not valid JSON (" << ec.message() << "): " << text.substr(0, 300);
  return v;
}

// Structural equality; numbers compared by value (doubles with an absolute tolerance, since the
// parser and the serializer may round the last digit differently).
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_double() || b.is_double()) {
      const double x = a.to_number<double>();
      const double y = b.to_number<double>();
      return std::abs(x - y) <= 1e-5;  // far below the 1 ms resolution of epoch seconds
    }
    return a == b;
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto it = y.find(kv.key());
      if (it == y.end() || !same_json(kv.value(), it->value())) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

#define EXPECT_JSON_EQ(actual_text, expected_text)                                                   \
  do {                                                                                               \
    const json::value actual_ = parse_or_fail(actual_text);                                          \
    const json::value expected_ = parse_or_fail(expected_text);                                      \
    EXPECT_TRUE(same_json(actual_, expected_))                                                       \
        << "actual:   " << json::serialize(actual_) << "\nexpected: " << json::serialize(expected_); \
  } while (false)

// --- request dump for the spec validator ----------------------------------------------------

void dump(const http_request& req) {
  const char* path = std::getenv("GTEST_TMS_DUMP_QASE_REQUESTS");
  if (path == nullptr || *path == '\0') return;
  const auto scheme = req.url.find("://");
  const auto slash = req.url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  json::object line;
  line["system"] = "qase";
  line["method"] = req.method;
  line["path"] = slash == std::string::npos ? "/" : req.url.substr(slash);
  if (req.body.empty()) {
    line["body"] = nullptr;
  } else {
    boost::system::error_code ec;
    line["body"] = json::parse(req.body, ec);
    if (ec) line["body"] = req.body;  // kept as text so the validator reports it
  }
  std::ofstream(path, std::ios::app) << json::serialize(line) << '\n';
}

// --- fixtures ---------------------------------------------------------------------------------

qase_settings base_settings() {
  qase_settings s;
  s.mode = qase_mode::testops;
  s.token = token;
  s.api_base = "https://api.qase.test";
  s.app_base = "https://app.qase.test";
  s.project = "DEMO";
  return s;
}

std::unique_ptr<backend> make(const qase_settings& s) {
  return make_qase_backend(s, common_settings{}, [] { return fixed_now; });
}

// Runs start() against the scripted answers; returns the error ("" on success).
std::string start(backend& b, fake_requester& r, const run_plan& plan = {}) {
  std::string error = "<not called>";
  b.start(r, plan, [&](std::string e) { error = std::move(e); });
  for (const auto& s : r.requests) dump(s.request);
  return error;
}

std::string finish(backend& b, fake_requester& r, bool complete) {
  std::string message = "<not called>";
  const std::size_t before = r.requests.size();
  b.finish(r, complete, [&](run_finish f) { message = std::move(f.message); });
  for (std::size_t i = before; i < r.requests.size(); ++i) dump(r.requests[i].request);
  return message;
}

// A backend with run 1234 created.
std::unique_ptr<backend> started(const qase_settings& s, fake_requester& r, const run_plan& plan = {}) {
  auto b = make(s);
  r.push(200, R"({"status":true,"result":{"title":"Demo","code":"DEMO"}})");
  r.push(200, R"({"status":true,"result":{"id":1234}})");
  EXPECT_EQ(start(*b, r, plan), "");
  return b;
}

std::shared_ptr<test_result> record(std::string suite, std::string name) {
  auto r = std::make_shared<test_result>();
  r->id = "6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11";
  r->suite = std::move(suite);
  r->name = std::move(name);
  r->file = "parser_test.cc";
  r->line = 10;
  r->start_ms = 1758786805233;
  r->duration_ms = 108;
  return r;
}

failure_part failure(std::string file, int line, std::string summary, std::string message = {}) {
  failure_part p;
  p.file = std::move(file);
  p.line = line;
  p.summary = summary;
  p.message = message.empty() ? summary : std::move(message);
  p.fatal = false;
  return p;
}

// Maps one record through add(); expects exactly one item; returns it as JSON text.
std::string map_one(backend& b, const std::shared_ptr<test_result>& r) {
  std::vector<outbound_item> out;
  b.add(r, out);
  EXPECT_EQ(out.size(), 1u);
  if (out.empty()) return "{}";
  EXPECT_EQ(out[0].label, r->full_name());
  EXPECT_EQ(out[0].sources.size(), 1u);
  dump(b.make_batch({&out[0]}));
  return json::serialize(out[0].value);
}

void expect_no_secret(const std::string& text) { EXPECT_EQ(text.find(token), std::string::npos) << text; }

// The comparison itself must be able to fail, or every golden test below proves nothing.
TEST(QaseTestHelpers, JsonComparisonDetectsDifferences) {
  const auto v = [](const char* t) { return parse_or_fail(t); };
  EXPECT_TRUE(same_json(v(R"({"a":[1,{"b":null}],"t":1.5})"), v(R"({"t":1.5000000001,"a":[1,{"b":null}]})")));
  EXPECT_FALSE(same_json(v(R"({"a":1})"), v(R"({"a":2})")));
  EXPECT_FALSE(same_json(v(R"({"a":1})"), v(R"({"a":1,"b":null})")));
  EXPECT_FALSE(same_json(v(R"({"a":null})"), v(R"({"b":null})")));
  EXPECT_FALSE(same_json(v(R"([1,2])"), v(R"([2,1])")));
  EXPECT_FALSE(same_json(v(R"({"a":"1"})"), v(R"({"a":1})")));
  EXPECT_FALSE(same_json(v(R"({"t":1758786805.233})"), v(R"({"t":1758786805.234})")));
}

// --- basics -----------------------------------------------------------------------------------

TEST(QaseBackend, Properties) {
  auto s = base_settings();
  auto b = make(s);
  EXPECT_EQ(b->system(), tms::qase);
  // Never more than 600 requests in any minute (burst + 60 s * rate), yet a 5,000-test binary's
  // 25 batches and 2 start requests leave without waiting.
  EXPECT_LE(b->limit().burst + 60.0 * b->limit().per_second, 600.0);
  EXPECT_GE(b->limit().burst, 27.0);
  EXPECT_TRUE(b->idempotent_results());
  EXPECT_EQ(b->batch_size(), 200u);
  EXPECT_EQ(b->run_link(), "");
  for (const auto& [configured, expected] :
       std::vector<std::pair<int, std::size_t>>{{500, 200}, {0, 1}, {-4, 1}, {1, 1}, {50, 50}, {200, 200}}) {
    s.batch_size = configured;
    EXPECT_EQ(make(s)->batch_size(), expected) << "configured " << configured;
  }
}

// --- start() ---------------------------------------------------------------------------------

TEST(QaseBackendStart, ChecksProjectThenCreatesRun) {
  fake_requester r;
  auto b = started(base_settings(), r);
  ASSERT_EQ(r.requests.size(), 2u);

  const auto& project = r.requests[0];
  EXPECT_EQ(project.request.method, "GET");
  EXPECT_EQ(project.request.url, "https://api.qase.test/v1/project/DEMO");
  EXPECT_TRUE(project.idempotent);
  EXPECT_EQ(project.request.content_type, "");
  EXPECT_EQ(project.request.body, "");

  const auto& create = r.requests[1];
  EXPECT_EQ(create.request.method, "POST");
  EXPECT_EQ(create.request.url, "https://api.qase.test/v1/run/DEMO");
  EXPECT_FALSE(create.idempotent) << "a retried run creation could create a second run";
  EXPECT_EQ(create.request.content_type, "application/json");
  EXPECT_JSON_EQ(create.request.body, R"({"title":"Automated run 2026-01-01 00:00:45","is_autotest":true,
                                         "start_time":"2026-01-01 00:00:45"})");

  for (const auto& sent : r.requests) {
    EXPECT_EQ(find_header(sent.request, "Token").value_or(""), token);
    EXPECT_EQ(find_header(sent.request, "Accept").value_or(""), "application/json");
    const std::string client = find_header(sent.request, "X-Client").value_or("");
    EXPECT_EQ(client, "reporter=gtest-tms-reporter;reporter_version=" GTEST_TMS_VERSION_STRING ";framework=googletest");
    const std::string platform = find_header(sent.request, "X-Platform").value_or("");
    EXPECT_EQ(platform.rfind("os=", 0), 0u) << platform;
    EXPECT_NE(platform.find(";arch="), std::string::npos) << platform;
    EXPECT_NE(platform.find(";cpp="), std::string::npos) << platform;
    expect_no_secret(client + platform);
  }
  EXPECT_EQ(b->run_link(), "https://app.qase.test/run/DEMO/dashboard/1234");
  EXPECT_EQ(b->run_id(), 1234);
}

TEST(QaseBackendStart, RunCreateCarriesConfiguredFields) {
  auto s = base_settings();
  s.run_title = "Nightly \x1b[1m#42\x1b[0m";
  s.run_description = "from CI";
  s.environment = "staging";
  s.plan_id = 7;
  s.run_tags = {"nightly", "linux"};
  s.api_base = "https://qase.internal/tms/";  // trailing slash tolerated
  s.app_base = "https://app.qase.internal/";
  s.project = "demo";
  fake_requester r;
  auto b = started(s, r);
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[0].request.url, "https://qase.internal/tms/v1/project/demo");
  EXPECT_EQ(r.requests[1].request.url, "https://qase.internal/tms/v1/run/demo");
  EXPECT_JSON_EQ(r.requests[1].request.body,
                 R"({"title":"Nightly #42","description":"from CI","is_autotest":true,
                     "start_time":"2026-01-01 00:00:45","environment_slug":"staging","plan_id":7,
                     "tags":["nightly","linux"]})");
  EXPECT_EQ(b->run_link(), "https://app.qase.internal/run/DEMO/dashboard/1234");
}

TEST(QaseBackendStart, LongRunTitleIsCappedForTheSpec) {
  auto s = base_settings();
  s.run_title = std::string(400, 'x');
  fake_requester r;
  auto b = started(s, r);
  ASSERT_EQ(r.requests.size(), 2u);
  const auto body = parse_or_fail(r.requests[1].request.body);
  EXPECT_LE(body.at("title").as_string().size(), 255u);
}

TEST(QaseBackendStart, RejectedTokenNamesTheVariable) {
  fake_requester r;
  r.push(401, R"({"status":false,"errorMessage":"Unauthenticated."})");
  auto b = make(base_settings());
  const std::string error = start(*b, r);
  EXPECT_EQ(error.rfind("Qase rejected the API token (QASE_TESTOPS_API_TOKEN)", 0), 0u) << error;
  EXPECT_NE(error.find("HTTP 401"), std::string::npos) << error;
  expect_no_secret(error);
  EXPECT_EQ(r.requests.size(), 1u);
  EXPECT_EQ(b->run_link(), "");
}

TEST(QaseBackendStart, UnknownProjectNamesTheVariable) {
  fake_requester r;
  r.push(404, R"({"status":false,"errorMessage":"Project not found"})");
  auto b = make(base_settings());
  const std::string error = start(*b, r);
  EXPECT_EQ(error.rfind("Qase project 'DEMO' not found (QASE_TESTOPS_PROJECT)", 0), 0u) << error;
  EXPECT_NE(error.find("Project not found"), std::string::npos) << error;
  EXPECT_EQ(r.requests.size(), 1u);
}

TEST(QaseBackendStart, OtherProjectFailuresAreDescribed) {
  {
    fake_requester r;
    r.push(500, R"({"status":false,"errorMessage":"Internal error"})");
    auto b = make(base_settings());
    EXPECT_EQ(start(*b, r), "Qase project check failed: HTTP 500: Internal error");
  }
  {
    fake_requester r;
    r.push(make_transport_error(net_error::connect, "cannot connect to api.qase.test:443: Connection refused"));
    auto b = make(base_settings());
    EXPECT_EQ(start(*b, r), "Qase project check failed: cannot connect to api.qase.test:443: Connection refused");
  }
  {
    fake_requester r;
    r.push(403, R"({"status":false,"errorMessage":"Forbidden"})");
    auto b = make(base_settings());
    const std::string error = start(*b, r);
    EXPECT_NE(error.find("denied"), std::string::npos) << error;
    EXPECT_NE(error.find("HTTP 403: Forbidden"), std::string::npos) << error;
  }
}

TEST(QaseBackendStart, RunCreationFailures) {
  {
    fake_requester r;
    r.push(200, R"({"status":true})");
    r.push(422, R"({"message":"The title field is required.","errors":{"title":["The title field is required."]}})");
    auto b = make(base_settings());
    const std::string error = start(*b, r);
    EXPECT_EQ(error, "Qase could not create a run in project 'DEMO': HTTP 422: title: The title field is required.");
    EXPECT_EQ(b->run_link(), "");
  }
  {
    fake_requester r;
    r.push(200, R"({"status":true})");
    r.push(200, R"({"status":true,"result":{}})");
    auto b = make(base_settings());
    const std::string error = start(*b, r);
    EXPECT_NE(error.find("without a run id"), std::string::npos) << error;
    EXPECT_EQ(b->run_link(), "");
  }
}

TEST(QaseBackendStart, GivenRunIdIsCheckedNotCreated) {
  auto s = base_settings();
  s.run_id = 77;
  fake_requester r;
  r.push(200, R"({"status":true,"result":{"title":"Demo"}})");
  r.push(200, R"({"status":true,"result":{"id":77,"title":"CI run","status":0}})");
  auto b = make(s);
  EXPECT_EQ(start(*b, r), "");
  ASSERT_EQ(r.requests.size(), 2u);
  EXPECT_EQ(r.requests[1].request.method, "GET");
  EXPECT_EQ(r.requests[1].request.url, "https://api.qase.test/v1/run/DEMO/77");
  EXPECT_TRUE(r.requests[1].idempotent);
  EXPECT_EQ(b->run_link(), "https://app.qase.test/run/DEMO/dashboard/77");
  EXPECT_EQ(b->run_id(), 77);

  std::vector<outbound_item> out;
  b->add(record("Parser", "Works"), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(b->make_batch({&out[0]}).url, "https://api.qase.test/v2/DEMO/run/77/results");
}

// A 2xx is not a confirmation by itself: every Qase answer must be {"status": true, ...}.
TEST(QaseBackendConfirmation, EveryRequestWantsTheDocumentedSuccessAnswer) {
  {
    fake_requester r;
    r.push(200, "<html><body>Request blocked</body></html>");
    auto b = make(base_settings());
    const std::string error = start(*b, r);
    EXPECT_EQ(error.rfind("Qase project check failed: HTTP 200 without the documented success answer", 0), 0u) << error;
    EXPECT_NE(error.find("Request blocked"), std::string::npos) << error;
  }
  {
    fake_requester r;
    r.push(200, R"({"status":true})");
    r.push(200, R"({"status":false,"result":{"id":5}})");
    auto b = make(base_settings());
    EXPECT_NE(start(*b, r).find("could not create a run"), std::string::npos);
    EXPECT_FALSE(r.requests[1].idempotent);  // not resent: a second run could appear
    EXPECT_EQ(b->run_id(), 0);
  }
  {
    fake_requester r;
    r.push(200, R"({"status":true})");
    r.push(200, R"({"status":true,"result":{"id":5}})");
    r.push(200, "not json");
    auto b = make(base_settings());
    ASSERT_EQ(start(*b, r), "");
    const std::string m = finish(*b, r, true);
    EXPECT_EQ(m.rfind("run 5 could not be completed: HTTP 200 without the documented", 0), 0u) << m;
  }
  auto b = make(base_settings());
  const http_request none;
  EXPECT_TRUE(b->confirms_batch(none, make_response(202, R"({"status":true})"), 3));
  EXPECT_FALSE(b->confirms_batch(none, make_response(202, R"({"status":false})"), 3));
  EXPECT_FALSE(b->confirms_batch(none, make_response(200, "not json"), 3));
  EXPECT_FALSE(b->confirms_batch(none, make_response(200, ""), 3));
}

qase_mapping_options mapping(std::string root, std::string project) {
  qase_mapping_options o;
  o.root_suite = std::move(root);
  o.project = std::move(project);
  return o;
}

// Metadata keys with bad values: dropped or repaired, never a rejected batch or a crash.
TEST(QaseMetadata, BadValuesAreDroppedOrRepaired) {
  test_result r;
  r.id = "0b7c4d2e-1f3a-4c5b-9d6e-000000000001";
  r.suite = "Suite";
  r.name = "Works";
  r.value_param = "42";
  r.properties = {{"qase.title", "  \t "},
                  {"qase.suite", "\t \t"},
                  {"qase.fields.", "no name"},
                  {"qase.fields. severity ", "\xff\xfe bad"},
                  {"qase.fields.description", std::string(200 * 1024, 'd')},
                  {"qase.tags", " , ,"},
                  {"qase.ignore", "no"},
                  {"qase.muted", "maybe"},
                  {"qase.parameters.", "x"},
                  {"qase.group_parameters", "unknown, ,"},
                  {"qase_id.DEMO", "0,-1,abc,99999999999999999999"},
                  {"qase_id.", "3"},
                  {"QASE.TITLE", "not our key: keys are case-sensitive"}};
  const qase_metadata m = qase_metadata_of(r);
  EXPECT_EQ(m.title, "");
  EXPECT_TRUE(m.suite.empty());
  EXPECT_TRUE(m.tags.empty());
  EXPECT_FALSE(m.ignore);
  EXPECT_FALSE(m.muted);
  EXPECT_TRUE(m.parameters.empty());
  EXPECT_TRUE(m.project_ids.empty());
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_FALSE(qase_ignored(r));

  const json::object o = qase_result_json(r, mapping("", "DEMO"));
  EXPECT_EQ(json::value_to<std::string>(o.at("title")), "Works");
  EXPECT_EQ(json::serialize(o.at("params")), R"({"param":"42"})");  // no named parameter: gtest's stays
  EXPECT_FALSE(o.contains("param_groups"));
  EXPECT_FALSE(o.contains("testops_ids"));
  const json::object& f = o.at("fields").as_object();
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(json::value_to<std::string>(f.at("severity")), "\xef\xbf\xbd\xef\xbf\xbd bad");  // UTF-8 repaired
  EXPECT_LE(f.at("description").as_string().size(), qase_message_cap);
  EXPECT_EQ(json::serialize(o.at("relations")), R"({"suite":{"data":[{"title":"Suite","public_id":null}]}})");
}

TEST(QaseMetadata, FlagsIdsAndTheRootSuite) {
  test_result r;
  r.suite = "Suite";
  r.name = "Works";
  r.qase_ids = {7};
  r.properties = {{"qase.ignore", " TRUE "}, {"qase.suite", "A\tB"}, {"qase_id.demo", "7, 8"}, {"qase_id.OTHER", "9"}};
  EXPECT_TRUE(qase_ignored(r));
  EXPECT_TRUE(qase_metadata_of(r).ignore);
  const json::object o = qase_result_json(r, mapping("Root", "DEMO"));
  EXPECT_EQ(json::serialize(o.at("testops_ids")), "[7,8]");  // project codes compare without case
  EXPECT_EQ(json::serialize(o.at("relations")),
            R"({"suite":{"data":[{"title":"Root","public_id":null},{"title":"A","public_id":null},)"
            R"({"title":"B","public_id":null}]}})");
  EXPECT_EQ(qase_suite_path(r, "Root"), (std::vector<std::string>{"Root", "A", "B"}));
  // Without a configured project no other project's ids apply.
  EXPECT_EQ(json::serialize(qase_result_json(r, mapping("", "")).at("testops_ids")), "[7]");
}

TEST(QaseMapping, ARepeatedTypeNameKeepsItsTypedIndexOtherwiseNot) {
  test_result r;
  r.suite = "Repeated/2";
  r.name = "Works";
  r.type_param = "int";
  EXPECT_EQ(qase_params(r), (std::vector<std::pair<std::string, std::string>>{{"type", "int"}}));
  r.type_repeats = true;
  EXPECT_EQ(qase_params(r), (std::vector<std::pair<std::string, std::string>>{{"type", "int"}, {"instance", "2"}}));
  EXPECT_EQ(qase_suite_path(r, ""), std::vector<std::string>{"Repeated"});
}

TEST(QaseBackendStart, GivenRunIdThatDoesNotExist) {
  auto s = base_settings();
  s.run_id = 77;
  fake_requester r;
  r.push(200, R"({"status":true})");
  r.push(404, R"({"status":false,"errorMessage":"Run not found"})");
  auto b = make(s);
  const std::string error = start(*b, r);
  EXPECT_EQ(error.rfind("Qase run 77 not found in project 'DEMO' (QASE_TESTOPS_RUN_ID)", 0), 0u) << error;
  EXPECT_EQ(b->run_link(), "");
  EXPECT_EQ(b->run_id(), 0);
}

TEST(QaseBackendStart, NonPositiveRunIdIsRefused) {
  auto s = base_settings();
  s.run_id = 0;
  fake_requester r;
  auto b = make(s);
  EXPECT_EQ(start(*b, r), "QASE_TESTOPS_RUN_ID must be a positive run id, not 0");
  EXPECT_EQ(r.requests.size(), 1u);  // only the project check
  EXPECT_EQ(b->run_id(), 0);
}

// --- add(): golden ResultCreate JSON --------------------------------------------------------

TEST(QaseMapping, Passed) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Parser", "ParsesEmptyInput");
  EXPECT_JSON_EQ(map_one(*b, rec), R"({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"ParsesEmptyInput",
    "signature":"parser::parsesemptyinput",
    "execution":{"status":"passed","start_time":1758786805.233,"end_time":1758786805.341,"duration":108},
    "message":null,
    "relations":{"suite":{"data":[{"title":"Parser","public_id":null}]}}})");
}

TEST(QaseMapping, FailedWithTwoPartsOneWithoutFile) {
  auto s = base_settings();
  s.root_suite = "Unit tests";
  s.defect = true;
  fake_requester r;
  auto b = started(s, r);
  auto rec = record("Parser", "Fails");
  rec->status = test_status::failed;
  rec->qase_ids = {8, 9};
  const std::string eq = "Expected equality of these values:\n  a\n    Which is: 1\n  b\n    Which is: 2";
  rec->parts.push_back(failure("parser_test.cc", 17, eq, eq + "\nStack trace:\n  frame0\n"));
  rec->parts.push_back(failure("", -1, "Something else broke"));
  EXPECT_JSON_EQ(map_one(*b, rec), R"json({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"Fails",
    "signature":"8-9::unit_tests::parser::fails",
    "testops_ids":[8,9],
    "execution":{"status":"failed","start_time":1758786805.233,"end_time":1758786805.341,"duration":108,
      "stacktrace":"parser_test.cc:17: Expected equality of these values:\n  a\n    Which is: 1\n  b\n    Which is: 2\nStack trace:\n  frame0\n\nSomething else broke"},
    "message":"parser_test.cc:17: Expected equality of these values:\n  a\n    Which is: 1\n  b\n    Which is: 2\n(+1 more failure)",
    "relations":{"suite":{"data":[{"title":"Unit tests","public_id":null},{"title":"Parser","public_id":null}]}},
    "defect":true})json");
}

TEST(QaseMapping, SkippedWithReason) {
  auto s = base_settings();
  s.defect = true;  // never sent for a skip
  fake_requester r;
  auto b = started(s, r);
  auto rec = record("Net", "NeedsIpv6");
  rec->status = test_status::skipped;
  rec->duration_ms = 0;
  failure_part skip = failure("net_test.cc", 5, "no IPv6 on this host");
  skip.skip = true;
  rec->parts.push_back(skip);
  EXPECT_JSON_EQ(map_one(*b, rec), R"({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"NeedsIpv6","signature":"net::needsipv6",
    "execution":{"status":"skipped","start_time":1758786805.233,"end_time":1758786805.233,"duration":0},
    "message":"no IPv6 on this host",
    "relations":{"suite":{"data":[{"title":"Net","public_id":null}]}}})");
}

TEST(QaseMapping, ExceptionIsInvalid) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Io", "Throws");
  rec->status = test_status::invalid;
  rec->parts.push_back(failure("", -1, "C++ exception with description \"boom\" thrown in the test body."));
  EXPECT_JSON_EQ(map_one(*b, rec), R"({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"Throws","signature":"io::throws",
    "execution":{"status":"invalid","start_time":1758786805.233,"end_time":1758786805.341,"duration":108,
      "stacktrace":"C++ exception with description \"boom\" thrown in the test body."},
    "message":"C++ exception with description \"boom\" thrown in the test body.",
    "relations":{"suite":{"data":[{"title":"Io","public_id":null}]}}})");
}

TEST(QaseMapping, ValueParameterized) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Sizes/Buffer", "Works/2");
  rec->value_param = "42";
  EXPECT_JSON_EQ(map_one(*b, rec), R"({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"Works/2",
    "signature":"buffer::sizes::works/2::{'param':'42'}",
    "execution":{"status":"passed","start_time":1758786805.233,"end_time":1758786805.341,"duration":108},
    "message":null,
    "relations":{"suite":{"data":[{"title":"Buffer","public_id":null},{"title":"Sizes","public_id":null}]}},
    "params":{"param":"42"}})");

  // Without an instantiation prefix the suite is used as is.
  auto plain = record("Buffer", "Works/0");
  plain->value_param = "\"Hello World\"";
  const auto v = parse_or_fail(map_one(*b, plain));
  EXPECT_EQ(v.at("signature").as_string(), "buffer::works/0::{'param':'\"hello world\"'}");
  EXPECT_EQ(v.at("params").at("param").as_string(), "\"Hello World\"");
}

TEST(QaseMapping, Typed) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto typed_p = record("Ints/Codec/1", "RoundTrips");  // TYPED_TEST_P instance
  typed_p->type_param = "long";
  EXPECT_JSON_EQ(map_one(*b, typed_p), R"({
    "id":"6f1c7c2e-0c1e-4f7e-9a53-0d0b4c9b5d11","title":"RoundTrips",
    "signature":"codec::ints::roundtrips::{'type':'long'}",
    "execution":{"status":"passed","start_time":1758786805.233,"end_time":1758786805.341,"duration":108},
    "message":null,
    "relations":{"suite":{"data":[{"title":"Codec","public_id":null},{"title":"Ints","public_id":null}]}},
    "params":{"type":"long"}})");

  auto typed = record("Codec/0", "RoundTrips");  // TYPED_TEST: the index goes, the type stays
  typed->type_param = "int";
  const auto v = parse_or_fail(map_one(*b, typed));
  EXPECT_JSON_EQ(json::serialize(v.at("relations")), R"({"suite":{"data":[{"title":"Codec","public_id":null}]}})");
  EXPECT_EQ(v.at("signature").as_string(), "codec::roundtrips::{'type':'int'}");
}

TEST(QaseMapping, OnlyPositiveIdsAndNeverEmptyList) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Ids", "Zero");
  rec->qase_ids = {0, -3};
  auto v = parse_or_fail(map_one(*b, rec));
  EXPECT_FALSE(v.as_object().contains("testops_ids")) << json::serialize(v);
  EXPECT_EQ(v.at("signature").as_string(), "ids::zero");

  rec->qase_ids = {0, 9, 8, 9};
  v = parse_or_fail(map_one(*b, rec));
  EXPECT_JSON_EQ(json::serialize(v.at("testops_ids")), "[9,8]");
  EXPECT_EQ(v.at("signature").as_string(), "9-8::ids::zero");
}

TEST(QaseMapping, AnsiAndInvalidUtf8AreCleaned) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Text",
                    "Bad\xff"
                    "Name");
  rec->status = test_status::failed;
  rec->value_param = "\xc3\x28";
  rec->parts.push_back(failure("t.cc", 3, "\x1b[31mred\x1b[0m bad \xff\xfe bytes \xe2\x82\xac ok"));
  const std::string text = map_one(*b, rec);
  const auto v = parse_or_fail(text);
  EXPECT_EQ(v.at("title").as_string(), "Bad\xEF\xBF\xBDName");
  EXPECT_EQ(v.at("message").as_string(), "t.cc:3: red bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xE2\x82\xAC ok");
  EXPECT_EQ(v.at("params").at("param").as_string(), "\xEF\xBF\xBD(");
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\xff'), std::string::npos);
}

TEST(QaseMapping, HugeMessagesAreCapped) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("Big", "Output");
  rec->status = test_status::failed;
  const std::string huge(1024 * 1024, 'x');
  rec->parts.push_back(failure("big.cc", 1, huge, huge + "\nStack trace:\n"));
  rec->parts.push_back(failure("big.cc", 2, "\xe2\x82\xac" + huge));
  rec->name = std::string(3000, 'n');
  const std::string text = map_one(*b, rec);
  const auto v = parse_or_fail(text);
  EXPECT_LE(v.at("message").as_string().size(), qase_message_cap);
  EXPECT_GT(v.at("message").as_string().size(), qase_message_cap / 2);
  EXPECT_LE(v.at("execution").at("stacktrace").as_string().size(), qase_stacktrace_cap);
  EXPECT_GT(v.at("execution").at("stacktrace").as_string().size(), qase_stacktrace_cap / 2);
  EXPECT_LE(v.at("title").as_string().size(), qase_title_cap);
  EXPECT_LT(text.size(), 400u * 1024u);
}

TEST(QaseMapping, StatusFilterAndThread) {
  auto s = base_settings();
  s.status_filter = {" Skipped", "invalid"};
  fake_requester r;
  run_plan plan;
  plan.binary_name = "unit_tests";
  plan.shard_index = 1;
  plan.total_shards = 3;
  auto b = started(s, r, plan);

  auto skipped = record("A", "Skip");
  skipped->status = test_status::skipped;
  std::vector<outbound_item> out;
  b->add(skipped, out);
  auto invalid = record("A", "Throws");
  invalid->status = test_status::invalid;
  b->add(invalid, out);
  EXPECT_TRUE(out.empty());

  auto blocked = record("A", "Blocked");
  blocked->status = test_status::blocked;
  const auto v = parse_or_fail(map_one(*b, blocked));
  EXPECT_EQ(v.at("execution").at("status").as_string(), "blocked");
  EXPECT_EQ(v.at("execution").at("thread").as_string(), "unit_tests shard 1");
}

TEST(QaseMapping, EmptyIdAndNameNeverReachTheServer) {
  fake_requester r;
  auto b = started(base_settings(), r);
  auto rec = record("S", "");
  rec->id.clear();
  const auto v = parse_or_fail(map_one(*b, rec));
  EXPECT_FALSE(v.as_object().contains("id")) << json::serialize(v);
  EXPECT_EQ(v.at("title").as_string(), "(unnamed test)");
}

TEST(QaseMapping, SignatureFollowsTheJsRules) {
  EXPECT_EQ(qase_signature({}, {"My  Root", " a::b\tc "}, "Test Name", {{"Key", "Value"}}),
            "my_root::a::b::c::test_name::{'key':'value'}");
  EXPECT_EQ(qase_signature({1, 0, 2}, {}, "T", {}), "1-2::t");
}

// --- make_batch() -----------------------------------------------------------------------------

TEST(QaseBatch, ConcatenatesItemsIntoOneValidBody) {
  fake_requester r;
  auto b = started(base_settings(), r);
  std::vector<outbound_item> out;
  auto a = record("S", "A");
  auto f = record("S", "F");
  f->id = "11111111-2222-4333-8444-555555555555";
  f->status = test_status::failed;
  f->parts.push_back(failure("s.cc", 1, "no"));
  b->add(a, out);
  b->add(f, out);
  b->add(a, out);
  ASSERT_EQ(out.size(), 3u);
  const http_request req = b->make_batch({&out[0], &out[1], &out[2]});
  dump(req);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://api.qase.test/v2/DEMO/run/1234/results");
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(find_header(req, "Token").value_or(""), token);
  EXPECT_EQ(req.body, "{\"results\":[" + json::serialize(out[0].value) + "," + json::serialize(out[1].value) + "," +
                          json::serialize(out[2].value) + "]}");
  const auto v = parse_or_fail(req.body);
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.at("results").as_array().size(), 3u);
  EXPECT_EQ(v.at("results").at(1).at("id").as_string(), f->id);
  EXPECT_EQ(v.at("results").at(1).at("execution").at("status").as_string(), "failed");

  EXPECT_JSON_EQ(b->make_batch({&out[1]}).body, "{\"results\":[" + json::serialize(out[1].value) + "]}");
}

// A queued result holds its record only (issue 13: no per-result JSON in a backlog); its JSON is made
// when its batch is made, once, and kept for a resend.
TEST(QaseBatch, AQueuedResultHoldsNoJsonUntilItsBatchIsMade) {
  fake_requester r;
  auto b = started(base_settings(), r);
  std::vector<outbound_item> out;
  auto failed = record("S", "Flaky");
  failed->status = test_status::failed;
  failed->parts.push_back(failure("s.cc", 1, "no"));
  auto passed = record("S", "Flaky");
  passed->id = "11111111-2222-4333-8444-555555555555";
  b->add(failed, out);
  b->add(passed, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].value.empty());
  EXPECT_TRUE(out[1].value.empty());
  EXPECT_TRUE(out[1].flaky);

  const std::string body = b->make_batch({&out[0], &out[1]}).body;
  ASSERT_FALSE(out[1].value.empty());
  EXPECT_EQ(out[1].value.at("id").as_string(), passed->id);
  EXPECT_EQ(out[1].value.at("fields").at("is_flaky").as_string(), "true");  // decided at add(), kept
  const json::value* fields = out[0].value.if_contains("fields");
  EXPECT_TRUE(fields == nullptr || !fields->as_object().contains("is_flaky"));
  EXPECT_EQ(b->make_batch({&out[0], &out[1]}).body, body);  // a resend: the same bytes
}

// --- describe_error() -------------------------------------------------------------------------

TEST(QaseDescribeError, EnvelopeWithFieldErrors) {
  auto b = make(base_settings());
  EXPECT_EQ(b->describe_error(make_response(400, R"({"status":false,"errorMessage":"Data is invalid.",
      "errorFields":[{"field":"results.3.steps.0.action","error":"The action must be a string."},
                     {"field":"results.4.title","error":"The title is required."}]})")),
            "HTTP 400: Data is invalid. [results.3.steps.0.action: The action must be a string. (+1 more)]");
  EXPECT_EQ(b->describe_error(make_response(429, R"({"status":false,"errorMessage":"API rate limit exceeded."})")),
            "HTTP 429: API rate limit exceeded.");
}

TEST(QaseDescribeError, ValidationStyle) {
  auto b = make(base_settings());
  EXPECT_EQ(b->describe_error(make_response(422, R"({"message":"The selected results.3.execution.status is invalid.",
      "errors":{"results.3.execution.status":["The selected results.3.execution.status is invalid."]}})")),
            "HTTP 422: results.3.execution.status: The selected results.3.execution.status is invalid.");
  EXPECT_EQ(b->describe_error(make_response(422, R"({"message":"Invalid data.",
      "errors":{"results.0.title":["The title field is required."],"results.1.title":["x"]}})")),
            "HTTP 422: Invalid data. [results.0.title: The title field is required. (+1 more)]");
  EXPECT_EQ(b->describe_error(make_response(422, R"({"errors":["first problem","second"]})")),
            "HTTP 422: first problem (+1 more)");
}

TEST(QaseDescribeError, GarbageAndEmptyBodies) {
  auto b = make(base_settings());
  const std::string html = "<html>\n<body>" + std::string(1000, 'g') + "</body></html>";
  const std::string d = b->describe_error(make_response(502, html));
  EXPECT_EQ(d.rfind("HTTP 502: <html> <body>ggg", 0), 0u) << d;
  EXPECT_LE(d.size(), std::string("HTTP 502: ").size() + 200);
  EXPECT_EQ(d.find('\n'), std::string::npos);

  EXPECT_EQ(b->describe_error(make_response(503, "")), "HTTP 503 (empty body)");
  EXPECT_EQ(b->describe_error(make_response(500, R"({"status":false})")), R"(HTTP 500: {"status":false})");
  EXPECT_EQ(b->describe_error(make_response(500, R"({"errorMessage":42)")), R"(HTTP 500: {"errorMessage":42)");
  EXPECT_EQ(b->describe_error(make_response(400, "[1,2]")), "HTTP 400: [1,2]");
  EXPECT_EQ(b->describe_error(make_response(400, "\xff\xfe")), "HTTP 400: \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(QaseDescribeError, TransportErrors) {
  auto b = make(base_settings());
  EXPECT_EQ(
      b->describe_error(make_transport_error(net_error::tls, "TLS handshake with api.qase.test failed: bad cert")),
      "TLS handshake with api.qase.test failed: bad cert");
  EXPECT_EQ(b->describe_error(make_transport_error(net_error::timeout, "")), "transport error: timeout");
}

// --- finish() ---------------------------------------------------------------------------------

TEST(QaseFinish, CompletesARunItCreated) {
  fake_requester r;
  auto b = started(base_settings(), r);
  EXPECT_EQ(finish(*b, r, true), "run 1234 completed");
  ASSERT_EQ(r.requests.size(), 3u);
  const auto& c = r.requests[2];
  EXPECT_EQ(c.request.method, "POST");
  EXPECT_EQ(c.request.url, "https://api.qase.test/v1/run/DEMO/1234/complete");
  EXPECT_EQ(c.request.body, "");
  EXPECT_EQ(c.request.content_type, "");
  EXPECT_EQ(find_header(c.request, "Token").value_or(""), token);
}

TEST(QaseFinish, LeavesTheRunOpenWhenResultsWereLost) {
  fake_requester r;
  auto b = started(base_settings(), r);
  EXPECT_EQ(finish(*b, r, false), "run 1234 left open: not every result was delivered");
  EXPECT_EQ(r.requests.size(), 2u);
}

TEST(QaseFinish, ReportsAFailedCompletion) {
  fake_requester r;
  auto b = started(base_settings(), r);
  r.push(400, R"({"status":false,"errorMessage":"Test run is not active"})");
  EXPECT_EQ(finish(*b, r, true), "run 1234 could not be completed: HTTP 400: Test run is not active");
}

TEST(QaseFinish, RunCompleteFalseKeepsACreatedRunOpen) {
  auto s = base_settings();
  s.run_complete = false;
  fake_requester r;
  auto b = started(s, r);
  EXPECT_EQ(finish(*b, r, true), "run 1234 left open (QASE_TESTOPS_RUN_COMPLETE=false)");
  EXPECT_EQ(r.requests.size(), 2u);
}

TEST(QaseFinish, JoinedRuns) {
  auto s = base_settings();
  s.run_id = 77;
  {
    fake_requester r;
    auto b = make(s);
    ASSERT_EQ(start(*b, r), "");  // fallback answers 200
    EXPECT_EQ(finish(*b, r, true), "run 77 left open (joined via QASE_TESTOPS_RUN_ID)");
    EXPECT_EQ(r.requests.size(), 2u);
  }
  s.run_complete = true;
  {
    fake_requester r;
    auto b = make(s);
    ASSERT_EQ(start(*b, r), "");
    EXPECT_EQ(finish(*b, r, true), "run 77 completed");
    ASSERT_EQ(r.requests.size(), 3u);
    EXPECT_EQ(r.requests[2].request.url, "https://api.qase.test/v1/run/DEMO/77/complete");
    EXPECT_EQ(finish(*b, r, false), "run 77 left open: not every result was delivered");
  }
}

TEST(QaseFinish, WithoutARun) {
  fake_requester r;
  r.push(401, "");
  auto b = make(base_settings());
  EXPECT_NE(start(*b, r), "");
  EXPECT_EQ(finish(*b, r, true), "no Qase run was started");
  EXPECT_EQ(r.requests.size(), 1u);
}

TEST(QaseFinish, DeferredAnswersArriveLater) {
  fake_requester r;
  auto b = started(base_settings(), r);
  r.deferred = true;
  std::string message = "<pending>";
  b->finish(r, true, [&](run_finish f) { message = std::move(f.message); });
  EXPECT_EQ(message, "<pending>");
  EXPECT_EQ(r.pending(), 1u);
  EXPECT_TRUE(r.answer_next());
  EXPECT_EQ(message, "run 1234 completed");
  EXPECT_FALSE(r.answer_next());
}

}  // namespace
}  // namespace gtest_tms::detail

#include "tms/qasphere/qasphere_backend.hpp"
#include "tms/qasphere/qasphere_mapping.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fake_requester.hpp"
#include "str_cat.hpp"

namespace gtest_tms::detail {
namespace {

using testing_support::str_cat;

namespace json = boost::json;
using fakes::fake_requester;
using fakes::find_header;
using fakes::make_response;

constexpr const char* token = "tst0000001.1CKCEtest_JYyckc3zYtest.dhhjYY3BYEoQH41e62itest";
constexpr const char* base = "https://qas.eu1.qasphere.com";
constexpr const char* api = "https://qas.eu1.qasphere.com/api/public/v0";
constexpr std::int64_t fixed_now = 1772600767000;  // 2026-03-04 05:06:07 UTC

qasphere_settings make_settings() {
  qasphere_settings s;
  s.enabled = true;
  s.token = token;
  s.url = base;
  s.project = "BD";
  return s;
}

qasphere_backend_hooks fixed_hooks() {
  qasphere_backend_hooks h;
  h.now_epoch_ms = [] { return fixed_now; };
  h.utc_offset_minutes = 0;
  h.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BUILD") return std::string("77");
    return std::nullopt;
  };
  return h;
}

run_plan plan_of(std::vector<std::string> names) {
  run_plan p;
  for (auto& n : names) p.tests.push_back({"Suite", std::move(n)});
  return p;
}

std::shared_ptr<const test_result> result(const std::string& name, test_status status, std::int64_t ms = 5,
                                          const std::string& message = {}, int iteration = 0) {
  auto r = std::make_shared<test_result>();
  r->suite = "Suite";
  r->name = name;
  r->status = status;
  r->duration_ms = ms;
  r->iteration = iteration;
  if (!message.empty()) {
    failure_part p;
    p.file = "foo_test.cc";
    p.line = 12;
    p.message = message;
    p.summary = message;
    p.skip = status == test_status::skipped;
    r->parts.push_back(p);
  }
  return r;
}

std::string path_of(const http_request& req) {
  const std::string prefix = api;
  return req.url.rfind(prefix, 0) == 0 ? req.url.substr(prefix.size()) : req.url;
}

json::value body_of(const http_request& req) { return json::parse(req.body); }

/// Routes "METHOD /path" to answers; unrouted requests get a 500 (and fail the test visibly).
struct router {
  std::map<std::string, http_response> routes;
  void on(const std::string& key, int status, std::string body) {
    routes[key] = make_response(status, std::move(body));
  }
  void install(fake_requester& f) {
    f.responder = [this](const http_request& req) -> std::optional<http_response> {
      auto it = routes.find(req.method + " " + path_of(req));
      if (it != routes.end()) return it->second;
      ADD_FAILURE() << "unexpected request " << req.method << " " << req.url;
      return make_response(500, R"({"message":"unrouted"})");
    };
  }
};

/// The happy path: project BD with cases 1..3 (ids c1..c3), run 42 created.
router standard_routes() {
  router r;
  r.on("GET /project/BD", 200, R"({"id":"p-uuid","code":"BD","title":"Bank"})");
  r.on("POST /project/BD/tcase/seq", 200,
       R"({"data":[{"id":"c1","seq":1},{"id":"c2","seq":2},{"id":"c3","seq":3}],"total":3,"offset":0,"limit":5000})");
  r.on("POST /project/BD/run", 200, R"({"id":42})");
  r.on("POST /project/BD/run/42/close", 200, R"({"message":"Run closed"})");
  return r;
}

struct started_backend {
  std::unique_ptr<backend> be;
  fake_requester fake;
  router routes;
  std::optional<std::string> start_message;

  started_backend(qasphere_settings s, const run_plan& plan, router r = standard_routes())
      : be(make_qasphere_backend(s, common_settings{}, fixed_hooks())), routes(std::move(r)) {
    routes.install(fake);
    be->start(fake, plan, [this](std::string m) { start_message = std::move(m); });
  }
};

void expect_no_secret(const std::string& text) {
  EXPECT_EQ(text.find(token), std::string::npos) << text;
  EXPECT_EQ(text.find("dhhjYY3BYEoQH41e62itest"), std::string::npos) << text;
}

std::vector<outbound_item> add(backend& be, std::shared_ptr<const test_result> r) {
  std::vector<outbound_item> out;
  be.add(r, out);
  return out;
}

const json::object& item_of(const outbound_item& item) { return item.value; }

std::string finish(backend& be, fake_requester& f, bool complete) {
  std::optional<std::string> msg;
  be.finish(f, complete, [&](run_finish done) { msg = std::move(done.message); });
  EXPECT_TRUE(msg.has_value());
  expect_no_secret(msg.value_or(""));
  return msg.value_or("");
}

// --- basics --------------------------------------------------------------------------------------

TEST(QasphereBackend, ReportsItsLimitsWithinTheServerQuota) {
  auto be = make_qasphere_backend(make_settings(), common_settings{});
  EXPECT_EQ(be->system(), tms::qasphere);
  const rate_limit l = be->limit();
  EXPECT_GT(l.per_second, 0.0);
  EXPECT_GE(l.burst, 1.0);
  // Any one-second window stays within 20 requests: 20 in a window of at least a second.
  EXPECT_TRUE(l.sliding);
  EXPECT_LE(l.burst, 20.0);
  EXPECT_GE(l.burst / l.per_second, 1.0);
  EXPECT_EQ(be->batch_size(), 500u);
  EXPECT_FALSE(be->idempotent_results());
  EXPECT_EQ(be->run_link(), "");
  auto s = make_settings();
  s.batch_size = 100;
  EXPECT_EQ(make_qasphere_backend(s, common_settings{})->batch_size(), 100u);
}

// --- start ---------------------------------------------------------------------------------------

TEST(QasphereStart, ResolvesMarkersAndCreatesAStaticRun) {
  auto s = make_settings();
  s.run_title = "Nightly {env:BUILD} {YYYY}-{MM}-{DD}";
  started_backend t(
      s, plan_of({"TestBd001Login", "test_bd002_logout", "TestBd003Parse/0", "TestBd003Parse/1", "Unmarked"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  ASSERT_EQ(t.fake.requests.size(), 3u);

  const auto& project = t.fake.requests[0];
  EXPECT_EQ(project.request.method, "GET");
  EXPECT_EQ(project.request.url, std::string(api) + "/project/BD");
  EXPECT_TRUE(project.idempotent);
  EXPECT_EQ(find_header(project.request, "Authorization"), std::optional<std::string>(std::string("ApiKey ") + token));
  EXPECT_EQ(find_header(project.request, "Accept"), std::optional<std::string>("application/json"));
  EXPECT_EQ(find_header(project.request, "User-Agent").value_or("").rfind("gtest-tms-reporter/", 0), 0u);

  const auto& lookup = t.fake.requests[1];
  EXPECT_EQ(lookup.request.method, "POST");
  EXPECT_EQ(path_of(lookup.request), "/project/BD/tcase/seq");
  EXPECT_EQ(lookup.request.content_type, "application/json");
  EXPECT_EQ(body_of(lookup.request), json::parse(R"({"seqIds":["BD-001","BD-002","BD-003"],"offset":0,"limit":5000})"));

  const auto& create = t.fake.requests[2];
  EXPECT_EQ(path_of(create.request), "/project/BD/run");
  EXPECT_FALSE(create.idempotent);  // creating a run twice makes two runs
  EXPECT_EQ(
      body_of(create.request),
      json::parse(R"({"title":"Nightly 77 2026-03-04","description":"Test run created through automation pipeline",
                            "type":"static_struct","queryPlans":[{"tcaseIds":["c1","c2","c3"]}]})"));

  EXPECT_EQ(t.be->run_id(), 42);
  EXPECT_EQ(t.be->run_link(), std::string(base) + "/project/BD/run/42");
}

TEST(QasphereStart, DefaultTitleAndDescriptionFollowTheCli) {
  auto s = make_settings();
  s.run_description = std::string(600, 'd');
  started_backend t(s, plan_of({"TestBd001Login"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  const json::value body = body_of(t.fake.requests.at(2).request);
  const std::string title(body.at("title").as_string());
  EXPECT_EQ(title.rfind("Automated test run - Mar 04, 2026, ", 0), 0u) << title;
  EXPECT_NE(title.find("AM"), std::string::npos) << title;
  EXPECT_EQ(body.at("description").as_string().size(), 512u);
}

TEST(QasphereStart, BearerSchemeWhenConfigured) {
  auto s = make_settings();
  s.auth = qas_auth_scheme::bearer;
  started_backend t(s, plan_of({"TestBd001Login"}));
  ASSERT_FALSE(t.fake.requests.empty());
  EXPECT_EQ(find_header(t.fake.requests[0].request, "Authorization"),
            std::optional<std::string>(std::string("Bearer ") + token));
}

TEST(QasphereStart, NoMarkersMeansNoRequestAtAll) {
  started_backend t(make_settings(), plan_of({"Works", "AlsoWorks"}));
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("no QA Sphere markers"), std::string::npos) << *t.start_message;
  EXPECT_NE(t.start_message->find("2 tests"), std::string::npos) << *t.start_message;
  EXPECT_NE(t.start_message->find("reporting is off"), std::string::npos) << *t.start_message;
  EXPECT_TRUE(t.fake.requests.empty());
  EXPECT_TRUE(add(*t.be, result("Works", test_status::passed)).empty());
  EXPECT_EQ(t.be->not_sent_count(), 1u);
}

TEST(QasphereStart, NoMarkersWithoutConfiguredCode) {
  auto s = make_settings();
  s.project.clear();
  started_backend t(s, plan_of({"Works"}));
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("no QA Sphere markers in the 1 tests"), std::string::npos) << *t.start_message;
  EXPECT_TRUE(t.fake.requests.empty());
}

TEST(QasphereStart, DetectsTheProjectFromTheFirstMarkerAndNotesOthers) {
  auto s = make_settings();
  s.project.clear();
  started_backend t(s, plan_of({"Plain", "TestBd001Login", "TestQs001Other"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  EXPECT_EQ(path_of(t.fake.requests.at(0).request), "/project/BD");
  EXPECT_EQ(body_of(t.fake.requests.at(1).request).at("seqIds"), json::parse(R"(["BD-001"])"));
  EXPECT_TRUE(add(*t.be, result("TestQs001Other", test_status::passed)).empty());
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_NE(msg.find("QS-001"), std::string::npos) << msg;
  EXPECT_NE(msg.find("QAS_PROJECT_CODE"), std::string::npos) << msg;
}

struct auth_case {
  int status;
  const char* body;
  const char* expected;
};

void PrintTo(const auth_case& c, std::ostream* os) { *os << "HTTP " << c.status << " " << c.body; }

class QasphereAuthErrors : public ::testing::TestWithParam<auth_case> {};

TEST_P(QasphereAuthErrors, NameTheCauseWithoutTheKey) {
  router r;
  r.on("GET /project/BD", GetParam().status, GetParam().body);
  started_backend t(make_settings(), plan_of({"TestBd001Login"}), r);
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find(GetParam().expected), std::string::npos) << *t.start_message;
  expect_no_secret(*t.start_message);
  EXPECT_EQ(t.fake.requests.size(), 1u);  // nothing after the failed check
  EXPECT_EQ(t.be->run_id(), 0);
  // Results still reach the pipeline (for its fallback), never with a made-up case id resolved.
  auto items = add(*t.be, result("TestBd001Login", test_status::passed));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(t.be->not_sent_count(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Statuses, QasphereAuthErrors,
    ::testing::Values(
        auth_case{401, R"({"message":"Missing API key"})", "QA Sphere rejected QAS_TOKEN: Missing API key"},
        auth_case{401, R"({"message":"Invalid API key format"})",
                  "QA Sphere rejected QAS_TOKEN: Invalid API key format"},
        auth_case{401, R"({"message":"Invalid credentials"})", "QA Sphere rejected QAS_TOKEN: Invalid credentials"},
        auth_case{401, "", "QA Sphere rejected QAS_TOKEN: HTTP 401"},
        auth_case{401,
                  R"({"message":"Invalid credentials for tst0000001.1CKCEtest_JYyckc3zYtest.dhhjYY3BYEoQH41e62itest"})",
                  "Invalid credentials for ****"},
        auth_case{403, R"({"message":"Tenant suspended"})", "QA Sphere tenant suspended"},
        auth_case{400, R"({"message":"Wrong Domain"})", "QAS_TOKEN belongs to another QA Sphere domain than QAS_URL"},
        auth_case{404, R"({"message":"Project not found"})", "QA Sphere project 'BD' not found (QAS_PROJECT_CODE"},
        auth_case{500, "<html>boom</html>", "could not check project 'BD'"}));

TEST(QasphereStart, UnknownMarkersAreNotedAndNotSent) {
  router r = standard_routes();
  r.on("POST /project/BD/tcase/seq", 200, R"({"data":[{"id":"c1","seq":1}],"total":1,"offset":0,"limit":5000})");
  started_backend t(make_settings(), plan_of({"TestBd001Login", "TestBd002Logout", "TestBd777Gone"}), r);
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  EXPECT_EQ(body_of(t.fake.requests.at(2).request).at("queryPlans"), json::parse(R"([{"tcaseIds":["c1"]}])"));
  EXPECT_TRUE(add(*t.be, result("TestBd002Logout", test_status::failed, 3, "x")).empty());
  EXPECT_EQ(t.be->not_sent_count(), 1u);
  const auto items = add(*t.be, result("TestBd001Login", test_status::passed));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(item_of(items[0]).at("tcaseId").as_string(), "c1");
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_NE(msg.find("2 markers not found in project BD (BD-002, BD-777)"), std::string::npos) << msg;
}

TEST(QasphereStart, NoKnownMarkerMeansNoRun) {
  router r = standard_routes();
  r.on("POST /project/BD/tcase/seq", 200, R"({"data":null,"total":0,"offset":0,"limit":5000})");
  started_backend t(make_settings(), plan_of({"TestBd001Login", "TestBd002Logout"}), r);
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("none of the 2 QA Sphere markers"), std::string::npos) << *t.start_message;
  EXPECT_EQ(t.fake.requests.size(), 2u);  // no POST /run
  EXPECT_TRUE(add(*t.be, result("TestBd001Login", test_status::passed)).empty());
  EXPECT_EQ(t.be->not_sent_count(), 1u);
}

TEST(QasphereStart, PagesTheLookupWhileAPageIsFull) {
  std::vector<std::string> names;
  for (int i = 1; i <= 5001; ++i) names.push_back(str_cat("TestBd", 1000 + i, "Case"));
  json::array page1;
  for (int i = 1; i <= 5000; ++i) page1.push_back(json::object{{"id", str_cat("c", 1000 + i)}, {"seq", 1000 + i}});
  json::array page2;
  page2.push_back(json::object{{"id", "c6001"}, {"seq", 6001}});
  const std::string first = json::serialize(json::object{{"data", page1}, {"total", 5001}});
  const std::string second = json::serialize(json::object{{"data", page2}, {"total", 5001}});

  fake_requester fake;
  fake.responder = [&](const http_request& req) -> std::optional<http_response> {
    const std::string p = path_of(req);
    if (p == "/project/BD") return make_response(200, "{}");
    if (p == "/project/BD/run") return make_response(200, R"({"id":5})");
    if (p == "/project/BD/tcase/seq")
      return make_response(200, body_of(req).at("offset").as_int64() == 0 ? first : second);
    return make_response(500);
  };
  auto be = make_qasphere_backend(make_settings(), common_settings{}, fixed_hooks());
  std::optional<std::string> msg;
  be->start(fake, plan_of(names), [&](std::string m) { msg = std::move(m); });
  ASSERT_EQ(msg, std::optional<std::string>(""));
  ASSERT_EQ(fake.requests.size(), 4u);
  EXPECT_EQ(body_of(fake.requests[2].request).at("offset").as_int64(), 5000);
  EXPECT_EQ(body_of(fake.requests[3].request).at("queryPlans").at(0).at("tcaseIds").as_array().size(), 5001u);
}

// `markers` planned tests TestBd1001Case..., a server whose every tcase/seq page is the first 5,000
// of them; returns the requests of a successful start.
std::vector<fake_requester::sent_request> start_against_one_page(int markers) {
  std::vector<std::string> names;
  for (int i = 1; i <= markers; ++i) names.push_back(str_cat("TestBd", 1000 + i, "Case"));
  json::array page;
  for (int i = 1; i <= 5000; ++i) page.push_back(json::object{{"id", str_cat("c", 1000 + i)}, {"seq", 1000 + i}});
  const std::string same = json::serialize(json::object{{"data", page}});
  fake_requester fake;
  fake.responder = [&](const http_request& req) -> std::optional<http_response> {
    const std::string p = path_of(req);
    if (p == "/project/BD/tcase/seq") return make_response(200, same);
    if (p == "/project/BD/run") return make_response(200, R"({"id":5})");
    return make_response(200, "{}");
  };
  auto be = make_qasphere_backend(make_settings(), common_settings{}, fixed_hooks());
  std::optional<std::string> msg;
  be->start(fake, plan_of(names), [&](std::string m) { msg = std::move(m); });
  EXPECT_EQ(msg, std::optional<std::string>(""));
  return fake.requests;
}

// Exactly one full page that resolves every marker: no second request for an empty page (issue 13
// measured two tcase/seq requests for 5,000 markers where one does).
TEST(QasphereStart, AFullPageThatResolvesEveryMarkerIsTheLastOne) {
  const auto requests = start_against_one_page(5000);
  ASSERT_EQ(requests.size(), 3u);  // project, one page, run
  EXPECT_EQ(body_of(requests[2].request).at("queryPlans").at(0).at("tcaseIds").as_array().size(), 5000u);
}

TEST(QasphereStart, StopsPagingWhenTheServerIgnoresTheOffset) {
  EXPECT_EQ(start_against_one_page(5001).size(), 4u);  // project, 2 pages (the second brought nothing new), run
}

TEST(QasphereStart, GivenRunReadsItsMembership) {
  auto s = make_settings();
  s.run_id = 7;
  router r;
  r.on("GET /project/BD", 200, "{}");
  r.on("GET /project/BD/run/7/tcase", 200,
       R"({"tcases":[{"id":"c1","seq":1,"title":"Login","status":"open"},{"id":"c9","seq":9,"status":"open"}]})");
  started_backend t(s, plan_of({"TestBd001Login", "TestBd002Logout"}), r);
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  ASSERT_EQ(t.fake.requests.size(), 2u);  // no lookup, no run creation
  EXPECT_TRUE(t.fake.requests[1].idempotent);
  EXPECT_EQ(t.be->run_id(), 7);
  EXPECT_EQ(t.be->run_link(), std::string(base) + "/project/BD/run/7");

  EXPECT_TRUE(add(*t.be, result("TestBd002Logout", test_status::passed)).empty());
  EXPECT_EQ(t.be->not_sent_count(), 1u);
  const auto items = add(*t.be, result("TestBd001Login", test_status::passed));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(item_of(items[0]).at("tcaseId").as_string(), "c1");

  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_NE(msg.find("run 7 left open"), std::string::npos) << msg;
  EXPECT_NE(msg.find("BD-002) is not a test case of run 7"), std::string::npos) << msg;
  EXPECT_EQ(t.fake.requests.size(), 2u);  // never closes a run it joined
}

TEST(QasphereStart, GivenRunNotFound) {
  auto s = make_settings();
  s.run_id = 7;
  router r;
  r.on("GET /project/BD", 200, "{}");
  r.on("GET /project/BD/run/7/tcase", 404, R"({"message":"Run not found"})");
  started_backend t(s, plan_of({"TestBd001Login"}), r);
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("QA Sphere run 7 not found in project BD (QAS_RUN_ID"), std::string::npos)
      << *t.start_message;
}

TEST(QasphereStart, GivenRunWithoutAnyOfOurCases) {
  auto s = make_settings();
  s.run_id = 7;
  router r;
  r.on("GET /project/BD", 200, "{}");
  r.on("GET /project/BD/run/7/tcase", 200, R"({"tcases":[{"id":"c9","seq":9}]})");
  started_backend t(s, plan_of({"TestBd001Login"}), r);
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("are test cases of run 7"), std::string::npos) << *t.start_message;
  EXPECT_NE(t.start_message->find("reporting is off"), std::string::npos) << *t.start_message;
}

TEST(QasphereStart, GivenRunIsJoinedEvenWithoutMarkersSoItCanBeClosed) {
  // `gtest-tms run complete`: no tests at all, a configured project, the run to close.
  auto s = make_settings();
  s.run_id = 7;
  s.close_run = true;
  router r;
  r.on("GET /project/BD", 200, "{}");
  r.on("GET /project/BD/run/7/tcase", 200, R"({"tcases":[{"id":"c1","seq":1}]})");
  r.on("POST /project/BD/run/7/close", 200, R"({"message":"Run closed"})");
  started_backend t(s, run_plan{}, r);
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  EXPECT_EQ(t.be->run_id(), 7);
  EXPECT_EQ(finish(*t.be, t.fake, true), "run 7 closed");

  // A test binary without markers joining a given run: nothing is sent, and the summary says why.
  s.close_run.reset();
  started_backend plain(s, plan_of({"Works"}), r);
  ASSERT_EQ(plain.start_message, std::optional<std::string>(""));
  EXPECT_TRUE(add(*plain.be, result("Works", test_status::passed)).empty());
  EXPECT_EQ(plain.be->not_sent_count(), 1u);
  const std::string msg = finish(*plain.be, plain.fake, true);
  EXPECT_NE(msg.find("run 7 left open"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no QA Sphere markers of project BD in the 1 tests"), std::string::npos) << msg;
}

TEST(QasphereStart, ConflictingRunTitleJoinsThatRun) {
  router r = standard_routes();
  r.on("POST /project/BD/run", 403,
       R"({"message":"run title must be unique within the milestone, conflicting run id: 13"})");
  r.on("GET /project/BD/run/13/tcase", 200, R"({"tcases":[{"id":"c1","seq":1},{"id":"c2","seq":2}]})");
  started_backend t(make_settings(), plan_of({"TestBd001Login", "TestBd002Logout", "TestBd003Parse"}), r);
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  EXPECT_EQ(t.be->run_id(), 13);
  EXPECT_EQ(path_of(t.fake.requests.back().request), "/project/BD/run/13/tcase");
  EXPECT_TRUE(add(*t.be, result("TestBd003Parse", test_status::passed)).empty());  // not in run 13
  ASSERT_EQ(add(*t.be, result("TestBd002Logout", test_status::passed)).size(), 1u);
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_NE(msg.find("run 13 left open"), std::string::npos) << msg;
  EXPECT_NE(msg.find("joined run 13"), std::string::npos) << msg;
}

TEST(QasphereStart, RunCreationRefused) {
  router r = standard_routes();
  r.on("POST /project/BD/run", 403, R"({"message":"Forbidden"})");
  started_backend t(make_settings(), plan_of({"TestBd001Login"}), r);
  ASSERT_TRUE(t.start_message.has_value());
  EXPECT_NE(t.start_message->find("refused to create a run"), std::string::npos) << *t.start_message;
  EXPECT_NE(t.start_message->find("Test Runner"), std::string::npos) << *t.start_message;
  expect_no_secret(*t.start_message);
}

// --- results -------------------------------------------------------------------------------------

TEST(QasphereResults, SingleInstancesAreEmittedAtOnce) {
  started_backend t(make_settings(), plan_of({"TestBd001Login", "TestBd002Logout", "Unmarked"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));

  auto items = add(*t.be, result("TestBd001Login", test_status::passed, 812));
  ASSERT_EQ(items.size(), 1u);
  json::object o = item_of(items[0]);
  EXPECT_EQ(o,
            json::parse(R"({"tcaseId":"c1","status":"passed","comment":"<p>Passed: Suite.TestBd001Login (812 ms)</p>",
                              "timeTaken":812})"));
  EXPECT_EQ(items[0].label, "Suite.TestBd001Login");
  ASSERT_EQ(items[0].sources.size(), 1u);

  items = add(*t.be, result("TestBd002Logout", test_status::invalid, 4, "C++ exception with description \"boom\""));
  ASSERT_EQ(items.size(), 1u);
  o = item_of(items[0]);
  EXPECT_EQ(o.at("status").as_string(), "blocked");
  const std::string comment(o.at("comment").as_string());
  EXPECT_NE(comment.find("<pre><code>foo_test.cc:12\nC++ exception with description &quot;boom&quot;</code></pre>"),
            std::string::npos)
      << comment;

  EXPECT_TRUE(add(*t.be, result("Unmarked", test_status::failed)).empty());
  EXPECT_EQ(t.be->not_sent_count(), 1u);
}

TEST(QasphereResults, StatusMappingNeverLeavesAnEmptyComment) {
  started_backend t(make_settings(), plan_of({"TestBd001A", "TestBd002B", "TestBd003C"}));
  const struct {
    const char* name;
    test_status status;
    const char* expected;
  } cases[] = {{"TestBd001A", test_status::failed, "failed"},
               {"TestBd002B", test_status::skipped, "skipped"},
               {"TestBd003C", test_status::blocked, "blocked"}};
  for (const auto& c : cases) {
    auto items = add(*t.be, result(c.name, c.status, 1));  // no parts: no text from gtest
    ASSERT_EQ(items.size(), 1u) << c.name;
    const json::object o = item_of(items[0]);
    EXPECT_EQ(o.at("status").as_string(), c.expected);
    const std::string comment(o.at("comment").as_string());
    EXPECT_NE(comment.find("<pre><code>"), std::string::npos) << comment;
    EXPECT_GT(comment.size(), 40u) << comment;
  }
}

TEST(QasphereResults, ParameterizedInstancesFoldIntoOneItem) {
  started_backend t(make_settings(),
                    plan_of({"TestBd003Parse/0", "TestBd003Parse/1", "TestBd003Parse/2", "TestBd001Login"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));

  EXPECT_TRUE(add(*t.be, result("TestBd003Parse/0", test_status::passed, 10)).empty());
  // Another case in between is not held back by the open group.
  EXPECT_EQ(add(*t.be, result("TestBd001Login", test_status::passed, 1)).size(), 1u);
  EXPECT_TRUE(add(*t.be, result("TestBd003Parse/1", test_status::failed, 20, "Expected: 1 < 2")).empty());
  auto items = add(*t.be, result("TestBd003Parse/2", test_status::skipped, 30, "not on this platform"));
  ASSERT_EQ(items.size(), 1u);

  const json::object o = item_of(items[0]);
  EXPECT_EQ(o.at("tcaseId").as_string(), "c3");
  EXPECT_EQ(o.at("status").as_string(), "failed");  // worst wins
  EXPECT_EQ(o.at("timeTaken").as_int64(), 60);
  const std::string comment(o.at("comment").as_string());
  EXPECT_NE(comment.find("3 instances: 1 failed, 1 skipped, 1 passed"), std::string::npos) << comment;
  EXPECT_NE(comment.find("Suite.TestBd003Parse/0"), std::string::npos) << comment;
  EXPECT_NE(comment.find("<b>failed</b> Suite.TestBd003Parse/1 (20 ms)<pre><code>foo_test.cc:12\nExpected: 1 &lt; 2"),
            std::string::npos)
      << comment;
  EXPECT_NE(comment.find("not on this platform"), std::string::npos) << comment;
  EXPECT_EQ(items[0].sources.size(), 3u);
  EXPECT_NE(items[0].label.find("BD-003"), std::string::npos);
}

TEST(QasphereResults, WorstStatusOrder) {
  started_backend t(make_settings(), plan_of({"TestBd003P/0", "TestBd003P/1"}));
  EXPECT_TRUE(add(*t.be, result("TestBd003P/0", test_status::skipped)).empty());
  auto items = add(*t.be, result("TestBd003P/1", test_status::invalid));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(item_of(items[0]).at("status").as_string(), "blocked");  // blocked > skipped

  EXPECT_TRUE(add(*t.be, result("TestBd003P/0", test_status::failed, 1, {}, 1)).empty());
  items = add(*t.be, result("TestBd003P/1", test_status::blocked, 1, {}, 1));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(item_of(items[0]).at("status").as_string(), "failed");  // failed > blocked
}

// The mapping on its own (qasphere_mapping.hpp): no backend, no run.
TEST(QasphereMapping, FoldsInstancesIntoOneItem) {
  const std::vector<std::shared_ptr<const test_result>> rs = {result("TestBd003P/0", test_status::skipped, 4),
                                                              result("TestBd003P/1", test_status::invalid, 5)};
  const json::object o = qasphere_result_json("c3", rs, 3);
  EXPECT_EQ(o, (json::object{
                   {"tcaseId", "c3"}, {"status", "blocked"}, {"comment", qasphere_comment(rs, 3)}, {"timeTaken", 9}}));
  EXPECT_NE(std::string(o.at("comment").as_string()).find("2 instances of 3"), std::string::npos);
  EXPECT_FALSE(qasphere_single_instance(rs.size(), 3));
  EXPECT_TRUE(qasphere_single_instance(1, 1));
  EXPECT_EQ(std::string(qasphere_status(test_status::invalid)), "blocked");
  EXPECT_EQ(std::string(qasphere_status(test_status::failed)), "failed");
}

TEST(QasphereResults, RepeatIterationsFoldSeparately) {
  started_backend t(make_settings(), plan_of({"TestBd003P/0", "TestBd003P/1"}));
  EXPECT_TRUE(add(*t.be, result("TestBd003P/0", test_status::passed, 1, {}, 0)).empty());
  EXPECT_TRUE(add(*t.be, result("TestBd003P/0", test_status::passed, 1, {}, 1)).empty());
  EXPECT_EQ(add(*t.be, result("TestBd003P/1", test_status::passed, 1, {}, 0)).size(), 1u);
  const auto items = add(*t.be, result("TestBd003P/1", test_status::failed, 1, {}, 1));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(item_of(items[0]).at("status").as_string(), "failed");
  EXPECT_NE(std::string(item_of(items[0]).at("comment").as_string()).find("(repeat 2)"), std::string::npos);
}

TEST(QasphereResults, FlushHeldEmitsIncompleteGroups) {
  started_backend t(make_settings(), plan_of({"TestBd003P/0", "TestBd003P/1", "TestBd003P/2"}));
  EXPECT_TRUE(add(*t.be, result("TestBd003P/0", test_status::passed, 1)).empty());
  EXPECT_TRUE(add(*t.be, result("TestBd003P/1", test_status::passed, 2)).empty());
  std::vector<outbound_item> out;
  t.be->flush_held(out);
  ASSERT_EQ(out.size(), 1u);
  const json::object o = item_of(out[0]);
  EXPECT_EQ(o.at("status").as_string(), "passed");
  EXPECT_EQ(o.at("timeTaken").as_int64(), 3);
  EXPECT_NE(std::string(o.at("comment").as_string()).find("2 instances of 3"), std::string::npos);
  out.clear();
  t.be->flush_held(out);
  EXPECT_TRUE(out.empty());
}

TEST(QasphereResults, ResultsDuringStartWaitForTheRun) {
  auto be = make_qasphere_backend(make_settings(), common_settings{}, fixed_hooks());
  fake_requester fake;
  fake.deferred = true;
  router r = standard_routes();
  r.install(fake);
  std::optional<std::string> msg;
  be->start(fake, plan_of({"TestBd001A", "TestBd002B"}), [&](std::string m) { msg = std::move(m); });
  EXPECT_TRUE(add(*be, result("TestBd001A", test_status::passed)).empty());  // the case id is not known yet
  for (int i = 0; i < 10 && fake.answer_next(); ++i) {
  }
  ASSERT_EQ(msg, std::optional<std::string>(""));
  const auto items = add(*be, result("TestBd002B", test_status::passed));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(item_of(items[0]).at("tcaseId").as_string(), "c1");
  EXPECT_EQ(item_of(items[1]).at("tcaseId").as_string(), "c2");
}

TEST(QasphereResults, FlushBeforeStartFinishedResolvesIdsInTheBatch) {
  auto be = make_qasphere_backend(make_settings(), common_settings{}, fixed_hooks());
  fake_requester fake;
  fake.deferred = true;
  router r = standard_routes();
  r.on("POST /project/BD/tcase/seq", 200, R"({"data":[{"id":"c1","seq":1},{"id":"c3","seq":3}]})");
  r.install(fake);
  std::optional<std::string> msg;
  be->start(fake, plan_of({"TestBd001A", "TestBd002B", "TestBd003C/0", "TestBd003C/1"}),
            [&](std::string m) { msg = std::move(m); });
  EXPECT_TRUE(add(*be, result("TestBd001A", test_status::passed)).empty());
  EXPECT_TRUE(add(*be, result("TestBd002B", test_status::passed)).empty());
  EXPECT_TRUE(add(*be, result("TestBd003C/0", test_status::passed)).empty());
  EXPECT_TRUE(add(*be, result("TestBd003C/1", test_status::failed, 1, "oops")).empty());
  std::vector<outbound_item> out;
  be->flush_held(out);  // the binary ended before the run existed
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 10 && fake.answer_next(); ++i) {
  }
  ASSERT_EQ(msg, std::optional<std::string>(""));

  std::vector<outbound_item*> ptrs;
  for (auto& i : out) ptrs.push_back(&i);
  const http_request req = be->make_batch(ptrs);
  const json::value body = json::parse(req.body);
  const json::array& items = body.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);  // BD-002 does not exist in the project: dropped, counted as not sent
  EXPECT_EQ(items[0].at("tcaseId").as_string(), "c1");
  EXPECT_EQ(items[1].at("tcaseId").as_string(), "c3");
  EXPECT_EQ(items[1].at("status").as_string(), "failed");
  EXPECT_EQ(be->not_sent_count(), 1u);
}

TEST(QasphereResults, CommentsAreEscapedCleanAndBounded) {
  started_backend t(make_settings(), plan_of({"TestBd001A", "TestBd002B", "TestBd003C"}));
  auto items = add(*t.be, result("TestBd001A", test_status::failed, 1, "a < b && c > \"d\" <script>\xff\xfe end"));
  ASSERT_EQ(items.size(), 1u);
  std::string comment(item_of(items[0]).at("comment").as_string());
  EXPECT_NE(comment.find("a &lt; b &amp;&amp; c &gt; &quot;d&quot; &lt;script&gt;"), std::string::npos) << comment;
  EXPECT_EQ(comment.find("<script>"), std::string::npos);
  EXPECT_NE(comment.find("\xEF\xBF\xBD"), std::string::npos);  // invalid bytes became U+FFFD
  EXPECT_EQ(comment.find('\xff'), std::string::npos);

  items = add(*t.be, result("TestBd002B", test_status::failed, 1, std::string(1 << 20, '<')));
  ASSERT_EQ(items.size(), 1u);
  comment = std::string(item_of(items[0]).at("comment").as_string());
  EXPECT_LE(comment.size(), qasphere_max_comment_bytes);
  EXPECT_GT(comment.size(), qasphere_max_comment_bytes / 2);
  EXPECT_NE(comment.find("[truncated]"), std::string::npos);
  EXPECT_EQ(comment.substr(comment.size() - 13), "</code></pre>");  // cut inside the text, tags intact
}

TEST(QasphereResults, ManyInstancesStayWithinTheCommentCap) {
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back(str_cat("TestBd001Many/", i));
  started_backend t(make_settings(), plan_of(names));
  std::vector<outbound_item> items;
  for (int i = 0; i < 2000; ++i) {
    auto out = add(*t.be, result(str_cat("TestBd001Many/", i), test_status::failed, 1, std::string(300, 'x')));
    for (auto& o : out) items.push_back(std::move(o));
  }
  ASSERT_EQ(items.size(), 1u);
  const std::string comment(item_of(items[0]).at("comment").as_string());
  EXPECT_LE(comment.size(), qasphere_max_comment_bytes);
  EXPECT_NE(comment.find("more (comment size limit)"), std::string::npos);
  EXPECT_EQ(items[0].sources.size(), 2000u);
}

// --- batch, errors -------------------------------------------------------------------------------

TEST(QasphereBatch, PostsItemsToTheRun) {
  started_backend t(make_settings(), plan_of({"TestBd001A", "TestBd002B"}));
  auto a = add(*t.be, result("TestBd001A", test_status::passed, 7));
  auto b = add(*t.be, result("TestBd002B", test_status::skipped, 8, "later"));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  const http_request req = t.be->make_batch({&a[0], &b[0]});
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, std::string(api) + "/project/BD/run/42/result/batch");
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(find_header(req, "Authorization"), std::optional<std::string>(std::string("ApiKey ") + token));
  const json::value body = json::parse(req.body);
  ASSERT_EQ(body.as_object().size(), 1u);
  const json::array& items = body.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], item_of(a[0]));
  EXPECT_EQ(items[1].at("tcaseId").as_string(), "c2");
  EXPECT_EQ(items[1].at("status").as_string(), "skipped");
  EXPECT_EQ(items[1].at("timeTaken").as_int64(), 8);
  EXPECT_EQ(items[1].as_object().size(), 4u);  // tcaseId, status, comment, timeTaken
}

TEST(QasphereBatch, DescribeError) {
  auto be = make_qasphere_backend(make_settings(), common_settings{});
  EXPECT_EQ(be->describe_error(make_response(400, R"({"message":"items[0].status: invalid"})")),
            "HTTP 400: items[0].status: invalid");
  const std::string html = be->describe_error(make_response(502, "<html>\n" + std::string(5000, 'x') + "</html>"));
  EXPECT_EQ(html.rfind("HTTP 502: <html> xxx", 0), 0u) << html;
  EXPECT_LT(html.size(), 400u);
  EXPECT_EQ(html.find('\n'), std::string::npos);
  EXPECT_EQ(be->describe_error(make_response(503)), "HTTP 503");
  EXPECT_EQ(be->describe_error(
                fakes::make_transport_error(net_error::connect, "connect to qas.eu1.qasphere.com:443 refused")),
            "connect to qas.eu1.qasphere.com:443 refused");
  const std::string echoed =
      be->describe_error(make_response(401, std::string(R"({"message":"bad key )") + token + R"("})"));
  expect_no_secret(echoed);
  EXPECT_NE(echoed.find("bad key ****"), std::string::npos) << echoed;
}

// --- finish --------------------------------------------------------------------------------------

TEST(QasphereFinish, ClosesARunItCreatedWhenEverythingArrived) {
  started_backend t(make_settings(), plan_of({"TestBd001A"}));
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_EQ(msg, "run 42 closed");
  const auto& close = t.fake.requests.back().request;
  EXPECT_EQ(close.method, "POST");
  EXPECT_EQ(path_of(close), "/project/BD/run/42/close");
  EXPECT_TRUE(close.body.empty());
}

TEST(QasphereFinish, LeavesItOpenWhenResultsAreMissing) {
  started_backend t(make_settings(), plan_of({"TestBd001A"}));
  const std::size_t before = t.fake.requests.size();
  const std::string msg = finish(*t.be, t.fake, false);
  EXPECT_NE(msg.find("run 42 left open: not every result was delivered"), std::string::npos) << msg;
  EXPECT_EQ(t.fake.requests.size(), before);
}

TEST(QasphereFinish, HonoursCloseRunSetting) {
  auto s = make_settings();
  s.close_run = false;
  started_backend keep(s, plan_of({"TestBd001A"}));
  const std::size_t before = keep.fake.requests.size();
  EXPECT_NE(finish(*keep.be, keep.fake, true).find("QAS_CLOSE_RUN=false"), std::string::npos);
  EXPECT_EQ(keep.fake.requests.size(), before);

  s.close_run = true;
  s.run_id = 7;
  router r;
  r.on("GET /project/BD", 200, "{}");
  r.on("GET /project/BD/run/7/tcase", 200, R"({"tcases":[{"id":"c1","seq":1}]})");
  r.on("POST /project/BD/run/7/close", 200, R"({"message":"Run closed"})");
  started_backend joined(s, plan_of({"TestBd001A"}), r);
  EXPECT_EQ(finish(*joined.be, joined.fake, true), "run 7 closed");
}

TEST(QasphereFinish, ShardsLeaveTheRunOpen) {
  run_plan p = plan_of({"TestBd001A"});
  p.total_shards = 3;
  p.shard_index = 0;
  started_backend t(make_settings(), p);
  const std::size_t before = t.fake.requests.size();
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_NE(msg.find("run 42 left open"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3 shards"), std::string::npos) << msg;
  EXPECT_EQ(t.fake.requests.size(), before);
}

TEST(QasphereFinish, ReportsAFailedClose) {
  router r = standard_routes();
  r.on("POST /project/BD/run/42/close", 500, R"({"message":"internal error"})");
  started_backend t(make_settings(), plan_of({"TestBd001A"}), r);
  const std::string msg = finish(*t.be, t.fake, true);
  EXPECT_EQ(msg, "run 42 left open: closing it failed: HTTP 500: internal error");
}

TEST(QasphereFinish, NothingToDoWithoutARun) {
  started_backend t(make_settings(), plan_of({"Plain"}));
  EXPECT_EQ(finish(*t.be, t.fake, true), "");
  EXPECT_TRUE(t.fake.requests.empty());
}

// --- the run log (qasphere-api.md 5.11) and links (5.8) -------------------------------------------

TEST(QasphereRunLog, FailuresNoCaseCarriesAreRunLogEntriesSentAlone) {
  started_backend t(make_settings(), plan_of({"TestBd001Login"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  auto setup = std::make_shared<test_result>(*result("SetUpTestSuite", test_status::failed, 0, "server <down>"));
  setup->run_level = true;
  setup->iteration = 1;
  auto items = add(*t.be, setup);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].alone);
  EXPECT_EQ(items[0].label, "Suite.SetUpTestSuite (run log)");
  ASSERT_EQ(items[0].value.size(), 1u);
  const std::string comment(items[0].value.at("comment").as_string());
  EXPECT_EQ(comment.rfind("<p>Failed: Suite.SetUpTestSuite (repeat 2) (0 ms)</p>", 0), 0u) << comment;
  EXPECT_NE(comment.find("foo_test.cc:12\nserver &lt;down&gt;"), std::string::npos) << comment;

  const http_request req = t.be->make_batch({&items[0]});
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, std::string(api) + "/project/BD/run/42/log");
  EXPECT_EQ(json::parse(req.body), items[0].value);
  EXPECT_TRUE(t.be->confirms_batch(req, make_response(200, R"({"id":"log1"})"), 1));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, R"({"id":""})"), 1));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, R"({"ids":[1]})"), 1));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, "<html></html>"), 1));

  // GoogleTest's own failing check (an uninstantiated TEST_P) has no marker either.
  auto verification = std::make_shared<test_result>(
      *result("UninstantiatedParameterizedTestSuite<Para>", test_status::failed, 0, "never instantiated"));
  verification->suite = "GoogleTestVerification";
  items = add(*t.be, verification);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].alone);
  EXPECT_EQ(t.be->not_sent_count(), 0u);
}

// As qas-cli notes a flaky test: the pass that ends a streak of failed attempts of the same test
// (--gtest_repeat iterations, or `ctest --repeat until-pass` processes under one collector) says so.
TEST(QasphereResults, APassAfterFailedAttemptsSaysInHowManyAttemptsItPassed) {
  started_backend t(make_settings(), plan_of({"TestBd001Login", "TestBd002Logout"}));
  int ids = 0;
  const auto attempt = [&ids](const std::string& name, test_status status, const std::string& message, int iteration) {
    auto r = std::make_shared<test_result>(*result(name, status, 5, message, iteration));
    r->id = str_cat("id-", ++ids);  // every result has its own UUID
    return r;
  };
  const auto comment_of = [](const std::vector<outbound_item>& items) {
    EXPECT_EQ(items.size(), 1u);
    return items.empty() ? std::string() : std::string(items[0].value.at("comment").as_string());
  };
  const std::string first = comment_of(add(*t.be, attempt("TestBd001Login", test_status::failed, "no", 0)));
  EXPECT_EQ(first.find("attempts"), std::string::npos) << first;
  comment_of(add(*t.be, attempt("TestBd001Login", test_status::invalid, "boom", 1)));
  const auto pass = attempt("TestBd001Login", test_status::passed, {}, 2);
  const std::string third = comment_of(add(*t.be, pass));
  EXPECT_NE(third.find("<p>Passed in 3 attempts (flaky: the earlier attempts failed)</p>"), std::string::npos) << third;
  // The streak ended: a later pass is an ordinary one, and another test never was flaky.
  EXPECT_EQ(comment_of(add(*t.be, attempt("TestBd001Login", test_status::passed, {}, 3))).find("attempts"),
            std::string::npos);
  EXPECT_EQ(comment_of(add(*t.be, attempt("TestBd002Logout", test_status::passed, {}, 0))).find("attempts"),
            std::string::npos);
}

TEST(QasphereRunLog, ResultsLinkTheCiJobWhenItIsKnown) {
  auto s = make_settings();
  s.ci_job_url = "https://github.example/acme/app/actions/runs/42";
  started_backend t(s, plan_of({"TestBd001Login"}));
  const auto items = add(*t.be, result("TestBd001Login", test_status::passed));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].value.at("links"),
            json::parse(R"([{"text":"CI job","url":"https://github.example/acme/app/actions/runs/42"}])"));
  EXPECT_FALSE(items[0].alone);
}

TEST(QasphereRunLog, ResultsLinkTheQaseRunOnceItIsKnown) {
  auto hooks = fixed_hooks();
  std::string qase_run;  // what the Qase backend's run_link() says: empty until its run exists
  hooks.qase_run_link = [&qase_run] { return qase_run; };
  fake_requester fake;
  router routes = standard_routes();
  routes.install(fake);
  auto be = make_qasphere_backend(make_settings(), common_settings{}, hooks);
  be->start(fake, plan_of({"TestBd001Login", "TestBd002Logout"}), [](std::string) {});
  const auto before = add(*be, result("TestBd001Login", test_status::passed));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_FALSE(before[0].value.contains("links"));
  qase_run = "https://app.qase.io/run/DEMO/dashboard/7";
  const auto after = add(*be, result("TestBd002Logout", test_status::passed));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].value.at("links"),
            json::parse(R"([{"text":"Qase run","url":"https://app.qase.io/run/DEMO/dashboard/7"}])"));
}

}  // namespace
}  // namespace gtest_tms::detail

namespace gtest_tms::detail {
namespace {

// A 2xx is not a confirmation by itself (qasphere-api.md §5: each request's documented answer).
TEST(QasphereConfirmation, EveryRequestWantsItsDocumentedAnswer) {
  {
    router r = standard_routes();
    r.on("POST /project/BD/run", 200, "<html>proxy</html>");
    started_backend t(make_settings(), plan_of({"TestBd001Login"}), r);
    ASSERT_TRUE(t.start_message.has_value());
    EXPECT_NE(t.start_message->find("HTTP 200 without the documented success answer"), std::string::npos)
        << *t.start_message;
    EXPECT_EQ(t.be->run_id(), 0);
  }
  {
    router r = standard_routes();
    r.on("POST /project/BD/tcase/seq", 200, "not json");
    started_backend t(make_settings(), plan_of({"TestBd001Login"}), r);
    ASSERT_TRUE(t.start_message.has_value());
    EXPECT_NE(t.start_message->find("without the documented success answer"), std::string::npos) << *t.start_message;
  }
  {
    auto s = make_settings();
    s.close_run = true;
    router r = standard_routes();
    r.on("POST /project/BD/run/42/close", 200, "<html>ok</html>");
    started_backend t(s, plan_of({"TestBd001Login"}), r);
    ASSERT_EQ(t.start_message, std::optional<std::string>(""));
    const std::string m = finish(*t.be, t.fake, true);
    EXPECT_NE(m.find("left open: closing it failed: HTTP 200 without"), std::string::npos) << m;
  }
}

TEST(QasphereConfirmation, ABatchIsConfirmedByOneIdPerItem) {
  started_backend t(make_settings(), plan_of({"TestBd001Login", "test_bd002_logout"}));
  ASSERT_EQ(t.start_message, std::optional<std::string>(""));
  std::vector<outbound_item> items = add(*t.be, result("TestBd001Login", test_status::passed));
  for (auto& i : add(*t.be, result("test_bd002_logout", test_status::failed))) items.push_back(std::move(i));
  t.be->flush_held(items);
  ASSERT_EQ(items.size(), 2u);
  const http_request req = t.be->make_batch({&items[0], &items[1]});
  EXPECT_TRUE(t.be->confirms_batch(req, make_response(200, R"({"ids":[1,2]})"), 2));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, R"({"ids":[1]})"), 2));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, "{}"), 2));
  EXPECT_FALSE(t.be->confirms_batch(req, make_response(200, "<html></html>"), 2));
  EXPECT_FALSE(t.be->idempotent_results());  // so an unconfirmed batch is never resent
}

}  // namespace
}  // namespace gtest_tms::detail

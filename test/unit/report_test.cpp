// The Qase local report: result files that follow result.yaml and rebuild the exact record,
// run.json merged by several writers, and a reader that skips hostile files with a warning.

#include "record_compare.hpp"
#include "storage/qase_report.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/test_result_json.hpp"
#include "storage/journal.hpp"
#include "support/process.hpp"
#include "support/str_cat.hpp"

namespace gtest_tms::detail {
namespace {

namespace json = boost::json;
using testing_support::list_files;
using testing_support::read_file;
using testing_support::temp_dir;
using testing_support::write_file;

std::string uuid_for(int n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "5e0c1a2b-3c4d-4e5f-8a9b-%012d", n);
  return buf;
}

std::shared_ptr<const test_result> make(int n, test_status st = test_status::passed) {
  auto r = std::make_shared<test_result>();
  r->id = uuid_for(n);
  r->suite = "Suite";
  r->name = "Test" + std::to_string(n);
  r->file = "/src/t.cpp";
  r->line = 10 + n;
  r->status = st;
  r->start_ms = 1700000000000 + n * 1000;
  r->duration_ms = 100 + n;
  if (st == test_status::failed)
    r->parts.push_back({"/src/t.cpp", 12, "Expected: 1", "Expected: 1\nStack trace:\n#0 x", true, false});
  if (st == test_status::skipped) r->parts.push_back({"/src/t.cpp", 13, "not today", "not today", false, true});
  return r;
}

std::shared_ptr<const test_result> rich() {
  auto r = std::make_shared<test_result>();
  r->id = uuid_for(999);
  r->suite = "Inst/Typed/1";
  r->name = "Works/2";
  r->value_param = "\"quoted\" 4";
  r->type_param = "std::vector<int>";
  r->file = "/src/t.cpp";
  r->line = 99;
  r->status = test_status::invalid;
  r->start_ms = 1700000000555;
  r->duration_ms = 7;
  r->parts.push_back({"", -1, "C++ exception with description \"boom\" thrown in the test body.",
                      "C++ exception with description \"boom\" thrown in the test body.", false, false});
  r->parts.push_back(
      {"/src/t.cpp", 5, "Value of: a\n  Actual: 1", "Value of: a\n  Actual: 1\nStack trace:\n#0", true, false});
  r->qase_ids = {12, 13};
  r->properties = {{"owner", "team-a"}, {"ticket", "X-1"}};
  r->iteration = 2;
  r->run_level = true;
  step_record child{"inner", "", test_status::failed, 1700000000600, 2, {}};
  r->steps.push_back({"open page", "page shown", test_status::passed, 1700000000556, 3, {child}});
  r->steps.push_back({"second", "", test_status::skipped, 0, 0, {}});
  r->notes = {"1 attachment dropped"};
  return r;
}

void expect_same(const test_result& a, const test_result& b) { testing_support::expect_same(a, b, false); }

qase_settings qs() {
  qase_settings s;
  s.mode = qase_mode::report;
  return s;
}

json::object parse_object(const std::string& text) {
  json::value v = json::parse(text);
  EXPECT_TRUE(v.is_object());
  return v.is_object() ? v.get_object() : json::object{};
}

bool is_string_or_null(const json::value* v) { return v != nullptr && (v->is_string() || v->is_null()); }
bool is_number_or_null(const json::value* v) { return v != nullptr && (v->is_number() || v->is_null()); }

// The keys and types result.yaml and models/*.yaml require of a result file.
void check_result_schema(const json::object& o) {
  ASSERT_TRUE(o.contains("id") && o.at("id").is_string());
  EXPECT_TRUE(o.contains("title") && o.at("title").is_string());
  EXPECT_TRUE(is_string_or_null(o.if_contains("signature")));
  ASSERT_TRUE(o.contains("execution") && o.at("execution").is_object());
  const json::object& ex = o.at("execution").get_object();
  EXPECT_TRUE(ex.contains("status") && ex.at("status").is_string());
  for (const char* k : {"start_time", "end_time", "duration"}) EXPECT_TRUE(is_number_or_null(ex.if_contains(k))) << k;
  for (const char* k : {"stacktrace", "error_context", "thread"})
    EXPECT_TRUE(is_string_or_null(ex.if_contains(k))) << k;
  ASSERT_TRUE(o.contains("fields") && o.at("fields").is_object());
  for (const auto& kv : o.at("fields").get_object()) EXPECT_TRUE(kv.value().is_string()) << kv.key();
  EXPECT_TRUE(o.contains("attachments") && o.at("attachments").is_array());
  EXPECT_TRUE(o.contains("steps") && o.at("steps").is_array());
  ASSERT_TRUE(o.contains("params") && o.at("params").is_object());
  for (const auto& kv : o.at("params").get_object()) EXPECT_TRUE(kv.value().is_string()) << kv.key();
  ASSERT_TRUE(o.contains("param_groups") && o.at("param_groups").is_array());
  ASSERT_TRUE(o.contains("testops_ids"));
  if (!o.at("testops_ids").is_null()) {
    ASSERT_TRUE(o.at("testops_ids").is_array());
    for (const auto& id : o.at("testops_ids").get_array()) EXPECT_TRUE(id.is_number());
  }
  ASSERT_TRUE(o.contains("relations") && o.at("relations").is_object());
  const json::value* data = o.at("relations").get_object().at("suite").get_object().if_contains("data");
  ASSERT_TRUE(data != nullptr && data->is_array());
  for (const auto& s : data->get_array()) {
    ASSERT_TRUE(s.is_object());
    EXPECT_TRUE(s.get_object().at("title").is_string());
    EXPECT_TRUE(is_number_or_null(s.get_object().if_contains("public_id")));
  }
  EXPECT_TRUE(o.contains("muted") && o.at("muted").is_bool());
  EXPECT_TRUE(is_string_or_null(o.if_contains("message")));
}

void check_run_schema(const json::object& o) {
  EXPECT_TRUE(o.at("title").is_string());
  const json::object& ex = o.at("execution").get_object();
  for (const char* k : {"start_time", "end_time", "duration", "cumulative_duration"})
    EXPECT_TRUE(ex.at(k).is_number()) << k;
  const json::object& st = o.at("stats").get_object();
  for (const char* k : {"total", "passed", "failed", "skipped", "blocked", "invalid", "muted"})
    EXPECT_TRUE(st.at(k).is_number()) << k;
  for (const auto& r : o.at("results").get_array()) {
    const json::object& e = r.get_object();
    EXPECT_TRUE(e.at("id").is_string());
    EXPECT_TRUE(e.at("title").is_string());
    EXPECT_TRUE(e.at("status").is_string());
    EXPECT_TRUE(e.at("duration").is_number());
    EXPECT_TRUE(is_string_or_null(e.if_contains("thread")));
  }
  EXPECT_TRUE(o.at("threads").is_array());
  EXPECT_TRUE(o.at("suites").is_array());
  EXPECT_TRUE(is_string_or_null(o.if_contains("environment")));
  for (const auto& kv : o.at("host_data").get_object()) EXPECT_TRUE(kv.value().is_string()) << kv.key();
}

TEST(QaseReport, RoundTripRebuildsEqualRecords) {
  temp_dir dir;
  const std::vector<std::shared_ptr<const test_result>> in = {make(1), make(2, test_status::failed),
                                                              make(3, test_status::skipped), rich()};
  ASSERT_EQ(write_qase_report(dir.path(), in, {1700000000000, 1700000009000, tms::qase, 41, true}, qs()), "");

  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path(), c, error)) << error;
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.system, "qase");
  ASSERT_EQ(c.entries.size(), in.size());
  for (const auto& want : in) {
    const auto it = std::find_if(c.entries.begin(), c.entries.end(),
                                 [&](const report_entry& e) { return e.result->id == want->id; });
    ASSERT_NE(it, c.entries.end()) << want->id;
    expect_same(*it->result, *want);
    EXPECT_EQ(it->run_id, 41);
    EXPECT_TRUE(it->run_created);
    EXPECT_EQ(it->file, dir.path() + "/results/" + want->id + ".json");
  }
}

// QASE_REPORT_CONNECTION_FORMAT=jsonp: every file is qaseJsonp(<json>); (names unchanged), run.json
// merges across writers as in JSON, and the reader (gtest-tms upload) takes it back.
TEST(QaseReport, JsonpWrapsEveryFileAndComesBack) {
  temp_dir dir;
  qase_settings s = qs();
  s.report_format = qase_report_format::jsonp;
  const std::vector<std::shared_ptr<const test_result>> in = {make(1), make(2, test_status::failed)};
  ASSERT_EQ(write_qase_report(dir.path(), in, {1700000000000, 1700000009000, tms::qase, 41, true}, s), "");
  ASSERT_EQ(write_qase_report(dir.path(), {make(3)}, {1700000000000, 1700000009000, tms::qase, 41, true}, s), "");
  for (const std::string& f :
       std::vector<std::string>{"/run.json", testing_support::str_cat("/results/", uuid_for(1), ".json"),
                                testing_support::str_cat("/results/", uuid_for(3), ".json")}) {
    const std::string text = read_file(dir.path() + f);
    EXPECT_EQ(text.rfind("qaseJsonp({", 0), 0u) << f << ": " << text.substr(0, 40);
    EXPECT_EQ(text.substr(text.size() - 3), ");\n") << f;
  }
  const std::string run_text = read_file(dir.path() + "/run.json");
  const json::object run = parse_object(run_text.substr(10, run_text.size() - 13));
  check_run_schema(run);
  EXPECT_EQ(run.at("stats").at("total").to_number<int>(), 3);  // the second writer read the wrapped run.json

  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path(), c, error)) << error;
  EXPECT_TRUE(c.warnings.empty());
  ASSERT_EQ(c.entries.size(), 3u);
  for (const auto& e : c.entries) {
    if (e.result->id == in[1]->id) expect_same(*e.result, *in[1]);
  }
}

// The report keeps steps as deep as the journal does (gtest_tms::step allows 16 levels).
TEST(QaseReport, DeepStepsComeBack) {
  for (const std::size_t levels : {std::size_t{16}, max_stored_step_depth}) {
    auto r = std::make_shared<test_result>(*make(5));
    step_record deep{"leaf", "", test_status::failed, 1700000000001, 1, {}};
    for (std::size_t i = 1; i < levels; ++i)
      deep = step_record{"level", "x", test_status::passed, 1700000000002, 2, {deep}};
    r->steps.push_back(deep);
    test_result out;
    std::int64_t run_id = 0;
    bool created = false;
    std::string error;
    ASSERT_TRUE(parse_qase_report_result(qase_report_result_json(*r, {}, qs()), out, run_id, created, error))
        << levels << ": " << error;
    expect_same(out, *r);
  }
}

TEST(QaseReport, FilesFollowTheSchema) {
  temp_dir dir;
  ASSERT_EQ(
      write_qase_report(dir.path(), {make(1), make(2, test_status::failed), rich()}, {1, 2, tms::qase, 0, false}, qs()),
      "");
  int files = 0;
  for (const auto& f : list_files(dir.path() + "/results")) {
    ++files;
    SCOPED_TRACE(f);
    check_result_schema(parse_object(read_file(f)));
  }
  EXPECT_EQ(files, 3);
  check_run_schema(parse_object(read_file(dir.path() + "/run.json")));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/attachments"));

  // What Qase itself shows: title, suites (fixture first), params, ids, message, stack trace.
  const json::object o = parse_object(read_file(dir.path() + "/results/" + uuid_for(999) + ".json"));
  EXPECT_EQ(o.at("title").as_string(), "Works/2");
  EXPECT_EQ(o.at("execution").at("status").as_string(), "invalid");
  EXPECT_DOUBLE_EQ(o.at("execution").at("start_time").to_number<double>(), 1700000000.555);
  EXPECT_DOUBLE_EQ(o.at("execution").at("end_time").to_number<double>(), 1700000000.562);
  EXPECT_EQ(o.at("execution").at("duration").to_number<std::int64_t>(), 7);
  EXPECT_NE(std::string(o.at("execution").at("stacktrace").as_string()).find("boom"), std::string::npos);
  EXPECT_EQ(o.at("testops_ids"), (json::array{12, 13}));
  EXPECT_EQ(o.at("params").at("type").as_string(), "std::vector<int>");
  const auto& suites = o.at("relations").at("suite").at("data").as_array();
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[0].at("title").as_string(), "Typed");
  EXPECT_EQ(suites[1].at("title").as_string(), "Inst");
  EXPECT_TRUE(o.at("message").is_string());
  EXPECT_EQ(o.at("fields").at("gtest.suite").as_string(), "Inst/Typed/1");

  const json::object passed = parse_object(read_file(dir.path() + "/results/" + uuid_for(1) + ".json"));
  EXPECT_TRUE(passed.at("testops_ids").is_null());
  EXPECT_TRUE(passed.at("message").is_null());
}

// Qase metadata (tms/qase/qase_metadata.hpp) in the local report as the report format defines it,
// and back unchanged: an upload of the report maps it as the live upload would have.
TEST(QaseReport, MetadataIsWrittenAsTheFormatDefinesItAndComesBack) {
  temp_dir dir;
  auto r = std::make_shared<test_result>(*make(7));
  r->properties = {{"qase.title", "Nice title"},      {"qase.fields.severity", "major"}, {"qase.muted", "true"},
                   {"qase.parameters.user", "alice"}, {"qase.group_parameters", "user"}, {"qase.tags", "a,b"}};
  ASSERT_EQ(write_qase_report(dir.path(), {r}, {1, 2, tms::qase, 0, false}, qs()), "");
  const json::object o = parse_object(read_file(dir.path() + "/results/" + r->id + ".json"));
  check_result_schema(o);
  EXPECT_EQ(o.at("title").as_string(), "Nice title");
  EXPECT_EQ(o.at("fields").at("severity").as_string(), "major");
  EXPECT_EQ(o.at("fields").at("tags").as_string(), "a,b");
  EXPECT_EQ(o.at("muted"), json::value(true));
  EXPECT_EQ(json::serialize(o.at("param_groups")), R"([["user"]])");
  EXPECT_EQ(json::serialize(o.at("params")), R"({"user":"alice"})");
  const json::object run = parse_object(read_file(dir.path() + "/run.json"));
  EXPECT_EQ(run.at("stats").at("muted").as_int64(), 1);
  EXPECT_EQ(run.at("results").at(0).at("title").as_string(), "Nice title");

  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path(), c, error)) << error;
  ASSERT_EQ(c.entries.size(), 1u);
  expect_same(*c.entries[0].result, *r);
}

TEST(QaseReport, AttachmentsAreKeptInTheReport) {
  temp_dir dir;
  temp_dir src;
  const std::string file = src.path() + "/screen shot.png";
  write_file(file, std::string("\x89PNG\0\x01binary", 12));
  auto r = std::make_shared<test_result>(*make(1, test_status::failed));
  r->attachments.push_back({"screen shot.png", file, "", "image/png", 12});
  r->attachments.push_back({"log.txt", "", "in memory\n", "text/plain", 10});
  ASSERT_EQ(write_qase_report(dir.path() + "/rep", {r}, {}, qs()), "");
  std::filesystem::remove(file);  // the source may be a temporary file

  // The report works where it is, and after being moved (a CI artifact downloaded elsewhere).
  std::filesystem::rename(dir.path() + "/rep", dir.path() + "/moved");
  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path() + "/moved", c, error)) << error;
  ASSERT_EQ(c.entries.size(), 1u);
  const auto& atts = c.entries[0].result->attachments;
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(atts[0].name, "screen shot.png");
  EXPECT_EQ(atts[0].mime, "image/png");
  EXPECT_EQ(read_file(atts[0].path), std::string("\x89PNG\0\x01binary", 12));
  EXPECT_EQ(atts[0].size, 12u);
  EXPECT_EQ(atts[1].name, "log.txt");
  EXPECT_EQ(read_file(atts[1].path), "in memory\n");
  for (const auto& a : atts) EXPECT_EQ(a.path.rfind(dir.path() + "/moved/attachments/", 0), 0u) << a.path;

  const json::object o = parse_object(read_file(c.entries[0].file));
  check_result_schema(o);
  ASSERT_EQ(o.at("attachments").as_array().size(), 2u);
}

TEST(QaseReport, StepsFollowTheStepModel) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {rich()}, {}, qs()), "");
  const json::object o = parse_object(read_file(dir.path() + "/results/" + uuid_for(999) + ".json"));
  const auto& steps = o.at("steps").as_array();
  ASSERT_EQ(steps.size(), 2u);
  const json::object& first = steps[0].as_object();
  EXPECT_TRUE(first.at("id").is_string());
  EXPECT_EQ(first.at("step_type").as_string(), "text");
  EXPECT_EQ(first.at("data").at("action").as_string(), "open page");
  EXPECT_EQ(first.at("data").at("expected_result").as_string(), "page shown");
  EXPECT_TRUE(first.at("parent_id").is_null());
  EXPECT_EQ(first.at("execution").at("status").as_string(), "passed");
  EXPECT_TRUE(first.at("execution").at("attachments").is_array());
  const json::object& child = first.at("steps").as_array().at(0).as_object();
  EXPECT_EQ(child.at("parent_id"), first.at("id"));
  EXPECT_TRUE(steps[1].at("data").at("expected_result").is_null());
}

TEST(QaseReport, StringsAreCleaned) {
  temp_dir dir;
  auto r = std::make_shared<test_result>(*make(1, test_status::failed));
  r->parts[0].message = "\x1b[31mred\x1b[0m and \xff bad";
  r->parts[0].summary = r->parts[0].message;
  ASSERT_EQ(write_qase_report(dir.path(), {r}, {}, qs()), "");
  const std::string text = read_file(dir.path() + "/results/" + r->id + ".json");
  EXPECT_EQ(text.find("\x1b"), std::string::npos);
  EXPECT_EQ(text.find("\\u001b"), std::string::npos);
  EXPECT_EQ(text.find('\xff'), std::string::npos);
  EXPECT_NE(text.find("red and"), std::string::npos);
}

TEST(QaseReport, RunJsonOfTwoWritersAddsUp) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {make(1), make(2, test_status::failed)},
                              {1700000001000, 1700000005000, tms::qase, 0, false}, qs()),
            "");
  ASSERT_EQ(write_qase_report(dir.path(), {make(3, test_status::skipped), make(4)},
                              {1700000000000, 1700000003000, tms::qase, 0, false}, qs()),
            "");
  const json::object run = parse_object(read_file(dir.path() + "/run.json"));
  check_run_schema(run);
  const json::object& st = run.at("stats").get_object();
  EXPECT_EQ(st.at("total").to_number<int>(), 4);
  EXPECT_EQ(st.at("passed").to_number<int>(), 2);
  EXPECT_EQ(st.at("failed").to_number<int>(), 1);
  EXPECT_EQ(st.at("skipped").to_number<int>(), 1);
  EXPECT_EQ(run.at("results").as_array().size(), 4u);
  // The run spans both writers.
  EXPECT_DOUBLE_EQ(run.at("execution").at("start_time").to_number<double>(), 1700000000.0);
  EXPECT_DOUBLE_EQ(run.at("execution").at("end_time").to_number<double>(), 1700000005.0);
  EXPECT_EQ(run.at("execution").at("duration").to_number<std::int64_t>(), 5000);
  EXPECT_EQ(run.at("execution").at("cumulative_duration").to_number<std::int64_t>(), 101 + 102 + 103 + 104);

  // Writing the same result again (a retried fallback) does not count it twice.
  ASSERT_EQ(write_qase_report(dir.path(), {make(4)}, {1700000000000, 1700000003000, tms::qase, 0, false}, qs()), "");
  EXPECT_EQ(parse_object(read_file(dir.path() + "/run.json")).at("stats").at("total").to_number<int>(), 4);
  std::string error;
  EXPECT_EQ(read_qase_report(dir.path(), error).size(), 4u);
}

TEST(QaseReport, ConcurrentWritersNeverCorruptRunJson) {
  temp_dir dir;
  constexpr int writers = 4, per_writer = 25;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(writers);
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i)
        errors[w] += write_qase_report(dir.path(), {make(w * 1000 + i)},
                                       {1700000000000, 1700000001000, tms::qase, 0, false}, qs());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  const json::object run = parse_object(read_file(dir.path() + "/run.json"));
  EXPECT_EQ(run.at("stats").at("total").to_number<int>(), writers * per_writer);
  EXPECT_EQ(run.at("results").as_array().size(), static_cast<std::size_t>(writers * per_writer));
  // No temporary files left behind.
  for (const auto& f : list_files(dir.path())) EXPECT_EQ(f.find(".tmp-"), std::string::npos) << f;
}

TEST(QaseReport, CorruptRunJsonIsReplacedNotFatal) {
  temp_dir dir;
  std::filesystem::create_directories(dir.path() + "/results");
  write_file(dir.path() + "/run.json", "{\"stats\": [broken");
  EXPECT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 0, false}, qs()), "");
  const json::object run = parse_object(read_file(dir.path() + "/run.json"));
  EXPECT_EQ(run.at("stats").at("total").to_number<int>(), 1);
}

// Counts another writer left beyond int64 start again from 0, never an unchecked conversion.
TEST(QaseReport, OutOfRangeCountsInRunJsonStartAgainFromZero) {
  temp_dir dir;
  std::filesystem::create_directories(dir.path() + "/results");
  write_file(dir.path() + "/run.json", R"({"stats": {"total": 1e30, "passed": -1e30, "failed": 2}, "results": []})");
  EXPECT_EQ(write_qase_report(dir.path(), {make(1)}, {1, 2, tms::qase, 0, false}, qs()), "");
  const json::object run = parse_object(read_file(dir.path() + "/run.json"));
  EXPECT_EQ(run.at("stats").at("total").to_number<std::int64_t>(), 1);
  EXPECT_EQ(run.at("stats").at("passed").to_number<std::int64_t>(), 1);
  EXPECT_EQ(run.at("stats").at("failed").to_number<std::int64_t>(), 2);  // in range: kept
}

TEST(QaseReport, HostileFilesAreSkippedWithAWarningEach) {
  temp_dir dir;
  ASSERT_EQ(write_qase_report(dir.path(), {make(1), make(2)}, {}, qs()), "");
  const std::string res = dir.path() + "/results/";
  write_file(res + "bad-json.json", "{\"id\": \"x\", ");
  write_file(res + "no-id.json", R"({"title":"t","execution":{"status":"passed"}})");
  write_file(res + "no-status.json", R"({"id":"a","title":"t","execution":{}})");
  write_file(res + "odd-status.json", R"({"id":"b","title":"t","execution":{"status":"exploded"}})");
  write_file(res + "array.json", "[1,2,3]");
  write_file(res + "empty.json", "");
  write_file(
      res + "bad-parts.json",
      R"({"id":"c","title":"t","execution":{"status":"failed"},"fields":{"gtest.suite":"S","gtest.name":"N","gtest.parts":"[oops"}})");
  write_file(res + "notes.txt", "not a result");  // other file types are not results
  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path(), c, error)) << error;
  EXPECT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.warnings.size(), 7u);
  for (const auto& w : c.warnings) {
    EXPECT_EQ(w.find('\n'), std::string::npos) << w;
    EXPECT_NE(w.find("skipped"), std::string::npos) << w;
  }
}

TEST(QaseReport, ReadsOtherReportersFiles) {
  temp_dir dir;
  std::filesystem::create_directories(dir.path() + "/results");
  // As the JS reporters write it (qaseJsonp wrapping: the "jsonp" format).
  write_file(dir.path() + "/results/js.json", R"(qaseJsonp({
    "id": "8f2c0a52-3b1d-4e8a-9c7e-0d1f2a3b4c5d", "title": "logs in", "signature": "auth::logs_in",
    "execution": {"status": "failed", "start_time": 1700000000.25, "end_time": 1700000001.75, "duration": 1500,
                  "stacktrace": "Error: nope\n at x", "thread": null},
    "fields": {"severity": "major"}, "attachments": [], "steps": [], "params": {"browser": "firefox"},
    "param_groups": [], "testops_ids": [42], "relations": {"suite": {"data": [{"title": "Web", "public_id": null},
    {"title": "Auth", "public_id": 3}]}}, "muted": false, "message": "nope"});)");
  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(dir.path(), c, error)) << error;
  ASSERT_EQ(c.entries.size(), 1u) << (c.warnings.empty() ? "" : c.warnings.front());
  const test_result& r = *c.entries[0].result;
  EXPECT_EQ(r.id, "8f2c0a52-3b1d-4e8a-9c7e-0d1f2a3b4c5d");
  EXPECT_EQ(r.name, "logs in");
  EXPECT_EQ(r.suite, "Web/Auth");
  EXPECT_EQ(r.status, test_status::failed);
  EXPECT_EQ(r.start_ms, 1700000000250);
  EXPECT_EQ(r.duration_ms, 1500);
  EXPECT_EQ(r.qase_ids, std::vector<std::int64_t>{42});
  EXPECT_EQ(r.value_param, "firefox");
  ASSERT_EQ(r.parts.size(), 1u);
  EXPECT_EQ(r.parts[0].summary, "nope");
  EXPECT_EQ(r.parts[0].message, "Error: nope\n at x");
}

// Found by the record_roundtrip fuzzer: a duration beyond int64 was converted unchecked (UBSan).
TEST(QaseReport, AnOutOfRangeDurationIsZeroNotUndefined) {
  test_result r;
  std::int64_t run_id = 0;
  bool created = false;
  std::string error;
  for (const char* duration : {"1e19", "1.8e308", "9.3e18"}) {
    const std::string text = std::string(R"({"id": "8f2c0a52-3b1d-4e8a-9c7e-0d1f2a3b4c5d", "title": "t",
      "execution": {"status": "passed", "start_time": 1700000000, "duration": )") +
                             duration + "}}";
    ASSERT_TRUE(parse_qase_report_result(text, r, run_id, created, error)) << duration << ": " << error;
    EXPECT_EQ(r.duration_ms, 0) << duration;
  }
  ASSERT_TRUE(parse_qase_report_result(
      R"({"id": "8f2c0a52-3b1d-4e8a-9c7e-0d1f2a3b4c5d", "title": "t", "execution": {"status": "passed", "duration": 1500}})",
      r, run_id, created, error))
      << error;
  EXPECT_EQ(r.duration_ms, 1500);
}

TEST(QaseReport, SystemIsRecorded) {
  temp_dir dir;
  const std::string qas = dir.path() + "/elsewhere";
  ASSERT_EQ(write_qase_report(qas, {make(1)}, {1, 2, tms::qasphere, 9, false}, qs()), "");
  report_contents c;
  std::string error;
  ASSERT_TRUE(read_qase_report(qas, c, error)) << error;
  EXPECT_EQ(c.system, "qasphere");
  // Without run.json the directory name decides (the listener's <report>/qasphere).
  const std::string named = dir.path() + "/qasphere";
  ASSERT_EQ(write_qase_report(named, {make(2)}, {1, 2, tms::qase, 0, false}, qs()), "");
  std::filesystem::remove(named + "/run.json");
  ASSERT_TRUE(read_qase_report(named, c, error)) << error;
  EXPECT_EQ(c.system, "qasphere");
}

TEST(QaseReport, ErrorsAreOneLine) {
  temp_dir dir;
  write_file(dir.path() + "/file", "x");
  const std::string err = write_qase_report(dir.path() + "/file/sub", {make(1)}, {}, qs());
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos);
  std::string error;
  EXPECT_TRUE(read_qase_report(dir.path() + "/missing", error).empty());
  EXPECT_NE(error.find("results/"), std::string::npos) << error;
}

}  // namespace
}  // namespace gtest_tms::detail

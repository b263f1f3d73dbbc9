#include "listener/test_record.hpp"

#include <limits>
#include <string_view>

#include "listener/test_context.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"
#include "util/uuid.hpp"

namespace gtest_tms::detail {

namespace {

bool is_exception_text(std::string_view message) {
  // gtest's own wording when it catches an exception escaping a test (gtest.cc).
  return message.find("C++ exception with description") != std::string_view::npos ||
         message.find("Unknown C++ exception thrown in") != std::string_view::npos;
}

void parse_ids(std::string_view value, std::vector<std::int64_t>& ids) {
  // In place: a vector of strings per property would be most of a passing test's cost.
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    const std::string_view part = trim(value.substr(0, comma));
    if (const auto v = parse_int(part, 1, std::numeric_limits<std::int64_t>::max())) ids.push_back(*v);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// Whether another instance of this typed suite ("Suite/N", "Prefix/Suite/N") has the same type
// name. Tests of one suite run together, so the answer is cached per suite (test thread only).
bool type_repeats(const testing::TestInfo& info) {
  if (info.type_param() == nullptr) return false;
  const std::string suite = info.test_suite_name();
  thread_local std::string cached_suite;
  thread_local bool cached = false;
  if (suite == cached_suite) return cached;
  const auto slash = suite.rfind('/');
  bool repeats = false;
  if (slash != std::string::npos) {
    const std::string_view base(suite.data(), slash + 1);
    const testing::UnitTest& u = *testing::UnitTest::GetInstance();
    for (int i = 0; i < u.total_test_suite_count() && !repeats; ++i) {
      const testing::TestSuite* ts = u.GetTestSuite(i);
      const std::string_view name = ts->name();
      if (name == suite || name.substr(0, base.size()) != base || ts->type_param() == nullptr) continue;
      const std::string_view index = name.substr(base.size());
      if (index.empty() || index.find_first_not_of("0123456789") != std::string_view::npos) continue;
      repeats = std::string_view(ts->type_param()) == info.type_param();
    }
  }
  cached_suite = suite;
  cached = repeats;
  return repeats;
}

bool is_disabled_name(std::string_view name) {
  return name.rfind("DISABLED_", 0) == 0 || name.find("/DISABLED_") != std::string_view::npos;
}

}  // namespace

bool is_disabled(const testing::TestInfo& info) {
  return is_disabled_name(info.test_suite_name()) || is_disabled_name(info.name());
}

bool also_run_disabled() {
#ifdef GTEST_FLAG_GET
  return GTEST_FLAG_GET(also_run_disabled_tests);
#else
  return ::testing::GTEST_FLAG(also_run_disabled_tests);
#endif
}

bool in_death_test_child() {
#ifdef GTEST_FLAG_GET
  return !GTEST_FLAG_GET(internal_run_death_test).empty();
#else
  return !::testing::GTEST_FLAG(internal_run_death_test).empty();
#endif
}

namespace {
// GoogleTest 1.14 and later end a failure's message with a newline, earlier ones do not: dropped,
// so that every version reports the same text.
void drop_trailing_newlines(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}
}  // namespace

failure_part to_part(const testing::TestPartResult& p, const std::string& prefix) {
  failure_part fp;
  if (p.file_name() != nullptr) fp.file = p.file_name();  // null when the location is unknown
  fp.line = p.line_number();
  fp.summary = prefix + (p.summary() != nullptr ? p.summary() : "");
  fp.message = prefix + (p.message() != nullptr ? p.message() : "");
  drop_trailing_newlines(fp.summary);
  drop_trailing_newlines(fp.message);
  fp.fatal = p.fatally_failed();
  fp.skip = p.skipped();
  return fp;
}

std::shared_ptr<test_result> synthetic_result(const std::string& suite, const std::string& name, test_status status,
                                              int iteration) {
  auto r = std::make_shared<test_result>();
  r->id = make_uuid();
  r->suite = suite;
  r->name = name;
  r->status = status;
  r->start_ms = now_epoch_ms();
  r->iteration = iteration;
  return r;
}

std::shared_ptr<test_result> not_run_result(const testing::TestInfo& info, int iteration, const std::string& reason) {
  auto r = synthetic_result(info.test_suite_name(), info.name(), test_status::skipped, iteration);
  if (info.value_param() != nullptr) r->value_param = info.value_param();
  if (info.type_param() != nullptr) r->type_param = info.type_param();
  r->type_repeats = type_repeats(info);
  failure_part p;
  p.skip = true;
  p.summary = p.message = reason;
  r->parts.push_back(std::move(p));
  return r;
}

test_result make_test_result(const testing::TestInfo& info, int iteration) {
  test_result out;
  fill_test_result(info, iteration, out);
  return out;
}

void fill_test_result(const testing::TestInfo& info, int iteration, test_result& out) {
  const testing::TestResult& r = *info.result();
  make_uuid(out.id);  // into its storage: a spare from the pipeline has room
  out.suite = info.test_suite_name();
  out.name = info.name();
  if (info.value_param() != nullptr) out.value_param = info.value_param();
  if (info.type_param() != nullptr) out.type_param = info.type_param();
  out.type_repeats = type_repeats(info);
  if (info.file() != nullptr) out.file = info.file();
  out.line = info.line();
  out.iteration = iteration;
  out.duration_ms = r.elapsed_time();
  // Tests gtest skipped itself never get a start stamp (or keep a stale one): fall back to now.
  out.start_ms = r.start_timestamp() > 0 ? r.start_timestamp() : now_epoch_ms() - out.duration_ms;

  bool exception = false;
  const int parts = r.total_part_count();
  out.parts.reserve(static_cast<std::size_t>(parts));
  for (int i = 0; i < parts; ++i) {
    const testing::TestPartResult& p = r.GetTestPartResult(i);
    if (p.type() == testing::TestPartResult::kSuccess) continue;
    failure_part fp = to_part(p, {});
    if (p.failed() && is_exception_text(fp.message)) exception = true;
    out.parts.push_back(std::move(fp));
  }
  // Failed() first: an EXPECT failure followed by GTEST_SKIP() is a failure.
  if (r.Failed()) {
    out.status = exception ? test_status::invalid : test_status::failed;
  } else if (r.Skipped()) {
    out.status = test_status::skipped;
  } else {
    out.status = test_status::passed;
  }

  for (int i = 0; i < r.test_property_count(); ++i) {
    const testing::TestProperty& prop = r.GetTestProperty(i);
    const std::string_view key = prop.key();
    if (key == "qase_id" || key == "qase.id" || key == "qase_ids") {
      parse_ids(prop.value(), out.qase_ids);
    } else if (key == attach_property) {
      continue;  // attachments: taken by OnTestEnd through the test context
    } else {
      out.properties.emplace_back(prop.key(), prop.value());
    }
  }
}

// DISABLED_ tests never get events. Each is reported once as skipped: gtest assigns every disabled
// test to exactly one shard (is_in_another_shard() is false there), and is_reportable() also
// honours the filter.
std::vector<std::shared_ptr<test_result>> disabled_results(const testing::UnitTest& unit_test, int iteration) {
  std::vector<std::shared_ptr<test_result>> out;
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      if (info->should_run() || !info->is_reportable() || !is_disabled(*info)) continue;
      auto r = not_run_result(*info, iteration, "disabled test (DISABLED_ prefix)");
      if (info->file() != nullptr) r->file = info->file();
      r->line = info->line();
      out.push_back(std::move(r));
    }
  }
  return out;
}

// GTEST_SKIP() in a global Environment's SetUp skips every test without a single test event.
std::vector<std::shared_ptr<test_result>> skipped_by_environment(const testing::UnitTest& unit_test, int iteration) {
  std::vector<std::shared_ptr<test_result>> out;
  const testing::TestResult& global = unit_test.ad_hoc_test_result();
  if (!global.Skipped()) return out;
  std::string reason = "skipped by the global test environment";
  for (int i = 0; i < global.total_part_count(); ++i) {
    const auto& p = global.GetTestPartResult(i);
    if (p.skipped() && p.message() != nullptr && *p.message() != '\0') reason += ": " + std::string(p.message());
  }
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      if (info->should_run()) out.push_back(not_run_result(*info, iteration, reason));
    }
  }
  return out;
}

}  // namespace gtest_tms::detail

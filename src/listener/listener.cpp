#include "listener/listener.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <string_view>

#include "delivery/summary.hpp"
#include "listener/test_context.hpp"
#include "net/transport.hpp"
#include "delivery/pipeline.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qasphere/qasphere_backend.hpp"
#include "storage/journal.hpp"
#include "storage/qase_report.hpp"
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

std::vector<std::int64_t> parse_ids(std::string_view value) {
  std::vector<std::int64_t> ids;
  for (const auto& part : split_list(value, ',')) {
    if (const auto v = parse_int(part, 1, std::numeric_limits<std::int64_t>::max())) ids.push_back(*v);
  }
  return ids;
}

bool is_disabled_name(std::string_view name) {
  // gtest's rule: the suite or the test name matches "DISABLED_*:*/DISABLED_*".
  return name.rfind("DISABLED_", 0) == 0 || name.find("/DISABLED_") != std::string_view::npos;
}

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

failure_part to_part(const testing::TestPartResult& p, const std::string& prefix) {
  failure_part fp;
  if (p.file_name() != nullptr) fp.file = p.file_name();
  fp.line = p.line_number();
  fp.summary = prefix + (p.summary() != nullptr ? p.summary() : "");
  fp.message = prefix + (p.message() != nullptr ? p.message() : "");
  fp.fatal = p.fatally_failed();
  fp.skip = p.skipped();
  return fp;
}

/// A record for something that is not one executed test (disabled test, suite-level failure).
std::shared_ptr<test_result> synthetic(const std::string& suite, const std::string& name, test_status status,
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

constexpr std::size_t max_failed_names = 50;

// The listener whose io thread is running, for the exit() path (see listener::stop_at_exit).
std::atomic<listener*> running_listener{nullptr};

void stop_running_listener_at_exit() {
  if (listener* l = running_listener.exchange(nullptr)) l->stop_at_exit();
}

// Objects the listener deliberately leaks at process end (see ~listener). Kept reachable from a
// global so that a leak checker (LSan) sees them as live rather than reporting them and changing
// the exit code. Volatile: the stores must survive although nothing reads them.
struct leaked_at_exit {
  pipeline* volatile pipeline_ = nullptr;
  transport* volatile transport_ = nullptr;
  journal* volatile journal_ = nullptr;
};
leaked_at_exit leaked;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

bool in_death_test_child() {
#ifdef GTEST_FLAG_GET
  return !GTEST_FLAG_GET(internal_run_death_test).empty();
#else
  return !::testing::GTEST_FLAG(internal_run_death_test).empty();
#endif
}

test_result make_test_result(const testing::TestInfo& info, int iteration) {
  const testing::TestResult& r = *info.result();
  test_result out;
  out.id = make_uuid();
  out.suite = info.test_suite_name();
  out.name = info.name();
  if (info.value_param() != nullptr) out.value_param = info.value_param();
  if (info.type_param() != nullptr) out.type_param = info.type_param();
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
    failure_part fp;
    if (p.file_name() != nullptr) fp.file = p.file_name();  // null when the location is unknown
    fp.line = p.line_number();
    fp.summary = p.summary() != nullptr ? p.summary() : "";
    fp.message = p.message() != nullptr ? p.message() : "";
    fp.fatal = p.fatally_failed();
    fp.skip = p.skipped();
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
      for (auto id : parse_ids(prop.value())) out.qase_ids.push_back(id);
    } else if (key == attach_property) {
      continue;  // attachments: taken by OnTestEnd through the test context
    } else {
      out.properties.emplace_back(prop.key(), prop.value());
    }
  }
  return out;
}

listener::listener(settings s) : settings_(std::move(s)), owner_pid_(::getpid()) {}

listener::~listener() {
  // gtest destroys listeners during static destruction, after OpenSSL's own cleanup: nothing
  // network-related may happen here. In a forked death-test child the io thread does not exist,
  // so the transport must be leaked, not joined.
  //
  // The same holds when OnTestProgramEnd never ran: a test called exit(), so static destruction
  // started while the io thread is still draining into the pipeline. Freeing the pipeline under it
  // would be a use-after-free; the process is ending anyway, and the journal already holds every
  // finished result for `gtest-tms upload`.
  if (!owner() || pipeline_ || transport_) {
    leaked.pipeline_ = pipeline_.release();
    leaked.transport_ = transport_.release();
    leaked.journal_ = journal_.release();  // keep the file as it is: nothing here may trim or remove it
  }
}

bool listener::owner() const { return ::getpid() == owner_pid_; }

// exit() in the middle of the tests: OnTestProgramEnd never runs. Stop the io thread (bounded)
// before OpenSSL and the statics go away; the journal already holds every finished result.
void listener::stop_at_exit() noexcept {
  if (!owner() || !transport_) return;
  try {
    transport_->stop();
  } catch (...) {
  }
}

void listener::disable(const char* where, const char* what) noexcept {
  active_ = false;
  std::fprintf(stderr, "gtest-tms: internal error in %s (%s); reporting is off for the rest of this run\n", where,
               what);
}

void listener::OnTestProgramStart(const testing::UnitTest& unit_test) {
  if (!owner() || in_death_test_child()) return;
  try {
    for (const auto& e : settings_.errors) std::fprintf(stderr, "gtest-tms: %s\n", e.c_str());
    for (const auto& w : settings_.warnings) std::fprintf(stderr, "gtest-tms: %s\n", w.c_str());
    if (!settings_.any_enabled()) return;
    start(unit_test);
  } catch (const std::exception& e) {
    disable("OnTestProgramStart", e.what());
  } catch (...) {
    disable("OnTestProgramStart", "unknown exception");
  }
}

void listener::start(const testing::UnitTest& unit_test) {
  start_ms_ = now_epoch_ms();
  run_plan plan;
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      if (info->should_run()) {
        plan.tests.push_back({info->test_suite_name(), info->name(), false});
      } else if (settings_.common.report_disabled && is_disabled(*info) && info->is_reportable()) {
        plan.tests.push_back({info->test_suite_name(), info->name(), true});
      }
    }
  }
  const auto shard_env = [](const char* name, int fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr) return fallback;
    constexpr int lo = std::numeric_limits<int>::min(), hi = std::numeric_limits<int>::max();
    return static_cast<int>(parse_int(trim(v), lo, hi).value_or(fallback));
  };
  plan.total_shards = shard_env("GTEST_TOTAL_SHARDS", plan.total_shards);
  plan.shard_index = shard_env("GTEST_SHARD_INDEX", plan.shard_index);

  std::vector<std::unique_ptr<backend>> backends;
  if (settings_.qase.mode == qase_mode::testops) backends.push_back(make_qase_backend(settings_.qase, settings_.common));
  if (settings_.qasphere.enabled) backends.push_back(make_qasphere_backend(settings_.qasphere, settings_.common));
  active_ = true;

  // Crash safety: each finished result is on disk before OnTestEnd returns.
  if (const std::string dir = journal_dir_for(settings_); !dir.empty()) {
    journal_header h;
    h.start_ms = start_ms_;
    if (settings_.qase_enabled()) h.systems.emplace_back(journal_qase);
    if (settings_.qasphere.enabled) h.systems.emplace_back(journal_qasphere);
    std::string error;
    journal_ = journal::create(dir, std::move(h), error);
    if (!journal_) std::fprintf(stderr, "gtest-tms: no crash journal: %s\n", error.c_str());
  }
  if (backends.empty()) return;  // report mode only: results are written at the end

  transport_options topt;
  topt.request_timeout = settings_.common.request_timeout;
  topt.ca_file = settings_.common.ca_file;
  topt.proxy_url = settings_.common.proxy_url;
  topt.no_proxy = settings_.common.no_proxy;
  transport_ = make_https_transport(topt);
  // Registered after OpenSSL initialised (inside make_https_transport), so it runs before
  // OpenSSL's own atexit cleanup when a test calls exit() mid-run.
  running_listener.store(this);
  static const bool at_exit_registered = std::atexit(stop_running_listener_at_exit) == 0;
  (void)at_exit_registered;

  pipeline_options popt;
  popt.batch_age = settings_.common.batch_age;
  popt.max_retries = settings_.common.retries;
  if (journal_) {
    popt.observer.run_started = [j = journal_.get(), qase_created = !settings_.qase.run_id.has_value(),
                                 qas_created = !settings_.qasphere.run_id.has_value()](const std::string& name,
                                                                                       std::int64_t id) {
      j->run_started(journal_system_tag(name), id, name == "Qase" ? qase_created : qas_created);
    };
    popt.observer.delivered = [j = journal_.get()](const std::string& name,
                                                   const std::vector<std::shared_ptr<const test_result>>& results) {
      j->ack(journal_system_tag(name), results);
    };
  }
  pipeline_ = std::make_unique<pipeline>(*transport_, std::move(backends), popt);
  pipeline_->start(std::move(plan));
}

void listener::OnTestIterationStart(const testing::UnitTest& /*unit_test*/, int iteration) {
  iteration_ = iteration;
  tests_ended_in_iteration_ = 0;
}

void listener::submit(std::shared_ptr<const test_result> result) {
  ++results_total_;
  if (result->status != test_status::passed && result->status != test_status::skipped &&
      failed_names_.size() < max_failed_names)
    failed_names_.push_back(result->full_name());
  if (journal_) journal_->append(*result);
  if (pipeline_) pipeline_->submit(result);
  if (settings_.qase.mode == qase_mode::report) report_only_results_.push_back(std::move(result));
}

void listener::OnTestSuiteStart(const testing::TestSuite& /*suite*/) {
  suite_parts_seen_ = 0;
  suite_first_test_mark_ = -1;
}

// Attachments and steps the test body recorded (gtest_tms::attach/step, RecordProperty("gtest_tms.attach")).
void listener::take_test_context(const testing::TestInfo& info, test_result& r) {
  test_context& ctx = test_context::instance();
  const testing::TestResult& tr = *info.result();
  for (int i = 0; i < tr.test_property_count(); ++i) {
    const testing::TestProperty& prop = tr.GetTestProperty(i);
    if (std::string_view(prop.key()) != attach_property) continue;
    for (const auto& path : split_attach_property(prop.value())) ctx.add_file(path);
  }
  test_context_data data = ctx.end(&tr);
  r.attachments = std::move(data.attachments);
  r.steps = std::move(data.steps);
  r.notes = std::move(data.notes);
}

// A test skipped because SetUpTestSuite or a global Environment failed is blocked, not skipped:
// the failure text goes with it. Only skipped tests are touched (a non-fatal setup failure lets
// tests run; it is reported on its own at the end of the suite or iteration).
void listener::attribute_setup_failures(test_result& r) {
  const testing::UnitTest& ut = *testing::UnitTest::GetInstance();
  const testing::TestResult& global = ut.ad_hoc_test_result();
  if (global_first_test_mark_ < 0) global_first_test_mark_ = global.total_part_count();
  const testing::TestSuite* suite = ut.current_test_suite();
  const testing::TestResult* local = suite != nullptr ? &suite->ad_hoc_test_result() : nullptr;
  if (local != nullptr && suite_first_test_mark_ < 0) suite_first_test_mark_ = local->total_part_count();
  if (r.status != test_status::skipped) return;
  bool blocked = false;
  auto take = [&](const testing::TestResult& ad_hoc, int& seen, const char* prefix) {
    if (!ad_hoc.Failed()) return;
    for (int i = 0; i < ad_hoc.total_part_count(); ++i) {
      const auto& p = ad_hoc.GetTestPartResult(i);
      if (p.failed()) r.parts.push_back(to_part(p, prefix));
    }
    seen = ad_hoc.total_part_count();
    blocked = true;
  };
  if (local != nullptr) take(*local, suite_parts_seen_, "SetUpTestSuite failed: ");
  take(global, global_parts_seen_, "global test environment SetUp failed: ");
  if (blocked) r.status = test_status::blocked;
}

void listener::OnTestStart(const testing::TestInfo& /*info*/) {
  if (!active_ || !owner()) return;
  test_context::instance().begin();
}

void listener::OnTestEnd(const testing::TestInfo& info) {
  if (!active_ || !owner()) return;
  try {
    ++tests_ended_in_iteration_;
    auto result = std::make_shared<test_result>(make_test_result(info, iteration_));
    take_test_context(info, *result);
    attribute_setup_failures(*result);
    submit(std::move(result));
  } catch (const std::exception& e) {
    disable("OnTestEnd", e.what());
  } catch (...) {
    disable("OnTestEnd", "unknown exception");
  }
}

// Failure parts of an ad-hoc result that no test carries become one run-level result each side of
// the tests: "SetUp..." for parts recorded before the first test ended, "TearDown..." after.
void listener::report_unattributed(const testing::TestResult& ad_hoc, int& seen, int first_test_mark,
                                   const std::string& suite, const char* setup_name, const char* teardown_name) {
  std::shared_ptr<test_result> setup, teardown;
  for (int i = seen; i < ad_hoc.total_part_count(); ++i) {
    const auto& p = ad_hoc.GetTestPartResult(i);
    if (!p.failed()) continue;
    const bool before = first_test_mark < 0 || i < first_test_mark;
    auto& target = before ? setup : teardown;
    if (!target) {
      target = synthetic(suite, before ? setup_name : teardown_name, test_status::failed, iteration_);
      target->run_level = true;
    }
    target->parts.push_back(to_part(p, ""));
  }
  seen = ad_hoc.total_part_count();
  if (setup) submit(std::move(setup));
  if (teardown) submit(std::move(teardown));
}

void listener::OnTestSuiteEnd(const testing::TestSuite& suite) {
  if (!active_ || !owner()) return;
  try {
    report_unattributed(suite.ad_hoc_test_result(), suite_parts_seen_, suite_first_test_mark_, suite.name(),
                        "SetUpTestSuite", "TearDownTestSuite");
  } catch (const std::exception& e) {
    disable("OnTestSuiteEnd", e.what());
  } catch (...) {
    disable("OnTestSuiteEnd", "unknown exception");
  }
}

// DISABLED_ tests never get events. Each is reported once as skipped: gtest assigns every disabled
// test to exactly one shard (is_in_another_shard() is false there), and is_reportable() also
// honours the filter.
void listener::report_disabled(const testing::UnitTest& unit_test) {
  if (disabled_reported_ || !settings_.common.report_disabled || also_run_disabled()) return;
  disabled_reported_ = true;
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      if (info->should_run() || !info->is_reportable() || !is_disabled(*info)) continue;
      auto r = synthetic(info->test_suite_name(), info->name(), test_status::skipped, iteration_);
      if (info->value_param() != nullptr) r->value_param = info->value_param();
      if (info->type_param() != nullptr) r->type_param = info->type_param();
      if (info->file() != nullptr) r->file = info->file();
      r->line = info->line();
      failure_part p;
      p.skip = true;
      p.summary = p.message = "disabled test (DISABLED_ prefix)";
      r->parts.push_back(std::move(p));
      submit(std::move(r));
    }
  }
}

// GTEST_SKIP() in a global Environment's SetUp skips every test without a single test event.
void listener::report_skipped_by_environment(const testing::UnitTest& unit_test) {
  const testing::TestResult& global = unit_test.ad_hoc_test_result();
  if (tests_ended_in_iteration_ > 0 || !global.Skipped()) return;
  std::string reason = "skipped by the global test environment";
  for (int i = 0; i < global.total_part_count(); ++i) {
    const auto& p = global.GetTestPartResult(i);
    if (p.skipped() && p.message() != nullptr && *p.message() != '\0') reason += ": " + std::string(p.message());
  }
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      if (!info->should_run()) continue;
      auto r = synthetic(info->test_suite_name(), info->name(), test_status::skipped, iteration_);
      if (info->value_param() != nullptr) r->value_param = info->value_param();
      if (info->type_param() != nullptr) r->type_param = info->type_param();
      failure_part p;
      p.skip = true;
      p.summary = p.message = reason;
      r->parts.push_back(std::move(p));
      submit(std::move(r));
    }
  }
}

void listener::OnTestIterationEnd(const testing::UnitTest& unit_test, int /*iteration*/) {
  if (!active_ || !owner()) return;
  try {
    report_skipped_by_environment(unit_test);
    report_unattributed(unit_test.ad_hoc_test_result(), global_parts_seen_, global_first_test_mark_,
                        "GlobalEnvironment", "SetUp", "TearDown");
    report_disabled(unit_test);
  } catch (const std::exception& e) {
    disable("OnTestIterationEnd", e.what());
  } catch (...) {
    disable("OnTestIterationEnd", "unknown exception");
  }
}

void listener::OnTestProgramEnd(const testing::UnitTest& /*unit_test*/) {
  if (!owner()) return;
  if (active_) {
    try {
      finish();
    } catch (const std::exception& e) {
      disable("OnTestProgramEnd", e.what());
    } catch (...) {
      disable("OnTestProgramEnd", "unknown exception");
    }
    active_ = false;
  } else if (settings_.common.strict && !settings_.errors.empty()) {
    strict_failure_ = true;
  }
  if (strict_failure_) {
    // Opt-in only (GTEST_TMS_STRICT): the XML report is already written at iteration end.
    std::fprintf(stderr, "gtest-tms: GTEST_TMS_STRICT is set and reporting had problems: exit code 1\n");
    std::fflush(nullptr);
    std::exit(1);
  }
}

// GitHub Actions: a short Markdown table in the job summary.
void listener::write_step_summary(const std::vector<summary_entry>& entries) const {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0' || entries.empty()) return;
  std::FILE* f = std::fopen(path, "a");
  if (f == nullptr) return;
  std::string md = "### gtest-tms: " + std::to_string(results_total_) + " results\n\n";
  md += "| System | Sent | Failed | Not confirmed | Run |\n|---|---:|---:|---:|---|\n";
  for (const auto& e : entries) {
    const backend_report& r = e.report;
    std::string run = r.link.empty() ? (r.start_error.empty() ? "-" : "not started") : "[" + r.link + "](" + r.link + ")";
    if (!r.finish_message.empty()) run += " (" + r.finish_message + ")";
    md += "| " + r.name + " | " + std::to_string(r.delivered) + " | " + std::to_string(r.delivered_failed) + " | " +
          std::to_string(r.undelivered.size()) + " | " + run + " |\n";
  }
  if (!failed_names_.empty()) {
    md += "\nFailed tests:\n";
    for (const auto& n : failed_names_) md += "- `" + n + "`\n";
  }
  std::fputs(md.c_str(), f);
  std::fclose(f);
}

void listener::finish() {
  std::vector<backend_report> reports;
  if (pipeline_) {
    reports = pipeline_->finish(std::chrono::steady_clock::now() + settings_.common.flush_deadline);
  }
  // Every result a backend could not confirm goes to disk when a fallback is configured.
  std::vector<summary_entry> entries;
  const std::int64_t end_ms = now_epoch_ms();
  bool all_safe = true;  // every result is in its TMS or in a fallback report
  for (auto& r : reports) {
    summary_entry e{std::move(r), {}, {}};
    const bool qase = e.report.name == std::string("Qase");
    if (!e.report.undelivered.empty() && settings_.qase.fallback == qase_mode::report) {
      e.fallback_dir = qase ? settings_.qase.report_path : settings_.qase.report_path + "/qasphere";
      report_run_info run_info{start_ms_, end_ms, std::string(qase ? journal_qase : journal_qasphere),
                               e.report.run_id,
                               qase ? !settings_.qase.run_id.has_value() : !settings_.qasphere.run_id.has_value()};
      e.fallback_error = write_qase_report(e.fallback_dir, e.report.undelivered, run_info, settings_.qase);
    }
    if (!e.report.undelivered.empty()) {
      if (journal_ && !e.fallback_dir.empty() && e.fallback_error.empty()) {
        journal_->ack(journal_system_tag(e.report.name), e.report.undelivered);  // safe in the report
      } else {
        all_safe = false;
      }
    }
    entries.push_back(std::move(e));
  }
  if (settings_.qase.mode == qase_mode::report) {
    summary_entry e;
    e.report.name = "Qase report";
    e.report.undelivered = report_only_results_;
    e.fallback_dir = settings_.qase.report_path;
    const report_run_info run_info{start_ms_, end_ms, std::string(journal_qase), 0, false};
    e.fallback_error = write_qase_report(e.fallback_dir, report_only_results_, run_info, settings_.qase);
    if (!e.fallback_error.empty()) all_safe = false;
    entries.push_back(std::move(e));
  }
  for (const auto& line : summary_lines(entries)) std::fprintf(stderr, "gtest-tms: %s\n", line.c_str());
  write_step_summary(entries);
  bool problems = !settings_.errors.empty();
  for (const auto& e : entries) {
    const backend_report& r = e.report;
    problems = problems || !r.start_error.empty() || !r.failure.empty() || !r.rejections.empty() ||
               !r.undelivered.empty() || !e.fallback_error.empty();
  }
  strict_failure_ = settings_.common.strict && problems;
  if (journal_) {
    // The journal is only needed while something is neither in its TMS nor in a report.
    if (all_safe) {
      journal_->remove();
    } else {
      journal_->close();
      std::fprintf(stderr, "gtest-tms: journal kept: %s (send what it holds with: gtest-tms upload %s)\n",
                   journal_->path().c_str(), journal_->path().c_str());
    }
  }
  running_listener.store(nullptr);
  pipeline_.reset();
  transport_.reset();
}

}  // namespace gtest_tms::detail

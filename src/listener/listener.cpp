#include "listener/listener.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include "listener/summary.hpp"
#include "net/transport.hpp"
#include "pipeline/pipeline.hpp"
#include "qase/qase_backend.hpp"
#include "qasphere/qasphere_backend.hpp"
#include "report/journal.hpp"
#include "report/qase_report.hpp"
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
    char* end = nullptr;
    const long long v = std::strtoll(part.c_str(), &end, 10);
    if (end != part.c_str() && *end == '\0' && v > 0) ids.push_back(v);
  }
  return ids;
}

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
  if (!owner()) {
    (void)pipeline_.release();
    (void)transport_.release();
    (void)journal_.release();  // the parent's file: a child must not trim it
  }
}

bool listener::owner() const { return ::getpid() == owner_pid_; }

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
      if (info->should_run()) plan.tests.push_back({info->test_suite_name(), info->name()});
    }
  }
  if (const char* total = std::getenv("GTEST_TOTAL_SHARDS")) plan.total_shards = std::atoi(total);
  if (const char* index = std::getenv("GTEST_SHARD_INDEX")) plan.shard_index = std::atoi(index);

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
  topt.request_timeout = settings_.qase.request_timeout;
  topt.ca_file = settings_.common.ca_file;
  topt.proxy_url = settings_.common.proxy_url;
  topt.no_proxy = settings_.common.no_proxy;
  transport_ = make_https_transport(topt);

  pipeline_options popt;
  popt.batch_age = settings_.common.batch_age;
  popt.max_retries = settings_.qase.retries;
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

void listener::OnTestIterationStart(const testing::UnitTest& /*unit_test*/, int iteration) { iteration_ = iteration; }

void listener::OnTestEnd(const testing::TestInfo& info) {
  if (!active_ || !owner()) return;
  try {
    auto result = std::make_shared<const test_result>(make_test_result(info, iteration_));
    if (journal_) journal_->append(*result);
    if (pipeline_) pipeline_->submit(result);
    if (settings_.qase.mode == qase_mode::report) report_only_results_.push_back(std::move(result));
  } catch (const std::exception& e) {
    disable("OnTestEnd", e.what());
  } catch (...) {
    disable("OnTestEnd", "unknown exception");
  }
}

void listener::OnTestProgramEnd(const testing::UnitTest& /*unit_test*/) {
  if (!active_ || !owner()) return;
  try {
    finish();
  } catch (const std::exception& e) {
    disable("OnTestProgramEnd", e.what());
  } catch (...) {
    disable("OnTestProgramEnd", "unknown exception");
  }
  active_ = false;
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
  pipeline_.reset();
  transport_.reset();
}

}  // namespace gtest_tms::detail

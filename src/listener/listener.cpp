#include "listener/listener.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>

#include "delivery/session.hpp"
#include "delivery/summary.hpp"
#include "listener/test_context.hpp"
#include "model/unfinished.hpp"
#include "platform/process.hpp"
#include "platform/signals.hpp"
#include "util/console.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

listener::listener(settings s) : settings_(std::move(s)), owner_pid_(current_pid()) {}

// A session never closed (a test called exit(), or this is a forked death-test child) takes care
// of itself: see ~session.
listener::~listener() {
  // Static destruction: the watcher must not outlive the listener its callback points to.
  if (owner())
    watch_.reset();
  else
    (void)watch_.release();  // a forked child has no watcher thread to join
}

bool listener::owner() const { return current_pid() == owner_pid_; }

template <class F>
void listener::guarded(const char* where, F&& work) noexcept {
  try {
    work();
  } catch (...) {
    active_ = false;
    const char* what = "unknown exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();  // the exception object lives until the outer handler ends
    } catch (...) {
    }
    say(std::string("internal error in ") + where + " (" + what + "); reporting is off for the rest of this run");
  }
}

void listener::OnTestProgramStart(const testing::UnitTest& unit_test) {
  if (!owner() || in_death_test_child()) return;
  std::lock_guard<std::mutex> lock(events_mutex_);
  guarded("OnTestProgramStart", [&] {
    // The official reporters' logging options apply from the first line on.
    console_options console;
    console.to_stderr = settings_.common.logging_console;
    if (settings_.common.logging_file) console.file = default_log_file(current_dir());
    set_console(console);
    for (const auto& e : settings_.errors) say(e);
    for (const auto& w : settings_.warnings) say(w);
    if (settings_.any_enabled()) start(unit_test);
  });
}

void listener::start(const testing::UnitTest& unit_test) {
  run_plan plan;
  for (int i = 0; i < unit_test.total_test_suite_count(); ++i) {
    const testing::TestSuite* suite = unit_test.GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const testing::TestInfo* info = suite->GetTestInfo(j);
      const bool disabled = !info->should_run();
      if (info->should_run() || (settings_.common.report_disabled && is_disabled(*info) && info->is_reportable())) {
        plan_index_.emplace(info, static_cast<std::uint32_t>(plan.tests.size()));
        plan_.push_back({info->test_suite_name(), info->name(), disabled});
        planned_test t{info->test_suite_name(), info->name(), disabled};
        // As fill_test_result reads them, so that a result line can name its test by index.
        if (info->file() != nullptr) t.file = info->file();
        t.line = info->line();
        if (info->value_param() != nullptr) t.value_param = info->value_param();
        if (info->type_param() != nullptr) t.type_param = info->type_param();
        plan.tests.push_back(std::move(t));
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

  session_options options;
  options.journal = true;
  options.fallback = true;
  session_ = std::make_unique<session>(settings_, std::move(options));
  active_ = true;
  ended_.assign(plan_.size(), 0);
  session_->open(std::move(plan));
  watch_ = std::make_unique<termination_watch>([this](int sig) { on_terminate(sig); });
}

void listener::on_terminate(int sig) {
  {
    std::lock_guard<std::mutex> lock(events_mutex_);
    if (active_) {
      guarded("the signal flush", [&] {
        const char* name = signal_name(sig);
        const auto grace = settings_.common.term_grace;
        say(std::string(name) + ": the interrupted test is reported as failed; sending what is pending (at most " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(grace).count()) + " s)");
        session_->note_death(name);
        unfinished_texts how;
        how.during = std::string("interrupted (") + name + ")";
        how.iteration = iteration_;
        how.start_ms = now_epoch_ms();
        how.disabled_too = !disabled_reported_ && !also_run_disabled();
        const bool running = current_ >= 0 && ended_[static_cast<std::size_t>(current_)] == 0;
        const std::string where = running ? "in " + plan_[static_cast<std::size_t>(current_)].suite + "." +
                                                plan_[static_cast<std::size_t>(current_)].name
                                          : "before the first test";
        // The tests that never ran, as `upload` reports them after a crash.
        how.not_run = std::string("not run: the process was interrupted (") + name + ") " + where;
        for (auto& r : unfinished_results(
                 plan_, running ? current_ : -1, [&](std::size_t i) { return ended_[i] != 0; }, how))
          submit(std::move(r));
        finish(std::chrono::steady_clock::now() + grace);
        std::fflush(nullptr);
      });
      active_ = false;
    }
    // Still under the lock: the test thread must not reach the end of main() before this.
    reraise_signal(sig);
  }
}

void listener::OnTestIterationStart(const testing::UnitTest& /*unit_test*/, int iteration) {
  std::lock_guard<std::mutex> lock(events_mutex_);
  ended_.assign(plan_.size(), 0);
  current_ = -1;
  iteration_ = iteration;
  tests_ended_in_iteration_ = 0;
}

void listener::submit(std::shared_ptr<const test_result> result) { session_->submit(std::move(result)); }

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

void listener::OnTestStart(const testing::TestInfo& info) {
  if (!owner()) return;
  std::lock_guard<std::mutex> lock(events_mutex_);
  if (!active_) return;
  test_context::instance().begin();
  const auto it = plan_index_.find(&info);
  current_ = it != plan_index_.end() ? static_cast<std::int64_t>(it->second) : -1;
  if (current_ >= 0) session_->test_started(it->second, iteration_);
}

void listener::OnTestEnd(const testing::TestInfo& info) {
  if (!owner()) return;
  std::lock_guard<std::mutex> lock(events_mutex_);
  if (!active_) return;
  const std::int64_t index = current_;
  if (current_ >= 0) ended_[static_cast<std::size_t>(current_)] = 1;
  current_ = -1;
  guarded("OnTestEnd", [&] {
    ++tests_ended_in_iteration_;
    auto result = session_->new_result();
    fill_test_result(info, iteration_, *result);
    take_test_context(info, *result);
    attribute_setup_failures(*result);
    session_->submit(std::move(result), index);
  });
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
      target = synthetic_result(suite, before ? setup_name : teardown_name, test_status::failed, iteration_);
      target->run_level = true;
    }
    target->parts.push_back(to_part(p, ""));
  }
  seen = ad_hoc.total_part_count();
  if (setup) submit(std::move(setup));
  if (teardown) submit(std::move(teardown));
}

void listener::OnTestSuiteEnd(const testing::TestSuite& suite) {
  if (!owner()) return;
  std::lock_guard<std::mutex> lock(events_mutex_);
  if (!active_) return;
  guarded("OnTestSuiteEnd", [&] {
    report_unattributed(suite.ad_hoc_test_result(), suite_parts_seen_, suite_first_test_mark_, suite.name(),
                        "SetUpTestSuite", "TearDownTestSuite");
  });
}

void listener::report_disabled(const testing::UnitTest& unit_test) {
  if (disabled_reported_ || !settings_.common.report_disabled || also_run_disabled()) return;
  disabled_reported_ = true;
  for (auto& r : disabled_results(unit_test, iteration_)) submit(std::move(r));
}

void listener::report_skipped_by_environment(const testing::UnitTest& unit_test) {
  if (tests_ended_in_iteration_ > 0) return;
  for (auto& r : skipped_by_environment(unit_test, iteration_)) submit(std::move(r));
}

void listener::OnTestIterationEnd(const testing::UnitTest& unit_test, int /*iteration*/) {
  if (!owner()) return;
  std::lock_guard<std::mutex> lock(events_mutex_);
  if (!active_) return;
  guarded("OnTestIterationEnd", [&] {
    report_skipped_by_environment(unit_test);
    report_unattributed(unit_test.ad_hoc_test_result(), global_parts_seen_, global_first_test_mark_,
                        "GlobalEnvironment", "SetUp", "TearDown");
    report_disabled(unit_test);
  });
}

void listener::OnTestProgramEnd(const testing::UnitTest& /*unit_test*/) {
  if (!owner()) return;
  {
    std::lock_guard<std::mutex> lock(events_mutex_);
    if (active_) {
      guarded("OnTestProgramEnd", [&] { finish(std::chrono::steady_clock::now() + settings_.common.flush_deadline); });
      active_ = false;
    } else if (settings_.common.strict && !settings_.errors.empty()) {
      strict_failure_ = true;
    }
  }
  // Outside the lock: a signal that came during finish() is waiting for it (then it re-raises).
  watch_.reset();
  if (strict_failure_) {
    // Opt-in only (GTEST_TMS_STRICT): the XML report is already written at iteration end.
    say("GTEST_TMS_STRICT is set and reporting had problems: exit code 1");
    std::fflush(nullptr);
    std::exit(1);  // NOLINT(concurrency-mt-unsafe): documented strict mode; the io thread has stopped
  }
}

void listener::finish(std::chrono::steady_clock::time_point deadline) {
  const session_outcome out = session_->close(deadline);
  for (const auto& line : summary_lines(out.entries)) say(line);
  if (!out.journal_warning.empty()) say(out.journal_warning);
  // Under a collector, one CI job summary for all processes would come from `run complete`, not one per test.
  if (out.entries.empty() || out.entries.front().collector.empty())
    write_step_summary(out.entries, out.results, out.failed_names);
  strict_failure_ = settings_.common.strict && out.problems;
  if (!out.kept_journal.empty())
    say("journal kept: " + out.kept_journal + " (send what it holds with: gtest-tms upload " + out.kept_journal + ")");
}

}  // namespace gtest_tms::detail

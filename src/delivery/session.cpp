#include "delivery/session.hpp"
#include "util/console.hpp"
#include "util/uuid.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "collector/spool.hpp"
#include "config/system_settings.hpp"
#include "platform/process.hpp"
#include "platform/signals.hpp"
#include "storage/journal.hpp"
#include "storage/qase_report.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qasphere/qasphere_backend.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

namespace {

constexpr std::size_t max_failed_names = 50;

// `qase`: the Qase backend of this session, if it has one; QA Sphere's results link its run.
std::unique_ptr<backend> default_backend(tms system, const settings& s, const backend* qase) {
  switch (system) {
    case tms::qase:
      return make_qase_backend(s.qase, s.common);
    case tms::qasphere: {
      qasphere_backend_hooks hooks;
      if (qase != nullptr) hooks.qase_run_link = [qase] { return qase->run_link(); };
      return make_qasphere_backend(s.qasphere, s.common, std::move(hooks));
    }
  }
  return nullptr;
}

// The session whose io thread is running, for the exit() path (see session::stop_at_exit).
std::atomic<session*> running_session{nullptr};

void stop_running_session_at_exit() {
  if (session* s = running_session.exchange(nullptr)) s->stop_at_exit();
}

// Objects a session deliberately leaks at process end (see ~session). Kept reachable from a
// global so that a leak checker (LSan) sees them as live rather than reporting them and changing
// the exit code. Volatile: the stores must survive although nothing reads them.
struct leaked_at_exit {
  pipeline* volatile pipeline_ = nullptr;
  transport* volatile transport_ = nullptr;
  journal* volatile journal_ = nullptr;
};
leaked_at_exit leaked;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

}  // namespace

transport_options transport_options_for(const settings& s) {
  transport_options t;
  t.request_timeout = s.common.request_timeout;
  t.ca_file = s.common.ca_file;
  t.proxy_url = s.common.proxy_url;
  t.no_proxy = s.common.no_proxy;
  return t;
}

pipeline_options pipeline_options_for(const settings& s) {
  pipeline_options o;
  o.batch_age = s.common.batch_age;
  o.retry.max_retries = s.common.retries;
  o.debug.level = s.common.debug;
  o.debug.secrets = {s.qase.token, s.qasphere.token};
  return o;
}

session::session(settings s, session_options options)
    : settings_(std::move(s)), options_(std::move(options)), owner_pid_(current_pid()) {
  systems_ = options_.systems;
  if (systems_.empty()) {
    for (const tms t : all_tms)
      if (configured(settings_, t)) systems_.push_back(t);
  }
}

session::~session() {
  // Test binaries destroy their listener (and so this) during static destruction, after
  // OpenSSL's own cleanup: nothing network-related may happen here. In a forked death-test child
  // the io thread does not exist, so the transport must be leaked, not joined.
  //
  // The same holds when close() never ran: a test called exit(), so static destruction started
  // while the io thread is still draining into the pipeline. Freeing the pipeline under it would
  // be a use-after-free; the process is ending anyway, and the journal already holds every
  // finished result for `gtest-tms upload`.
  if (!in_owner_process() || pipeline_ || transport_) {
    if (running_session.load() == this) running_session.store(nullptr);
    leaked.pipeline_ = pipeline_.release();
    leaked.transport_ = transport_.release();
    leaked.journal_ = journal_.release();  // keep the file as it is: nothing here may trim or remove it
  }
}

bool session::in_owner_process() const { return current_pid() == owner_pid_; }

void session::stop_at_exit() noexcept {
  if (!in_owner_process()) return;
  if (journal_) {
    journal_->death("exit");
    // The only word the user gets: static destruction follows, the summary never comes.
    const std::string& p = journal_->path();
    say("exit() was called during the tests: " + std::to_string(journal_->results_written()) + " results are kept in " +
        p + "; send them (and the tests that did not run) with: gtest-tms upload " + p);
  }
  if (!transport_) return;
  try {
    transport_->stop();
  } catch (...) {
  }
}

void session::test_started(std::uint32_t index, int iteration) noexcept {
  if (journal_) journal_->started(index, iteration);
}

void session::note_death(const char* how) noexcept {
  if (journal_) journal_->death(how);
}

void session::open(run_plan plan) {
  start_ms_ = now_epoch_ms();
  if (plan.creation_marker.empty()) plan.creation_marker = "gtest-tms:" + make_uuid();
  // Under a collector a test process only writes its journal: one connection and one rate limit
  // for all of CTest's processes, and no TLS or run check per process.
  const std::string& spool = settings_.common.spool_dir;
  bool to_collector = options_.journal && !spool.empty() && settings_.qase.mode != qase_mode::report &&
                      !systems_.empty() && collector_running(spool);
  for (const tms t : systems_) to_collector = to_collector && run_id_setting(settings_, t).has_value();
  // Crash safety: each finished result is on disk before submit() returns.
  if (options_.journal) {
    if (const std::string dir = to_collector ? spool : journal_dir_for(settings_); !dir.empty()) {
      journal_header h;
      h.start_ms = start_ms_;
      h.binary = current_binary_name();
      if (settings_.qase_enabled()) h.systems.emplace_back(tag(tms::qase));  // report mode too
      if (configured(settings_, tms::qasphere)) h.systems.emplace_back(tag(tms::qasphere));
      std::string error;
      journal_ = journal::create(dir, h, error, plan.tests.size());
      if (!journal_ && to_collector) {
        say("cannot write into the collector's folder (" + error + "); sending directly");
        journal_ = journal::create(journal_dir_for(settings_), h, error, plan.tests.size());
        to_collector = false;
      }
      if (!journal_) say("no crash journal: " + error);
    }
  }
  if (journal_) {
    // The selected tests, so that `upload` can name the one a crash interrupted and those never run.
    journal_->plan(plan);
    journal::arm_for_signals(journal_.get());
    set_fatal_signal_hook(&journal::on_fatal_signal);
  }

  if (to_collector && journal_) {
    for (const tms t : systems_) journal_->run_started(t, *run_id_setting(settings_, t), false);
    handed_to_collector_ = true;
    running_session.store(this);  // for the exit() line
    static const bool collector_at_exit_registered = std::atexit(stop_running_session_at_exit) == 0;
    (void)collector_at_exit_registered;
    return;
  }

  std::vector<std::unique_ptr<backend>> backends;
  const backend* qase = nullptr;  // owned by the pipeline from here on, which outlives every call
  for (const tms t : systems_) {
    auto b =
        options_.hooks.make_backend ? options_.hooks.make_backend(t, settings_) : default_backend(t, settings_, qase);
    if (b && t == tms::qase) qase = b.get();
    if (b) backends.push_back(std::move(b));
  }
  if (backends.empty()) {  // report mode only: results are written at close()
    if (journal_) {
      running_session.store(this);  // for the exit() line
      static const bool report_at_exit_registered = std::atexit(stop_running_session_at_exit) == 0;
      (void)report_at_exit_registered;
    }
    return;
  }

  const transport_options topt = transport_options_for(settings_);
  transport_ = options_.hooks.make_transport ? options_.hooks.make_transport(topt) : make_https_transport(topt);
  // Registered after OpenSSL initialised (inside make_https_transport), so it runs before
  // OpenSSL's own atexit cleanup when a test calls exit() mid-run.
  running_session.store(this);
  static const bool at_exit_registered = std::atexit(stop_running_session_at_exit) == 0;
  (void)at_exit_registered;

  pipeline_options popt = pipeline_options_for(settings_);
  popt.observer.run_started = [this, extra = options_.observer.run_started](tms system, std::int64_t id) {
    if (journal_) journal_->run_started(system, id, !run_id_setting(settings_, system).has_value());
    if (extra) extra(system, id);
  };
  popt.observer.delivered = [this, extra = options_.observer.delivered](
                                tms system, const std::vector<std::shared_ptr<const test_result>>& results) {
    if (journal_) journal_->ack(system, results);
    if (auto it = in_flight_.find(system); it != in_flight_.end())
      for (const auto& r : results) it->second.erase(r->id);
    if (extra) extra(system, results);
  };
  popt.observer.sending = [this, extra = options_.observer.sending](
                              tms system, const std::vector<std::shared_ptr<const test_result>>& results) {
    if (journal_) journal_->sending(system, results);
    auto& ids = in_flight_[system];
    for (const auto& r : results) ids.insert(r->id);
    if (extra) extra(system, results);
  };
  pipeline_ = std::make_unique<pipeline>(*transport_, std::move(backends), popt);
  pipeline_->start(std::move(plan));
}

void session::submit(std::shared_ptr<const test_result> result, std::int64_t plan_index) {
  ++results_;
  if (counts_as_failed(result->status) && failed_names_.size() < max_failed_names)
    failed_names_.push_back(result->full_name());
  if (journal_) journal_->append(*result, plan_index);
  if (pipeline_) pipeline_->submit(result, plan_index);
  if (options_.fallback && settings_.qase.mode == qase_mode::report) report_only_.push_back(std::move(result));
}

std::shared_ptr<test_result> session::new_result() {
  return pipeline_ ? pipeline_->new_result() : std::make_shared<test_result>();
}

session_outcome session::close(std::chrono::steady_clock::time_point deadline) {
  if (journal_) journal_->ended();  // every test is over: nothing is lost with this process from here
  std::vector<backend_report> reports;
  if (pipeline_) reports = pipeline_->finish(deadline);

  session_outcome out;
  out.results = results_;
  out.failed_names = std::move(failed_names_);
  if (handed_to_collector_) {
    // The collector takes the rest from the file once this process closes it (its lock goes).
    set_fatal_signal_hook(nullptr);
    journal::arm_for_signals(nullptr);
    out.problems = !settings_.errors.empty() || !journal_->healthy();
    if (!journal_->healthy())
      out.journal_warning = "the journal " + journal_->path() + " for the collector is incomplete (" +
                            journal_->error() + "): some results of this process are only in memory and lost";
    journal_->close();
    for (const tms t : systems_) {
      summary_entry e;
      e.report.system = t;
      e.report.name = std::string(display_name(t));
      e.report.run_id = *run_id_setting(settings_, t);
      e.collector = settings_.common.spool_dir;
      e.handed_over = results_;
      out.entries.push_back(std::move(e));
    }
    if (running_session.load() == this) running_session.store(nullptr);
    return out;
  }
  const std::int64_t end_ms = now_epoch_ms();
  bool all_safe = true;  // every result is in its TMS or in a fallback report
  for (auto& r : reports) {
    summary_entry e;
    e.report = std::move(r);
    const tms system = e.report.system;
    const bool wants_fallback = options_.fallback && settings_.qase.fallback == qase_mode::report;
    if (!e.report.undelivered.empty() && wants_fallback) {
      // QA Sphere's share goes into a subfolder, so `upload` can tell the two apart.
      e.fallback_dir = settings_.qase.report_path + (system == tms::qase ? "" : "/" + std::string(tag(system)));
      const report_run_info run_info{
          start_ms_,          end_ms, system, e.report.run_id, !run_id_setting(settings_, system).has_value(),
          &in_flight_[system]};
      e.fallback_error = write_qase_report(e.fallback_dir, e.report.undelivered, run_info, settings_.qase);
    }
    if (!e.report.undelivered.empty()) {
      if (journal_ && !e.fallback_dir.empty() && e.fallback_error.empty()) {
        journal_->ack(system, e.report.undelivered);  // safe in the report
      } else {
        all_safe = false;
      }
    }
    out.entries.push_back(std::move(e));
  }
  if (options_.fallback && settings_.qase.mode == qase_mode::report) {
    summary_entry e;
    e.report.system = tms::qase;
    e.report.name = "Qase report";
    e.report.undelivered = std::move(report_only_);
    e.fallback_dir = settings_.qase.report_path;
    e.report_mode = true;
    const report_run_info run_info{start_ms_, end_ms, tms::qase, 0, false};
    e.fallback_error = write_qase_report(e.fallback_dir, e.report.undelivered, run_info, settings_.qase);
    if (!e.fallback_error.empty()) all_safe = false;
    out.entries.push_back(std::move(e));
  }

  out.problems = !settings_.errors.empty();
  for (const auto& e : out.entries) {
    const backend_report& r = e.report;
    out.problems = out.problems || !r.start_error.empty() || !r.failure.empty() || !r.rejections.empty() ||
                   !r.undelivered.empty() || !e.fallback_error.empty();
  }
  if (journal_) {
    set_fatal_signal_hook(nullptr);
    journal::arm_for_signals(nullptr);
    if (!journal_->healthy()) {
      const std::size_t kept = journal_->results_written();
      const std::size_t memory_only = results_ > kept ? results_ - kept : 0;
      out.journal_warning = "the crash journal " + journal_->path() + " is incomplete (" + journal_->error() +
                            "): " + plural(memory_only, "result was", "results were") + " only in memory" +
                            (all_safe ? " and went to the server"
                                      : "; `gtest-tms upload` will send what it holds but not complete the run");
      out.problems = true;
    }
    // The journal is only needed while something is neither in its TMS nor in a report.
    if (all_safe) {
      journal_->remove();
    } else {
      journal_->close();
      out.kept_journal = journal_->path();
      for (auto& e : out.entries) {
        if (!e.report.undelivered.empty() && (e.fallback_dir.empty() || !e.fallback_error.empty()))
          e.journal = out.kept_journal;
      }
    }
  }
  if (running_session.load() == this) running_session.store(nullptr);
  pipeline_.reset();
  transport_.reset();
  return out;
}

}  // namespace gtest_tms::detail

#pragma once
// One delivery session: the one place that builds the delivery machinery from settings (transport,
// one backend per system, the pipeline, the crash journal and its observer, the fallback report)
// and takes it down again. The listener (a test binary) and every CLI command (run create/complete,
// upload) drive the same object, so retries, rate limits, deadlines, fallback and the summary are
// the same everywhere.
//
//   session s(settings, options);   // nothing happens yet
//   s.open(plan);                   // io thread starts; each system checks its project, creates/joins its run
//   s.submit(result) ...            // test thread: journal append + hand-off, no network
//   auto out = s.close(deadline);   // flush, complete/close runs, write what is unconfirmed to disk

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "delivery/backend.hpp"
#include "delivery/pipeline.hpp"
#include "delivery/summary.hpp"
#include "model/tms.hpp"
#include "net/transport.hpp"

namespace gtest_tms::detail {

class journal;

/// Seams for tests: how the transport and a system's backend are made. Empty: the real ones.
struct session_hooks {
  std::function<std::unique_ptr<transport>(const transport_options&)> make_transport;
  std::function<std::unique_ptr<backend>(tms system, const settings& s)> make_backend;
};

struct session_options {
  /// The systems to deliver to; empty: every configured one (config/system_settings.hpp).
  std::vector<tms> systems;
  /// A crash journal for this process (test binaries; see storage/journal.hpp).
  bool journal = false;
  /// Results a server did not confirm go to the local report when QASE_FALLBACK=report, and
  /// QASE_MODE=report writes every result there without network (test binaries).
  bool fallback = false;
  /// Extra delivery hooks, called besides the session's own journal (upload acks the journals it reads).
  delivery_observer observer;
  session_hooks hooks;
};

struct session_outcome {
  std::vector<summary_entry> entries;  // one per system, then the local report in QASE_MODE=report
  /// Something went wrong (a bad setting, a system that did not start, a result not confirmed
  /// nor safely on disk): what GTEST_TMS_STRICT turns into exit code 1.
  bool problems = false;
  /// The journal was kept because some result is neither in its TMS nor in a report ("" if not).
  std::string kept_journal;
  std::size_t results = 0;                // results submitted
  std::vector<std::string> failed_names;  // the first few failed ones, for the CI step summary
  /// A journal write failed (e.g. a full disk): how many results are only in memory ("" if none).
  std::string journal_warning;
};

class session {
 public:
  session(settings s, session_options options);
  /// A session that was never closed (exit() mid-run) or is destroyed in a forked death-test child
  /// leaks its io thread's objects instead of freeing them under that thread (see session.cpp).
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Starts delivery: journal, transport, backends, pipeline. Returns at once; each system checks
  /// its project and creates or joins its run on the io thread.
  void open(run_plan plan);
  /// Test thread: one finished result. On disk (journal) before it returns; no network.
  /// `plan_index`: the result is of that test of the plan open() got, with its suite, name, file,
  /// line and parameters (the journal line then names it by index); -1: of no planned test.
  void submit(std::shared_ptr<const test_result> result, std::int64_t plan_index = -1);
  /// Test thread: an empty result to fill and submit (made ahead by the io thread when delivering).
  std::shared_ptr<test_result> new_result();
  /// Test thread: test `index` of the plan open() got starts (the journal names it after a crash).
  void test_started(std::uint32_t index, int iteration) noexcept;
  /// The process is ending before its tests did ("SIGTERM"): recorded in the journal.
  void note_death(const char* how) noexcept;
  /// Flushes, completes/closes the runs that are complete, writes what was not confirmed to the
  /// fallback report and removes the journal when nothing in it is needed. Blocks until
  /// everything is done or `deadline` passed. Call once, never on the io thread.
  session_outcome close(std::chrono::steady_clock::time_point deadline);
  /// exit() in the middle of the tests: stops the io thread (bounded) before the statics go away.
  void stop_at_exit() noexcept;

  /// Whether any system delivers over the network (false in QASE_MODE=report or before open).
  bool delivering() const { return pipeline_ != nullptr; }

 private:
  bool in_owner_process() const;

  settings settings_;
  session_options options_;
  std::vector<tms> systems_;
  // A collector runs for this CTest run (collector/spool.hpp): the journal goes into its spool and
  // nothing is sent from here.
  bool handed_to_collector_ = false;
  std::int64_t owner_pid_ = 0;
  std::int64_t start_ms_ = 0;
  std::unique_ptr<journal> journal_;  // declared first: outlives the io thread that acks into it
  // io thread until close(): ids a request carried to a system without idempotency keys and no
  // answer confirmed yet. The fallback report marks them, so `upload` asks before resending.
  std::map<tms, std::set<std::string>> in_flight_;
  std::unique_ptr<transport> transport_;
  std::unique_ptr<pipeline> pipeline_;
  std::size_t results_ = 0;
  std::vector<std::string> failed_names_;
  // QASE_MODE=report: no network, every result goes to the local report at the end.
  std::vector<std::shared_ptr<const test_result>> report_only_;
};

/// The transport options the settings give (timeouts, CA, proxy).
transport_options transport_options_for(const settings& s);

/// The pipeline options the settings give (batch age, retries), without observer.
pipeline_options pipeline_options_for(const settings& s);

}  // namespace gtest_tms::detail

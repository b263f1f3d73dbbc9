#pragma once
// The one owner of delivery: the queue between the test thread and the io thread, batching by size
// and age, splitting of refused batches, the teardown deadline and the accounting of every result
// (delivered, rejected, or handed back undelivered so the caller can put it on disk), applying
// each system's rate limiter (rate_limiter.hpp) and the retry policy (retry.hpp). Backends only
// map; the transport only moves bytes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "delivery/backend.hpp"
#include "delivery/debug_log.hpp"
#include "delivery/retry.hpp"
#include "model/test_result.hpp"
#include "net/transport.hpp"

namespace gtest_tms::detail {

/// Hooks for the crash-safety journal, called on the io thread; they must be cheap and not throw.
struct delivery_observer {
  /// A backend's run is ready (created or joined).
  std::function<void(tms system, std::int64_t run_id)> run_started;
  /// The server acknowledged these results.
  std::function<void(tms system, const std::vector<std::shared_ptr<const test_result>>& results)> delivered;
  /// A request with these results is about to go to a system without idempotency keys.
  std::function<void(tms system, const std::vector<std::shared_ptr<const test_result>>& results)> sending;
};

struct pipeline_options {
  /// A partial batch goes at once when nothing is in flight, else once its oldest item is this old,
  /// and never sooner than this after the previous batch (see pump()).
  std::chrono::milliseconds batch_age{450};
  std::size_t max_in_flight = 8;  // batches in flight per backend
  /// How long submitted results wait to be handed to the io thread: one wake-up per interval
  /// instead of one per test (a futex/eventfd write costs more than the rest of the hand-off).
  std::chrono::milliseconds hand_off_interval{2};
  /// Results a backend may hold queued in memory as records. Beyond that, a plain result (a test of
  /// the plan, no failure text, metadata, attachments or steps) waits as a compact record of 48
  /// bytes instead of ~900, and is rebuilt when the queue has room: a backlog the rate limit imposes
  /// (100,000 fast tests) costs a few MB, not a hundred. Several full batches (Qase: 200 results).
  std::size_t memory_backlog = 2048;
  retry_policy retry;
  debug_log_options debug;  // QASE_DEBUG
  delivery_observer observer;
};

/// What happened to one backend's share of the results; read after finish().
struct backend_report {
  tms system = tms::qase;
  std::string name;  // display_name(system), for the summary lines
  bool started = false;
  std::string start_error;  // why the backend never started (empty if it did)
  /// backend::run_warnings() once started: what the run lacks that was asked for.
  std::vector<std::string> run_warnings;
  std::string failure;         // why delivery stopped midway (empty if it did not)
  bool run_finished = false;   // finish() completed / closed the run
  std::string finish_message;  // "run 5 completed", "run 5 left open: ..."
  std::string link;
  std::int64_t run_id = 0;
  std::size_t delivered = 0;         // results the server acknowledged
  std::size_t delivered_failed = 0;  // of those, failed/invalid/blocked
  /// The same, per status in the system's words ("failed", "invalid", "blocked"), each on its own.
  std::map<std::string, std::size_t> delivered_by_status;
  std::size_t not_sent = 0;             // deliberately not for this backend (e.g. no QA Sphere marker)
  std::size_t already_stored = 0;       // of delivered: found on the server, not sent again
  std::vector<std::string> rejections;  // "Suite.Test: <server's reason>", refused for their content
  /// Delivered failures with a case page (backend::case_link): "Suite.Test: https://...", the first
  /// few; `failed_links_more` counts the rest.
  std::vector<std::string> failed_links;
  std::size_t failed_links_more = 0;
  std::vector<std::string> warnings;  // delivered, but incomplete ("Suite.Test: attachment not uploaded: ...")
  /// When the deadline passed: results still queued (never sent), and whether the system's rate limit
  /// held them back; then `more_ms` is how long the limit needs to send them.
  std::size_t queued_at_deadline = 0;
  bool rate_limited = false;
  double requests_per_second = 0;
  std::int64_t more_ms = 0;
  /// The most results that waited as compact records at once (pipeline_options::memory_backlog).
  std::size_t compact_most = 0;
  /// Every result not acknowledged (never sent, refused, or unconfirmed), for the fallback on disk.
  std::vector<std::shared_ptr<const test_result>> undelivered;
};

class pipeline {
 public:
  pipeline(transport& t, std::vector<std::unique_ptr<backend>> backends, pipeline_options options);
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  /// Starts every backend (check project, create or join the run) on the io thread.
  void start(run_plan plan);
  /// Test thread: hands one finished result over. No I/O, no waiting on the network. `plan_index`:
  /// the result is of that test of start()'s plan (-1: of none), so a backlog can hold it compactly.
  void submit(std::shared_ptr<const test_result> result, std::int64_t plan_index = -1);
  /// Test thread: an empty result to fill and submit. The io thread made it, with room for a UUID,
  /// a file path and a few ids, and frees it after delivery: a test thread that allocates what
  /// another thread frees always takes glibc's slow path (and its arena lock), which cost a third
  /// of the per-test budget.
  std::shared_ptr<test_result> new_result();
  /// Flushes, completes runs where everything was delivered, and stops the transport, all by the
  /// deadline. Blocks the calling thread (never call it on the io thread). Call once.
  std::vector<backend_report> finish(std::chrono::steady_clock::time_point deadline);

 private:
  struct channel;
  struct state;
  void drain();
  void refill_spares(std::size_t want);
  std::shared_ptr<state> state_;  // shared with callbacks on the io thread
  transport& transport_;
  std::mutex incoming_mutex_;
  struct handed_over {
    std::shared_ptr<const test_result> result;
    std::int64_t plan_index = -1;
  };
  std::vector<handed_over> incoming_;
  bool drain_scheduled_ = false;                      // guarded by incoming_mutex_
  std::vector<std::shared_ptr<test_result>> spares_;  // guarded by incoming_mutex_; see new_result()
  std::size_t last_drained_ = 0;                      // io thread: results the last drain() took
};

}  // namespace gtest_tms::detail

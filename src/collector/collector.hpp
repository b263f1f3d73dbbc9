#pragma once
// The collector: one background process per CTest run (started by `gtest-tms run create --collect`,
// the setup fixture gtest_tms_discover_tests adds). CTest starts one process per test; if each of
// them talked to the TMS, together they would exceed the account's rate limit and spend most of
// their time on TLS and run checks. Instead they write their journal into the spool (spool.hpp)
// and send nothing; the collector follows those journals, batches the results of all processes in
// one delivery session (one connection pool, one rate limiter per system) and delivers them live.
//
// Nothing is lost: a result stays in its process's journal on disk until the server confirmed it
// (the collector's own journal in the spool records the confirmations as they arrive), so if the
// collector dies, `run complete` uploads the spool. A process that crashed is reported as
// `gtest-tms upload` would: its running test failed with the signal, the rest not run.
//
// It stops when `run complete` asks (the drain file), or by itself when the CTest that started it
// is gone and nothing new arrived for a while; it never completes a run (`run complete` does, once
// everything is confirmed).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "delivery/session.hpp"

namespace gtest_tms::detail {

struct collector_options {
  std::string spool;
  /// The CTest process: once it is gone and nothing new arrived for `orphan_quiet`, stop.
  std::int64_t watch_pid = 0;
  std::chrono::milliseconds poll{50};
  std::chrono::milliseconds orphan_quiet{10000};
  /// Stop after this long without anything new, whoever is still there.
  std::chrono::milliseconds idle_limit{std::chrono::hours(6)};
};

struct collector_outcome {
  std::vector<std::string> lines;  // the summary, one line each
  bool ok = false;                 // every result found was confirmed
  std::size_t results = 0;         // results found in the spool's journals
  std::size_t processes = 0;       // journals followed
};

/// Runs the collector until it is asked to stop (see above). The spool must exist. `s` names the
/// runs (run ids from the run file); the runs are joined, never created or finished.
collector_outcome run_collector(const settings& s, const collector_options& o, const session_hooks& hooks = {});

}  // namespace gtest_tms::detail

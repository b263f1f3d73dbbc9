#pragma once
// Signals for crash reporting: fatal ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) get a hook that
// runs inside the handler; SIGTERM/SIGINT only wake a watcher thread that may do real work. Both
// end with the previous action restored and the signal raised again, so the exit status is the
// one the process would have had without us.

#include <chrono>
#include <functional>
#include <memory>

namespace gtest_tms::detail {

/// "SIGSEGV", "SIGTERM", ...; "signal" for any other number. Async-signal-safe (a literal).
const char* signal_name(int sig) noexcept;

/// Runs inside a fatal-signal handler: async-signal-safe code only (no malloc, no locks).
using fatal_signal_hook = void (*)(int sig) noexcept;

/// Installs handlers for the fatal signals that call `hook` once, then restore the previous
/// action and raise the signal again. Replaces an earlier hook; nullptr uninstalls (restores).
void set_fatal_signal_hook(fatal_signal_hook hook) noexcept;

/// SIGTERM and SIGINT while it lives (not installed over an ignored signal): the handler only
/// records the signal and wakes a watcher thread, which calls `on_signal(sig)` there. on_signal
/// must end with reraise_signal(sig). A second signal while on_signal runs acts at once. In
/// another process (a forked death-test child) the handler only re-raises.
class termination_watch {
 public:
  explicit termination_watch(std::function<void(int sig)> on_signal);
  /// Restores the previous handlers and stops the watcher. Never call it while holding a lock
  /// on_signal takes: a signal may have arrived just before.
  ~termination_watch();
  termination_watch(const termination_watch&) = delete;
  termination_watch& operator=(const termination_watch&) = delete;

  /// False when nothing could be installed (no pipe, no thread).
  bool active() const { return thread_ != nullptr; }

 private:
  struct thread_state;
  std::unique_ptr<thread_state> thread_;
};

/// SIGINT and SIGTERM for a foreground server (the emulator): while it lives they only wake wait().
/// Restores the previous actions when destroyed. One at a time per process.
class stop_signal_wait {
 public:
  stop_signal_wait();
  ~stop_signal_wait();
  stop_signal_wait(const stop_signal_wait&) = delete;
  stop_signal_wait& operator=(const stop_signal_wait&) = delete;

  /// The signal that arrived, or 0 when `timeout` passed first.
  int wait(std::chrono::milliseconds timeout);
};

/// Restores the action SIGTERM/SIGINT had before termination_watch and raises `sig` again.
void reraise_signal(int sig) noexcept;

}  // namespace gtest_tms::detail

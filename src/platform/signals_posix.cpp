#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <thread>

#include "platform/posix_pipe.hpp"
#include "platform/signals.hpp"

namespace gtest_tms::detail {

namespace {

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int fatal_count = sizeof fatal_signals / sizeof fatal_signals[0];
constexpr int term_signals[] = {SIGTERM, SIGINT};
constexpr int term_count = 2;

// Written only under the mutexes below, before the handlers that read them are installed.
struct sigaction fatal_previous[fatal_count];
struct sigaction term_previous[term_count];
bool term_installed[term_count] = {};
std::atomic<fatal_signal_hook> fatal_hook{nullptr};
std::atomic<int> fatal_fired{0};
bool fatal_installed = false;
std::mutex fatal_mutex;

std::atomic<int> term_pipe_w{-1};
std::atomic<std::int64_t> term_pid{0};
std::atomic<int> term_pending{0};
std::mutex term_mutex;

int index_of(const int* list, int n, int sig) {
  for (int i = 0; i < n; ++i)
    if (list[i] == sig) return i;
  return -1;
}

void on_fatal(int sig, siginfo_t* info, void* /*context*/) {
  const int saved = errno;
  if (fatal_fired.exchange(1) == 0) {
    if (const fatal_signal_hook hook = fatal_hook.load()) hook(sig);
  }
  if (const int i = index_of(fatal_signals, fatal_count, sig); i >= 0) ::sigaction(sig, &fatal_previous[i], nullptr);
  errno = saved;
  // A fault the kernel raised repeats when the instruction is retried; a sent one (raise, abort,
  // kill) must be sent again. It is blocked until this handler returns.
  if (info == nullptr || info->si_code <= 0) (void)::raise(sig);
}

void on_term(int sig) {
  const int saved = errno;
  int expected = 0;
  const int w = term_pipe_w.load();
  if (w >= 0 && static_cast<std::int64_t>(::getpid()) == term_pid.load() &&
      term_pending.compare_exchange_strong(expected, sig)) {
    const char wake = 1;
    const ssize_t n = ::write(w, &wake, 1);
    (void)n;
  } else {
    reraise_signal(sig);  // a second signal, or a forked child: act at once
  }
  errno = saved;
}

// Stack overflows are SIGSEGV too: give the handler a stack of its own on this thread.
void ensure_alt_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;
  static char alt_stack[64 * 1024];
  stack_t s{};
  s.ss_sp = alt_stack;
  s.ss_size = sizeof alt_stack;
  (void)::sigaltstack(&s, nullptr);
}

// One pipe per process, never closed: a handler running late can never write into a reused fd.
int term_pipe_read_end() {
  static int fds[2] = {-1, -1};
  static std::once_flag once;
  std::call_once(once, [] {
    // Created once, early, before tests fork.
    if (!make_cloexec_pipe(fds)) fds[0] = fds[1] = -1;
  });
  term_pipe_w.store(fds[1]);
  return fds[0];
}

}  // namespace

const char* signal_name(int sig) noexcept {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

void set_fatal_signal_hook(fatal_signal_hook hook) noexcept {
  std::lock_guard<std::mutex> lock(fatal_mutex);
  fatal_hook.store(hook);
  if (hook != nullptr && !fatal_installed) {
    ensure_alt_stack();
    struct sigaction sa {};
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < fatal_count; ++i) ::sigaction(fatal_signals[i], &sa, &fatal_previous[i]);
    fatal_fired.store(0);
    fatal_installed = true;
  } else if (hook == nullptr && fatal_installed) {
    for (int i = 0; i < fatal_count; ++i) {
      struct sigaction current {};
      if (::sigaction(fatal_signals[i], nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) != 0 &&
          current.sa_sigaction == on_fatal)
        ::sigaction(fatal_signals[i], &fatal_previous[i], nullptr);
    }
    fatal_installed = false;
  }
}

void reraise_signal(int sig) noexcept {
  const int i = index_of(term_signals, term_count, sig);
  if (i >= 0 && term_installed[i]) {
    ::sigaction(sig, &term_previous[i], nullptr);
  } else {
    (void)::signal(sig, SIG_DFL);
  }
  (void)::raise(sig);
}

struct termination_watch::thread_state {
  std::function<void(int)> on_signal;
  std::atomic<bool> stop{false};
  std::thread thread;
};

termination_watch::termination_watch(std::function<void(int sig)> on_signal) {
  std::lock_guard<std::mutex> lock(term_mutex);
  const int r = term_pipe_read_end();
  if (r < 0) return;
  auto state = std::make_unique<thread_state>();
  state->on_signal = std::move(on_signal);
  term_pending.store(0);
  term_pid.store(static_cast<std::int64_t>(::getpid()));
  thread_state* st = state.get();
  try {
    st->thread = std::thread([st, r] {
      for (int guard = 0; guard < 1'000'000; ++guard) {
        char b = 0;
        const ssize_t n = ::read(r, &b, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || st->stop.load()) return;
        if (const int sig = term_pending.load(); b == 1 && sig != 0) {
          st->on_signal(sig);
          return;
        }
      }
    });
  } catch (...) {
    return;  // no thread: no handlers either
  }
  struct sigaction sa {};
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < term_count; ++i) {
    struct sigaction previous {};
    term_installed[i] = false;
    if (::sigaction(term_signals[i], nullptr, &previous) != 0) continue;
    if ((previous.sa_flags & SA_SIGINFO) == 0 && previous.sa_handler == SIG_IGN) continue;  // nohup, CI runners
    term_previous[i] = previous;
    term_installed[i] = ::sigaction(term_signals[i], &sa, nullptr) == 0;
  }
  thread_ = std::move(state);
}

termination_watch::~termination_watch() {
  if (!thread_) return;
  {
    std::lock_guard<std::mutex> lock(term_mutex);
    for (int i = 0; i < term_count; ++i) {
      struct sigaction current {};
      if (term_installed[i] && ::sigaction(term_signals[i], nullptr, &current) == 0 &&
          (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == on_term)
        ::sigaction(term_signals[i], &term_previous[i], nullptr);
      term_installed[i] = false;
    }
    term_pid.store(0);
  }
  thread_->stop.store(true);
  if (const int w = term_pipe_w.load(); w >= 0) {
    const char wake = 0;
    const ssize_t n = ::write(w, &wake, 1);
    (void)n;
  }
  if (thread_->thread.joinable()) {
    if (thread_->thread.get_id() == std::this_thread::get_id()) {
      thread_->thread.detach();  // destroyed from on_signal itself
    } else {
      thread_->thread.join();
    }
  }
}

// --- stop_signal_wait: a self-pipe (poll() with a timeout exists everywhere; sigtimedwait does
// not on macOS) -------------------------------------------------------------------------------

namespace {

int stop_pipe[2] = {-1, -1};
struct sigaction previous_int {};
struct sigaction previous_term {};

void on_stop_signal(int sig) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(sig);
  (void)!::write(stop_pipe[1], &byte, 1);  // a full pipe already holds a wake-up
  errno = saved;
}

}  // namespace

stop_signal_wait::stop_signal_wait() {
  if (!make_cloexec_pipe(stop_pipe)) {
    stop_pipe[0] = stop_pipe[1] = -1;
    return;  // wait() then only times out; the default actions stay
  }
  for (const int fd : stop_pipe) (void)::fcntl(fd, F_SETFL, O_NONBLOCK);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  (void)::sigaction(SIGINT, &sa, &previous_int);
  (void)::sigaction(SIGTERM, &sa, &previous_term);
}

stop_signal_wait::~stop_signal_wait() {
  if (stop_pipe[0] < 0) return;
  (void)::sigaction(SIGINT, &previous_int, nullptr);
  (void)::sigaction(SIGTERM, &previous_term, nullptr);
  ::close(stop_pipe[0]);
  ::close(stop_pipe[1]);
  stop_pipe[0] = stop_pipe[1] = -1;
}

int stop_signal_wait::wait(std::chrono::milliseconds timeout) {
  if (stop_pipe[0] < 0) {
    std::this_thread::sleep_for(timeout);
    return 0;
  }
  pollfd p{stop_pipe[0], POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;  // timeout, or EINTR: look again
  unsigned char byte = 0;
  return ::read(stop_pipe[0], &byte, 1) == 1 ? byte : 0;
}

}  // namespace gtest_tms::detail

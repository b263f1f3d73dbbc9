#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "platform/posix_pipe.hpp"
#include "platform/process.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): not every libc declares it

namespace gtest_tms::detail {

std::int64_t current_pid() noexcept { return static_cast<std::int64_t>(::getpid()); }

std::string current_binary_name() {
  std::string path;
#if defined(__linux__)
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) path.assign(buf, static_cast<std::size_t>(n));
#endif
#if defined(__GLIBC__)
  if (path.empty() && program_invocation_short_name != nullptr) path = program_invocation_short_name;
#elif defined(__APPLE__) || defined(__FreeBSD__)
  if (path.empty() && ::getprogname() != nullptr) path = ::getprogname();
#endif
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string current_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string(".");
}

bool describe_system(system_description& out) {
  struct utsname u {};
  if (::uname(&u) != 0) return false;
  out.system = u.sysname;
  out.node = u.nodename;
  out.release = u.release;
  out.machine = u.machine;
  return true;
}

// Nothing else runs programs here, so no other thread can fork between pipe() and fcntl() and
// leak the descriptors.
bool run_and_capture(const std::string& program, const std::string& argument, std::chrono::seconds timeout,
                     std::size_t cap, std::string& output, std::string& error) {
  int fds[2];
  if (!make_cloexec_pipe(fds)) {
    error = std::string("cannot create a pipe: ") + std::generic_category().message(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::string arg = argument;
  std::vector<char*> args{const_cast<char*>(program.c_str()), arg.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    error = "cannot run " + program + ": " + std::generic_category().message(rc);
    return false;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    const ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (output.size() < cap) output.append(buf, static_cast<std::size_t>(got));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    error = program + " " + argument + " did not finish within " + std::to_string(timeout.count()) + " s";
    return false;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = program + " " + argument + " failed (" +
            (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status))
                               : "signal " + std::to_string(WTERMSIG(status))) +
            ")";
    return false;
  }
  return true;
}

bool on_fork_in_child(void (*fn)()) noexcept { return ::pthread_atfork(nullptr, nullptr, fn) == 0; }

}  // namespace gtest_tms::detail

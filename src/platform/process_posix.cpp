#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

#include <cerrno>
#include <climits>
#include <cstdint>
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

std::string current_executable_path() {
#if defined(__linux__)
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
#elif defined(__APPLE__)
  char buf[PATH_MAX];
  std::uint32_t size = sizeof buf;
  if (::_NSGetExecutablePath(buf, &size) == 0) return std::string(buf);
#endif
  return {};
}

std::int64_t parent_pid() noexcept { return static_cast<std::int64_t>(::getppid()); }

bool process_alive(std::int64_t pid) noexcept {
  if (pid <= 0 || pid > INT_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool spawn_detached(const std::string& program, const std::vector<std::string>& args, const std::string& log_path,
                    std::int64_t& pid, std::string& error) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // CTest waits for a fixture step's output pipe to close: the helper must not hold it.
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
#if defined(POSIX_SPAWN_SETSID)
  // Its own session: a Ctrl-C or a kill of CTest's process group does not take it down at once,
  // so it can still deliver what it holds.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
#endif
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = 0;
  const int rc = ::posix_spawn(&child, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "cannot start " + program + ": " + std::generic_category().message(rc);
    return false;
  }
  pid = child;
  return true;
}

bool on_fork_in_child(void (*fn)()) noexcept { return ::pthread_atfork(nullptr, nullptr, fn) == 0; }

}  // namespace gtest_tms::detail

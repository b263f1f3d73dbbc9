#pragma once
// For the *_posix.cpp files only: a pipe whose ends are not inherited by spawned programs.

#include <fcntl.h>
#include <unistd.h>

namespace gtest_tms::detail {

/// pipe() + FD_CLOEXEC on both ends (macOS has no pipe2). False, with both ends closed, on failure.
inline bool make_cloexec_pipe(int (&fds)[2]) noexcept {
  if (::pipe(fds) != 0) return false;
  if (::fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 && ::fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0) return true;
  ::close(fds[0]);
  ::close(fds[1]);
  return false;
}

}  // namespace gtest_tms::detail

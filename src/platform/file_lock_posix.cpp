#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "platform/file_lock.hpp"

namespace gtest_tms::detail {

file_lock::file_lock(file_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

file_lock::~file_lock() {
  if (fd_ >= 0) ::close(fd_);  // also releases the lock
}

file_lock::result file_lock::try_lock(const std::string& path, std::string& error) { return take(path, false, error); }

file_lock::result file_lock::lock(const std::string& path, std::string& error) { return take(path, true, error); }

file_lock::result file_lock::take(const std::string& path, bool wait, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = path + ": " + std::generic_category().message(errno);
    return result::error;
  }
  int rc = 0;
  while ((rc = ::flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK || e == EAGAIN) return result::busy;
    error = path + ": " + std::generic_category().message(e);
    return result::error;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return result::locked;
}

}  // namespace gtest_tms::detail

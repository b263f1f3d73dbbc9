#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "platform/native_file.hpp"

namespace gtest_tms::detail {

native_fd create_new_file(const std::string& path, int& err) noexcept {
  // O_RDWR (not O_APPEND): a shared writable mapping needs it.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  err = fd < 0 ? errno : 0;
  return fd;
}

native_fd open_file_rw(const std::string& path, int& err) noexcept {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  err = fd < 0 ? errno : 0;
  return fd;
}

native_fd open_file_read(const std::string& path, int& err) noexcept {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  err = fd < 0 ? errno : 0;
  return fd;
}

void close_file(native_fd fd) noexcept {
  if (fd >= 0) (void)::close(fd);
}

lock_result try_lock_file(native_fd fd) noexcept {
  int rc = 0;
  while ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR) {
  }
  if (rc == 0) return lock_result::locked;
  return errno == EWOULDBLOCK || errno == EAGAIN ? lock_result::busy : lock_result::unsupported;
}

std::int64_t write_at(native_fd fd, const void* data, std::size_t n, std::uint64_t offset, int& err) noexcept {
  for (;;) {
    const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    err = w < 0 ? errno : 0;
    return w;
  }
}

std::int64_t read_at(native_fd fd, void* data, std::size_t n, std::uint64_t offset, int& err) noexcept {
  for (;;) {
    const ssize_t r = ::pread(fd, data, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    err = r < 0 ? errno : 0;
    return r;
  }
}

std::int64_t file_size(native_fd fd) noexcept {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
}

int truncate_file(native_fd fd, std::uint64_t size) noexcept {
  return ::ftruncate(fd, static_cast<off_t>(size)) == 0 ? 0 : errno;
}

bool read_whole_file(const std::string& path, std::string& out, int& err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
    return false;
  }
  out.clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  err = 0;
  return true;
}

bool remove_file(const std::string& path) noexcept { return ::unlink(path.c_str()) == 0; }

int rename_no_replace(const std::string& from, const std::string& to) noexcept {
  // link() fails with EEXIST atomically; file systems without hard links fall back to a check and
  // a rename (the names are unique per process, so the gap between them is not contended).
  if (::link(from.c_str(), to.c_str()) == 0) return ::unlink(from.c_str()) == 0 ? 0 : errno;
  const int err = errno;
  if (err == EEXIST || err == ENOENT || err == ENOTDIR || err == EACCES) return err;
  struct stat st {};
  if (::lstat(to.c_str(), &st) == 0) return EEXIST;
  return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

bool remove_empty_dir(const std::string& path) noexcept { return ::rmdir(path.c_str()) == 0; }

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

}  // namespace gtest_tms::detail

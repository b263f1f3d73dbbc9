#pragma once
// An advisory exclusive lock on a file, held until the object is destroyed (or the process ends:
// the system releases it then, also after a crash or kill -9).

#include <string>

namespace gtest_tms::detail {

class file_lock {
 public:
  enum class result { locked, busy, error };

  file_lock() = default;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&& other) noexcept;
  ~file_lock();

  /// Creates `path` if needed and takes the lock without waiting: busy when another process (or
  /// another file_lock in this one) holds it; error (and `error` says why) when the file cannot be
  /// opened or locked at all.
  result try_lock(const std::string& path, std::string& error);
  /// The same, waiting while another process holds it: locked or error.
  result lock(const std::string& path, std::string& error);

 private:
  result take(const std::string& path, bool wait, std::string& error);
  int fd_ = -1;
};

}  // namespace gtest_tms::detail

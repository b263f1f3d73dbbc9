#pragma once
// The file calls the crash journal makes, on a plain descriptor: the one place that knows they are
// POSIX (open/flock/pwrite/ftruncate). Errors are errno values (0: none), so callers can name them.

#include <cstddef>
#include <cstdint>
#include <string>

namespace gtest_tms::detail {

using native_fd = int;  // a Windows port makes this a HANDLE-sized integer
constexpr native_fd no_fd = -1;

/// Creates `path`, failing with EEXIST if it exists. Read-write, not inherited by children.
native_fd create_new_file(const std::string& path, int& err) noexcept;
/// Opens an existing file read-write (not inherited by children).
native_fd open_file_rw(const std::string& path, int& err) noexcept;
/// Opens an existing file read-only (not inherited by children); never waits for a lock.
native_fd open_file_read(const std::string& path, int& err) noexcept;
void close_file(native_fd fd) noexcept;

enum class lock_result { locked, busy, unsupported };
/// An exclusive advisory lock without waiting, released when the descriptor is closed or the
/// process dies however it dies (flock).
lock_result try_lock_file(native_fd fd) noexcept;

/// Bytes written at `offset` (may be fewer than `n`), or -1 with `err`. Retries EINTR.
/// Async-signal-safe.
std::int64_t write_at(native_fd fd, const void* data, std::size_t n, std::uint64_t offset, int& err) noexcept;
/// Bytes read at `offset` into `data`, 0 at the end, -1 with `err`.
std::int64_t read_at(native_fd fd, void* data, std::size_t n, std::uint64_t offset, int& err) noexcept;
/// The file's size, or -1.
std::int64_t file_size(native_fd fd) noexcept;
/// 0, or the errno.
int truncate_file(native_fd fd, std::uint64_t size) noexcept;

/// The whole file; false with `err` when it cannot be opened.
bool read_whole_file(const std::string& path, std::string& out, int& err);
bool remove_file(const std::string& path) noexcept;
/// Renames `from` to `to` unless `to` exists (then EEXIST): 0, or the errno.
int rename_no_replace(const std::string& from, const std::string& to) noexcept;
/// Removes the directory if it is empty; false otherwise.
bool remove_empty_dir(const std::string& path) noexcept;

/// This machine's host name ("" when the system does not say).
std::string host_name();

}  // namespace gtest_tms::detail

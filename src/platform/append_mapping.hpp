#pragma once
// The journal's writable window onto the end of its file: file space reserved, mapped shared and
// made writable in chunks, so an append is a memcpy instead of a system call.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace gtest_tms::detail {

/// Not thread-safe: the journal's mutex guards every call. A helper thread of its own (started
/// when the first chunk is half used, so short runs never have one) prepares the next chunk:
/// making a chunk's pages writable costs ~3 us per 4 KiB page on a VM, ~0.2 us per passing test
/// when the test thread pays it (bench/journal_bench.cpp).
class append_mapping {
 public:
  // 2 MiB: two chunks (the current one and the next, made writable ahead) are resident at once, and
  // count in the process's RSS; 4 MiB chunks made the journal alone 8 MiB of it.
  static constexpr std::size_t chunk_size = std::size_t{2} * 1024 * 1024;

  explicit append_mapping(int fd) noexcept;
  ~append_mapping();  // release()
  append_mapping(const append_mapping&) = delete;
  append_mapping& operator=(const append_mapping&) = delete;

  /// Where `n` bytes at file offset `pos` are to be copied, or nullptr when no space could be
  /// reserved or mapped (a full disk, a file system without mmap): the caller writes instead.
  /// Space is reserved before it is mapped, so writing through the mapping never raises SIGBUS.
  char* at(std::size_t pos, std::size_t n) noexcept;
  /// The length of the first chunk (rounded up to pages), before the first at(); later ones are
  /// chunk_size. For short journals.
  void first_chunk(std::size_t len) noexcept { first_len_ = len; }
  /// Unmaps everything and stops the helper. Idempotent.
  void release() noexcept;

 private:
  struct chunk {
    char* p = nullptr;
    std::size_t off = 0;
    std::size_t len = 0;
  };
  struct helper;
  static chunk map_chunk(int fd, std::size_t off, std::size_t len) noexcept;
  static void unmap(chunk& c) noexcept;
  void ask_ahead() noexcept;
  static void helper_loop(int fd, helper& h) noexcept;

  int fd_;
  std::int64_t owner_pid_;  // a forked child has no helper thread to join
  chunk cur_;
  bool asked_ = false;         // the chunk after cur_ was asked for
  std::size_t first_len_ = 0;  // first_chunk(); 0 once used

  // The hand-over with the helper thread, made when first needed. A forked child leaks it: its
  // mutex and condition variable may be in use by a thread the child does not have.
  struct helper {
    std::mutex m;  // never held across a system call by the test thread
    std::condition_variable cv;
    std::optional<std::size_t> want;  // (m) offset of the chunk to prepare
    chunk next;                       // (m) prepared
    chunk retired;                    // (m) to unmap
    bool stop = false;                // (m)
    std::thread thread;
  };
  std::unique_ptr<helper> helper_;
};

}  // namespace gtest_tms::detail

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include "platform/append_mapping.hpp"
#include "platform/process.hpp"

namespace gtest_tms::detail {

namespace {

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older kernels answer EINVAL, which is harmless
#endif

// Blocks for [off, off + len) are allocated and the file is at least that long; false otherwise
// (a full disk: the journal then writes instead of mapping).
bool reserve(int fd, std::size_t off, std::size_t len) noexcept {
#if defined(__APPLE__)
  // macOS has no posix_fallocate: F_PREALLOCATE allocates past the end, ftruncate makes it the size.
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  const off_t want = static_cast<off_t>(off + len);
  if (st.st_size >= want) return true;
  fstore_t store{F_ALLOCATEALL, F_PEOFPOSMODE, 0, want - st.st_size, 0};
  if (::fcntl(fd, F_PREALLOCATE, &store) == -1) return false;
  return ::ftruncate(fd, want) == 0;
#else
  return ::posix_fallocate(fd, static_cast<off_t>(off), static_cast<off_t>(len)) == 0;
#endif
}

std::size_t page_size() noexcept {
  static const std::size_t p = [] {
    const long v = ::sysconf(_SC_PAGESIZE);
    return v > 0 ? static_cast<std::size_t>(v) : std::size_t{4096};
  }();
  return p;
}

}  // namespace

append_mapping::append_mapping(int fd) noexcept : fd_(fd), owner_pid_(current_pid()) {}

append_mapping::~append_mapping() { release(); }

append_mapping::chunk append_mapping::map_chunk(int fd, std::size_t off, std::size_t len) noexcept {
  // Reserve the blocks first: writing through a mapping into a hole on a full disk is SIGBUS.
  if (!reserve(fd, off, len)) return {};
  void* m = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(off));
  if (m == MAP_FAILED) return {};
    // One system call makes every page of the chunk writable up front; otherwise the first write
    // to each page is a fault (about 1 us each on a VM, 4 per 1 KiB record).
#if defined(__linux__)
  (void)::madvise(m, len, MADV_POPULATE_WRITE);
#endif
  return {static_cast<char*>(m), off, len};
}

void append_mapping::unmap(chunk& c) noexcept {
  if (c.p != nullptr) (void)::munmap(c.p, c.len);
  c = {};
}

char* append_mapping::at(std::size_t pos, std::size_t n) noexcept {
  if (cur_.p != nullptr && pos >= cur_.off && pos + n <= cur_.off + cur_.len) {
    if (!asked_ && pos - cur_.off >= cur_.len / 2) ask_ahead();
    return cur_.p + (pos - cur_.off);
  }
  chunk old = cur_;
  chunk stale;
  cur_ = {};
  asked_ = false;
  if (helper_) {
    std::lock_guard<std::mutex> lock(helper_->m);
    chunk& next = helper_->next;
    if (next.p != nullptr && pos >= next.off && pos + n <= next.off + next.len) {
      cur_ = next;
    } else {
      stale = next;  // prepared for a line that did not come (a longer one did)
    }
    next = {};
    if (!helper_->stop && helper_->retired.p == nullptr) {
      helper_->retired = old;  // unmapping costs too: the helper does it
      old = {};
      helper_->cv.notify_one();
    }
  }
  unmap(old);
  unmap(stale);
  if (cur_.p == nullptr) {
    const std::size_t page = page_size();
    const std::size_t start = pos / page * page;
    const std::size_t need = pos - start + n;
    const std::size_t unit = first_len_ > 0 ? (first_len_ + page - 1) / page * page : chunk_size;
    first_len_ = 0;
    cur_ = map_chunk(fd_, start, (need + unit - 1) / unit * unit);
    if (cur_.p == nullptr) return nullptr;
  }
  return cur_.p + (pos - cur_.off);
}

// The next chunk begins at the current one's last page, so a line that starts there fits in it
// (both mappings show the same page-cache page).
void append_mapping::ask_ahead() noexcept {
  asked_ = true;
  if (!helper_) {
    try {
      auto h = std::make_unique<helper>();
      h->thread = std::thread(helper_loop, fd_, std::ref(*h));
      helper_ = std::move(h);
    } catch (...) {
      return;  // no thread: the test thread maps each chunk itself, as before
    }
  }
  std::lock_guard<std::mutex> lock(helper_->m);
  if (helper_->stop) return;
  helper_->want = cur_.off + cur_.len - page_size();
  helper_->cv.notify_one();
}

void append_mapping::helper_loop(int fd, helper& h) noexcept {
  std::unique_lock<std::mutex> lock(h.m);
  for (;;) {
    h.cv.wait(lock, [&h] { return h.stop || h.want || h.retired.p != nullptr; });
    if (h.stop) return;
    chunk old = h.retired;
    h.retired = {};
    const std::optional<std::size_t> want = h.want;
    h.want.reset();
    lock.unlock();
    unmap(old);
    chunk c = want ? map_chunk(fd, *want, chunk_size) : chunk{};
    lock.lock();
    if (c.p != nullptr) {
      chunk replaced = h.next;
      h.next = c;
      lock.unlock();
      unmap(replaced);
      lock.lock();
    }
  }
}

void append_mapping::release() noexcept {
  if (helper_) {
    if (owner_pid_ != current_pid()) {
      (void)helper_.release();  // see helper: a forked child must not touch it
    } else {
      {
        std::lock_guard<std::mutex> lock(helper_->m);
        helper_->stop = true;
        helper_->cv.notify_one();
      }
      helper_->thread.join();
      unmap(helper_->next);
      unmap(helper_->retired);
      helper_.reset();
    }
  }
  unmap(cur_);
  asked_ = false;
}

}  // namespace gtest_tms::detail

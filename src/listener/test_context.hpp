#pragma once
// The running test's attachments and step tree, filled by gtest_tms::attach / gtest_tms::step from
// the test body and taken by the listener at OnTestEnd. Steps come only from the thread that started
// the test (gtest's results are only safe to read there); attachments from any thread.

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "model/limits.hpp"  // max_attachment_bytes, max_step_depth
#include "model/test_result.hpp"

namespace gtest_tms::detail {

inline constexpr std::size_t max_attachments_per_test = 20;
inline constexpr std::size_t max_steps_per_test = 500;
/// RecordProperty key naming files to attach (one or more paths separated by ';').
inline constexpr const char* attach_property = "gtest_tms.attach";

/// What a test left behind, handed to its test_result.
struct test_context_data {
  std::vector<attachment> attachments;
  std::vector<step_record> steps;
  std::vector<std::string> notes;
};

class test_context {
 public:
  /// The process-wide instance the public API writes to.
  static test_context& instance() noexcept;

  /// OnTestStart: starts collecting for a new test on the calling thread.
  void begin() noexcept;
  /// OnTestEnd: stops collecting and returns what was collected. Steps still open are closed with
  /// what `result` says (read on the test thread). Call on the thread that called begin().
  test_context_data end(const testing::TestResult* result);
  bool active() const noexcept { return active_.load(std::memory_order_acquire); }

  /// Attachments (any thread). Files are checked (exists, regular, size cap) here, read at upload.
  void add_file(const std::string& path);
  void add_content(const std::string& name, std::string content, const std::string& mime);

  /// Steps (test thread only). open_step returns -1 when not recorded; `test` receives the test's
  /// generation for close_step. `result` is the running test's result (may be null).
  long open_step(std::string action, std::string expected, const testing::TestResult* result, unsigned long& test);
  void close_step(long id, unsigned long test, const testing::TestResult* result);

  /// A list property the test adds to call by call (gtest keeps one value per key): `items` appended
  /// to what this test gave `key` before, duplicates dropped; returns the list joined by ','.
  std::string add_to_list(const std::string& key, const std::vector<std::string>& items);

 private:
  struct node {
    step_record record;
    long parent = -1;
    bool open = true;
    int parts_at_open = 0;
    int uncaught_at_open = 0;
  };
  void close_locked(long id, const testing::TestResult* result, bool unwinding);
  bool admit_attachment_locked(const std::string& name);

  mutable std::mutex mutex_;
  std::atomic<bool> active_{false};
  unsigned long generation_ = 0;
  std::thread::id thread_;
  std::vector<node> nodes_;
  long top_ = -1;  // innermost open step
  std::size_t dropped_attachments_ = 0;
  std::size_t dropped_steps_ = 0;
  test_context_data data_;
  std::vector<std::pair<std::string, std::vector<std::string>>> lists_;  // add_to_list, this test's
};

/// The paths of a RecordProperty("gtest_tms.attach", "a;b") value: split on ';', trimmed, empties dropped.
std::vector<std::string> split_attach_property(const std::string& value);

}  // namespace gtest_tms::detail

#pragma once
// Backend-neutral record of one executed test instance. Built once on the test thread in
// OnTestEnd, never mutated afterwards; every backend maps it to its own JSON.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gtest_tms::detail {

enum class test_status {
  passed,
  failed,   // an EXPECT_*/ASSERT_* failure (or any failure that is not an exception)
  skipped,  // GTEST_SKIP, disabled tests when reported
  invalid,  // an uncaught C++ exception ("C++ exception ... thrown in ...")
  blocked,  // could not run: a failing SetUpTestSuite / global Environment
};

const char* to_string(test_status s) noexcept;
/// A status that counts as a failure: failed, invalid (an exception) or blocked.
inline bool counts_as_failed(test_status s) noexcept {
  return s == test_status::failed || s == test_status::invalid || s == test_status::blocked;
}
/// to_string()'s inverse; false for any other text. `lenient`, for files of other Qase reporters:
/// any letter case, and "disabled" reads as skipped.
bool status_from(std::string_view text, test_status& out, bool lenient = false) noexcept;

/// a + b, clamped to the int64 range: times read back from files may hold any value.
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? INT64_MAX : INT64_MIN;
}

struct failure_part {
  std::string file;  // empty when gtest did not know the location
  int line = -1;
  std::string summary;  // the part before gtest's "Stack trace:"
  std::string message;  // the full message
  bool fatal = false;
  bool skip = false;  // a GTEST_SKIP part (its message is the skip reason)
};

/// A file or in-memory content attached to a test (gtest_tms::attach, RecordProperty("gtest_tms.attach")).
struct attachment {
  std::string name;     // file name shown in the TMS
  std::string path;     // file on disk, read when it is uploaded; empty for in-memory content
  std::string content;  // the bytes when path is empty
  std::string mime = "application/octet-stream";
  std::uint64_t size = 0;  // bytes (the file's size when attached)
};

/// The bytes of `a`: its content, or its file read now (right before an upload). False with
/// `error` ("cannot be read", "is larger than 32 MB") otherwise.
bool attachment_bytes(const attachment& a, std::string& data, std::string& error);

/// One gtest_tms::step, with the steps opened inside it.
struct step_record {
  std::string action;
  std::string expected;
  test_status status = test_status::passed;  // passed, failed or skipped
  std::int64_t start_ms = 0;                 // Unix epoch milliseconds
  std::int64_t duration_ms = 0;
  std::vector<step_record> children;
};

struct test_result {
  std::string id;           // UUID, the Qase idempotency key; the same on every retry
  std::string suite;        // gtest test_suite_name(), e.g. "Inst/Suite/0"
  std::string name;         // gtest name(), e.g. "Works/2"
  std::string value_param;  // printed value parameter, empty if none
  std::string type_param;   // type name, empty if none
  // Another instance of this typed suite has the same type name (Types<int, double, int>): only
  // the typed index in `suite` tells them apart, so it must reach the TMS.
  bool type_repeats = false;
  std::string file;  // where the test is defined
  int line = 0;
  test_status status = test_status::passed;
  std::int64_t start_ms = 0;                                    // Unix epoch milliseconds
  std::int64_t duration_ms = 0;                                 // gtest elapsed_time()
  std::vector<failure_part> parts;                              // failures and skips, in order
  std::vector<std::int64_t> qase_ids;                           // from RecordProperty("qase_id", "7,8")
  std::vector<std::pair<std::string, std::string>> properties;  // every other RecordProperty
  int iteration = 0;                                            // --gtest_repeat iteration, 0-based
  // Not a test of its own: a failure of SetUpTestSuite/TearDownTestSuite or of a global
  // Environment that no test result carries (QA Sphere turns these into run log entries).
  bool run_level = false;
  std::vector<attachment> attachments;  // at most test_context's cap, in attach order
  std::vector<step_record> steps;       // top-level steps, in order
  std::vector<std::string> notes;       // reporter notes for the result message ("2 attachments dropped ...")

  std::string full_name() const { return suite + "." + name; }
  std::int64_t end_ms() const { return saturating_add(start_ms, duration_ms); }
};

}  // namespace gtest_tms::detail

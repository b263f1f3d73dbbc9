#pragma once
// gtest-tms-reporter: live reporting of GoogleTest results to Qase and QA Sphere.
// This header is C++17 and pulls in nothing but GoogleTest.

#include <gtest/gtest.h>

#include <gtest_tms/version.hpp>

#include <string>

#if defined(_WIN32)
#define GTEST_TMS_API
#else
#define GTEST_TMS_API __attribute__((visibility("default")))
#endif

namespace gtest_tms {

/// Appends the reporter to GoogleTest's listeners when the environment (or `qase.config.json`,
/// `.qaspherecli`) enables Qase or QA Sphere reporting. Call it after `testing::InitGoogleTest`.
/// Returns true when a listener was appended. When reporting is off it does nothing at all:
/// no thread, no output, no network. Never throws.
GTEST_TMS_API bool register_listener() noexcept;

/// Attaches a file to the running test (Qase: uploaded and linked to the result). The file is read
/// when the result is sent, so it must still exist then. At most 20 attachments per test and 32 MB
/// per file; extra or larger ones are dropped with a note in the result message.
/// A no-op when reporting is off or no test is running. Never throws.
/// Without this header: `RecordProperty("gtest_tms.attach", "a.log;b.png")` (read when the test
/// ends; gtest keeps only the last value recorded under one key, so list several paths with ';').
GTEST_TMS_API void attach(const std::string& path) noexcept;

/// Attaches in-memory content under a file name (e.g. a log excerpt). Same rules as above.
GTEST_TMS_API void attach(const std::string& name, const std::string& content,
                          const std::string& mime = "text/plain") noexcept;

/// A test step, open for the lifetime of the object (RAII); steps opened inside it nest.
/// Its status is failed when a gtest failure (or an escaping exception) happened while it was open,
/// skipped when the test skipped inside it, else passed. Only steps on the thread running the test
/// are recorded; elsewhere, with reporting off, or outside a test it does nothing. Never throws.
class GTEST_TMS_API step {
 public:
  explicit step(std::string action, std::string expected = {}) noexcept;
  ~step();
  step(const step&) = delete;
  step& operator=(const step&) = delete;
  step(step&&) = delete;
  step& operator=(step&&) = delete;

 private:
  long id_ = -1;            // index in the current test's step list, -1 when not recorded
  unsigned long test_ = 0;  // which test opened it (a step must not close another test's step)
};

}  // namespace gtest_tms

#define GTEST_TMS_DETAIL_CAT2(a, b) a##b
#define GTEST_TMS_DETAIL_CAT(a, b) GTEST_TMS_DETAIL_CAT2(a, b)

/// Opens a step until the end of the enclosing scope: `GTEST_TMS_STEP("log in");`
/// or `GTEST_TMS_STEP("log in", "the home page is shown");`.
#define GTEST_TMS_STEP(...) \
  ::gtest_tms::step GTEST_TMS_DETAIL_CAT(gtest_tms_step_, __COUNTER__) { __VA_ARGS__ }

#define GTEST_TMS_DETAIL_STR(...) #__VA_ARGS__

/// Links the running test to Qase case ids: `QASE_ID(7);` or `QASE_ID(8, 9);` inside a test body.
/// Same as `RecordProperty("qase_id", "8,9")`, so the ids also appear in `--gtest_output=xml`.
#define QASE_ID(...) ::testing::Test::RecordProperty("qase_id", GTEST_TMS_DETAIL_STR(__VA_ARGS__))

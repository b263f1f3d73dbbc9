#pragma once
// gtest-tms-reporter: live reporting of GoogleTest results to Qase and QA Sphere.
// This header is C++17 and pulls in nothing but GoogleTest.

#include <gtest/gtest.h>

#include <gtest_tms/version.hpp>

#include <string>
#include <vector>

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

/// Qase metadata of the running test, as the official Qase reporters' `qase.*` API names it. Each
/// call records a RecordProperty key (given with each function), so `--gtest_output=xml` carries it;
/// a test may also record that key itself without this header. Calls take effect only while a test
/// runs with reporting on (otherwise they do nothing), never throw, and QA Sphere ignores them.
namespace qase {
/// The result's title instead of the test name. `qase.title`
GTEST_TMS_API void title(const std::string& title) noexcept;
/// The suite path instead of the gtest suite, root first (QASE_ROOT_SUITE still comes before it).
/// `qase.suite` (levels separated by '\t')
GTEST_TMS_API void suite(const std::vector<std::string>& levels) noexcept;
/// A result field by its Qase name: a system field (`severity`, `priority`, `layer`, `description`,
/// `preconditions`, `postconditions`, ...) or a custom field. `qase.fields.<name>`
GTEST_TMS_API void field(const std::string& name, const std::string& value) noexcept;
/// Tags of the result; calls add to the list. `qase.tags` (comma-separated)
GTEST_TMS_API void tags(const std::vector<std::string>& tags) noexcept;
/// Text put before the failure message in the result's comment. `qase.comment`
GTEST_TMS_API void comment(const std::string& text) noexcept;
/// The test is not reported to Qase at all. `qase.ignore` = `true`
GTEST_TMS_API void ignore() noexcept;
/// The result is muted: it does not change the run's status. `qase.muted` = `true`
GTEST_TMS_API void muted() noexcept;
/// A named parameter; any of them replaces gtest's anonymous `param` (the printed GetParam()).
/// `qase.parameters.<name>`
GTEST_TMS_API void parameter(const std::string& name, const std::string& value) noexcept;
/// Names of parameters (set with parameter()) that form a group. `qase.group_parameters` (comma-separated)
GTEST_TMS_API void group_parameters(const std::vector<std::string>& names) noexcept;
/// Case ids in a named project: those of the configured project (QASE_TESTOPS_PROJECT, any case)
/// count as QASE_ID; other projects' ids are kept with the result (`testops_multi` is not supported
/// yet, so they are not sent). `qase_id.<PROJECT>` ("1,2")
GTEST_TMS_API void ids(const std::string& project, const std::vector<long long>& ids) noexcept;

// Shorthands for the system fields.
inline void severity(const std::string& v) noexcept { field("severity", v); }
inline void priority(const std::string& v) noexcept { field("priority", v); }
inline void layer(const std::string& v) noexcept { field("layer", v); }
inline void description(const std::string& v) noexcept { field("description", v); }
inline void preconditions(const std::string& v) noexcept { field("preconditions", v); }
inline void postconditions(const std::string& v) noexcept { field("postconditions", v); }
}  // namespace qase

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

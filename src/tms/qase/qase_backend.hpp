#pragma once
// Qase TestOps backend: pure mapping from test records to Qase API requests (v1 project/run
// endpoints, v2 bulk results) and from responses to one-line messages. No sockets here.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/test_result.hpp"
#include "delivery/backend.hpp"

namespace gtest_tms::detail {

/// Returns Unix epoch milliseconds ("now"); injectable so run titles and start times are testable.
using epoch_ms_clock = std::function<std::int64_t()>;

std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c);
std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c,
                                           epoch_ms_clock now);

// --- mapping helpers (also usable by the report fallback and the CLI) -------------------------

/// Size caps applied to every string sent to Qase (bytes, after UTF-8 repair).
inline constexpr std::size_t qase_title_cap = 1024;
inline constexpr std::size_t qase_message_cap = 64 * 1024;
inline constexpr std::size_t qase_stacktrace_cap = 256 * 1024;

struct qase_mapping_options {
  std::string root_suite;  // QASE_ROOT_SUITE, first element of the suite path when set
  bool defect = false;     // QASE_TESTOPS_DEFECT: sent on failed/invalid results
  std::string thread;      // execution.thread; omitted when empty
};

/// Suite path, root to leaf. gtest's "Inst/Suite" (TEST_P) and "Inst/Suite/0" (TYPED_TEST_P)
/// become ["Suite", "Inst"]: the fixture groups its instantiations. The typed index ("/0") is
/// dropped because the type itself goes into params, so all types of one test share one case.
std::vector<std::string> qase_suite_path(const test_result& r, const std::string& root_suite);

/// Parameters sent as `params`: {"param": value_param} and/or {"type": type_param}.
std::vector<std::pair<std::string, std::string>> qase_params(const test_result& r);

/// The JS reporters' signature: ids joined by '-', then the suite path and the test name
/// (trimmed, split on "::" and TAB, whitespace runs -> '_', lower-cased), then {'key':'value'}
/// per parameter, all joined by "::".
std::string qase_signature(const std::vector<std::int64_t>& ids, const std::vector<std::string>& suite_path,
                           const std::string& name,
                           const std::vector<std::pair<std::string, std::string>>& params);

/// One v2 ResultCreate object, serialized (steps as "classic" steps; notes appended to message).

std::string qase_result_json(const test_result& r, const qase_mapping_options& o);

/// The same ResultCreate JSON with "attachments": hashes (unchanged when hashes is empty).
std::string qase_with_attachments(const std::string& result_json, const std::vector<std::string>& hashes);

/// Qase attachment upload limits (v1/paths/attachment.code.yaml).
inline constexpr std::size_t qase_max_files_per_upload = 20;
inline constexpr std::size_t qase_max_upload_bytes = 128u * 1024 * 1024;

/// The telemetry headers (no secrets): "reporter=gtest-tms-reporter;reporter_version=…;framework=googletest"
/// and "os=linux;arch=x86_64;cpp=gcc-12.2.0".
std::string qase_x_client();
std::string qase_x_platform();

}  // namespace gtest_tms::detail

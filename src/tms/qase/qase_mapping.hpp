#pragma once
// Record -> Qase v2 ResultCreate (specs/qase/testops-api/v2/schemas/ResultCreate.yaml): pure
// functions, shared by the backend, the local report (QASE_MODE=report and the fallback) and the CLI.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "model/test_result.hpp"

namespace gtest_tms::detail {

/// Size caps applied to every string sent to Qase (bytes, after UTF-8 repair).
inline constexpr std::size_t qase_title_cap = 1024;
inline constexpr std::size_t qase_message_cap = std::size_t{64} * 1024;
inline constexpr std::size_t qase_stacktrace_cap = std::size_t{256} * 1024;

struct qase_mapping_options {
  std::string root_suite;  // QASE_ROOT_SUITE, first element of the suite path when set
  bool defect = false;     // QASE_TESTOPS_DEFECT: sent on failed/invalid results
  std::string thread;      // execution.thread; omitted when empty
  std::string project;     // QASE_TESTOPS_PROJECT: picks the `qase_id.<PROJECT>` ids (tms/qase/qase_metadata.hpp)
  std::vector<std::pair<test_status, test_status>> status_mapping;  // QASE_STATUS_MAPPING
  std::vector<std::string> exclude_params;                          // QASE_EXCLUDE_PARAMS
};

/// The status Qase gets for `s`: QASE_STATUS_MAPPING applied (the first pair for `s` wins).
test_status qase_sent_status(test_status s, const qase_mapping_options& o) noexcept;

/// Suite path, root to leaf: the root suite, then `qase.suite`'s levels when the test set them,
/// else the gtest suite. gtest's "Inst/Suite" (TEST_P) and "Inst/Suite/0" (TYPED_TEST_P)
/// become ["Suite", "Inst"]: the fixture groups its instantiations. The typed index ("/0") is
/// dropped because the type itself goes into params, so all types of one test share one case.
std::vector<std::string> qase_suite_path(const test_result& r, const std::string& root_suite);

/// Parameters sent as `params`: {"param": value_param} (or, instead, the test's named
/// `qase.parameters.<name>`) and/or {"type": type_param}, plus {"instance": typed index} when the
/// type name repeats in its typed suite.
/// Names in `exclude` (QASE_EXCLUDE_PARAMS) are left out.
std::vector<std::pair<std::string, std::string>> qase_params(const test_result& r,
                                                             const std::vector<std::string>& exclude = {});

/// The JS reporters' signature: ids joined by '-', then the suite path and the test name
/// (trimmed, split on "::" and TAB, whitespace runs -> '_', lower-cased), then {'key':'value'}
/// per parameter, all joined by "::".
std::string qase_signature(const std::vector<std::int64_t>& ids, const std::vector<std::string>& suite_path,
                           const std::string& name, const std::vector<std::pair<std::string, std::string>>& params);

struct qase_metadata;

/// The case ids a result is sent with (`testops_ids`): its QASE_ID ids, then the `qase_id.<PROJECT>`
/// ids of `project` (none when it is empty), positive and each once, in that order.
std::vector<std::int64_t> qase_case_ids(const test_result& r, const qase_metadata& m, const std::string& project);

/// One v2 ResultCreate object (steps as "classic" steps; notes appended to message), with the
/// test's Qase metadata (title, suite, fields, tags, comment, parameters and groups, muted, ids).
boost::json::object qase_result_json(const test_result& r, const qase_mapping_options& o);

/// Links uploaded attachments: sets "attachments" to the hashes (nothing when hashes is empty).
void qase_set_attachments(boost::json::object& result, const std::vector<std::string>& hashes);

}  // namespace gtest_tms::detail

#pragma once
// Test results -> QA Sphere results (POST /project/{code}/run/{id}/result/batch items): pure
// functions, no protocol. The instances of one test case (parameterized / typed instances,
// several TESTs with one marker) fold into one result with an HTML comment listing them.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "model/test_result.hpp"

namespace gtest_tms::detail {

/// Largest result comment sent (bytes); longer texts are cut per instance with a marker.
inline constexpr std::size_t qasphere_max_comment_bytes = std::size_t{64} * 1024;

/// QA Sphere's status; uncaught exceptions and tests that could not run are "blocked", like the
/// CLI maps JUnit <error>.
const char* qasphere_status(test_status s) noexcept;

/// Whether a case's instances are reported as one test rather than a list: one instance arrived
/// and no more were planned (`expected`: the instances planned in this iteration).
bool qasphere_single_instance(std::size_t instances, std::size_t expected) noexcept;

/// The HTML comment for the instances of one case: the single instance in detail, or a summary
/// line and one list entry per instance (saying when fewer than `expected` finished). At most
/// qasphere_max_comment_bytes, escaped and cleaned.
std::string qasphere_comment(const std::vector<std::shared_ptr<const test_result>>& instances, std::size_t expected);

/// One batch item {"tcaseId", "status", "comment", "timeTaken"} for the instances of one case:
/// the worst status (failed > blocked > skipped > passed), the summed time and qasphere_comment().
/// `instances` is not empty.
boost::json::object qasphere_result_json(std::string_view tcase_id,
                                         const std::vector<std::shared_ptr<const test_result>>& instances,
                                         std::size_t expected);

/// A run log entry {"comment"} (POST /project/{code}/run/{id}/log) for a failure no test case
/// carries: a failing TearDownTestSuite / global Environment (`run_level`), or a failed GoogleTest
/// check such as an uninstantiated TEST_P. Its name, status and failure text, as a result comment.
boost::json::object qasphere_run_log_json(const test_result& r);

/// Whether `r` goes to the run log rather than to a test case: run_level, or a failure of GoogleTest's
/// own checks (suite GoogleTestVerification), which no marker can name.
bool qasphere_run_log_worthy(const test_result& r) noexcept;

/// What a result's comment says of a flaky test, as qas-cli notes one: it passed in attempt `attempts`
/// after the earlier attempts failed (--gtest_repeat, or `ctest --repeat until-pass` under the
/// collector). `single`: the comment is this instance's alone, so the test's name is not repeated.
std::string qasphere_flaky_html(const test_result& r, int attempts, bool single);

/// What a result's comment says of its attachments: links to the uploaded files (POST /file/batch,
/// as qas-cli's --attachments) as `<h4>Attachments:</h4><ul>...`, at most `budget` bytes, and a note
/// of those not uploaded and why. Empty when there is nothing to say.
std::string qasphere_attachments_html(const std::vector<std::pair<std::string, std::string>>& links,
                                      std::size_t not_uploaded, const std::string& why, std::size_t budget);

}  // namespace gtest_tms::detail

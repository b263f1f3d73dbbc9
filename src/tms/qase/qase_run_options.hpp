#pragma once
// What a created Qase run carries besides its title: the configurations of
// QASE_TESTOPS_CONFIGURATIONS_VALUES (v1/paths/configurations.yaml, configuration.group.yaml) and the
// Jira issue of QASE_TESTOPS_RUN_EXTERNAL_LINK (v1/paths/runs_external_issue.yaml). Pure functions; the
// backend sends the requests.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace gtest_tms::detail {

/// One wanted "group=value" pair against the project's configurations.
struct qase_configuration_match {
  std::string group, value;
  std::int64_t id = 0;        // the configuration, when it exists
  std::int64_t group_id = 0;  // the group, when it exists (the configuration may not)
};

/// Matches `wanted` against a ConfigurationListResponse body (titles compared exactly, as the official
/// reporters do; the first group and configuration of a title win). nullopt when the body is not
/// {"status": true, "result": {"entities": [...]}}.
std::optional<std::vector<qase_configuration_match>> match_qase_configurations(
    const std::string& list_body, const std::vector<std::pair<std::string, std::string>>& wanted);

/// The id of an IdResponse {"status": true, "result": {"id": N}}; 0 when absent.
std::int64_t qase_id_response(const std::string& body);

/// RunExternalIssues: {"type": type, "links": [{"run_id": run, "external_issue": issue}]}.
std::string qase_external_issue_body(const std::string& type, const std::string& issue, std::int64_t run_id);

}  // namespace gtest_tms::detail

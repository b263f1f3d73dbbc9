// What a created Qase run carries besides its title (tms/qase/qase_run_options): the configurations
// matched against the project's list, and the Jira link's request body.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tms/qase/qase_run_options.hpp"

namespace gtest_tms::detail {
namespace {

using pairs = std::vector<std::pair<std::string, std::string>>;

// ConfigurationListResponse as the spec shapes it: groups with their configurations.
const std::string list = R"({"status": true, "result": {"total": 3, "filtered": 3, "count": 3, "entities": [
  {"id": 1, "title": "os", "configurations": [{"id": 2, "title": "linux"}, {"id": 3, "title": "Linux"}]},
  {"id": 4, "title": "browser", "configurations": []},
  {"id": 5, "title": "os", "configurations": [{"id": 6, "title": "mac"}]}]}})";

TEST(QaseConfigurations, MatchesTitlesExactlyAcrossGroupsOfOneTitle) {
  const auto m = match_qase_configurations(
      list,
      pairs{{"os", "linux"}, {"os", "Linux"}, {"os", "mac"}, {"browser", "none"}, {"arch", "x86"}, {"os", "windows"}});
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->size(), 6u);
  EXPECT_EQ((*m)[0].id, 2);  // case matters, as in the official reporters
  EXPECT_EQ((*m)[1].id, 3);
  EXPECT_EQ((*m)[2].id, 6);  // found in the second group called "os"
  EXPECT_EQ((*m)[2].group_id, 5);
  EXPECT_EQ((*m)[3].id, 0);  // the group exists, the configuration does not
  EXPECT_EQ((*m)[3].group_id, 4);
  EXPECT_EQ((*m)[4].id, 0);  // neither exists
  EXPECT_EQ((*m)[4].group_id, 0);
  EXPECT_EQ((*m)[5].id, 0);  // missing: made in the first "os" group
  EXPECT_EQ((*m)[5].group_id, 1);
}

TEST(QaseConfigurations, AnUnexpectedListIsNoMatchAtAll) {
  for (const char* body : {"", "not json", R"({"status": false})", R"({"status": true, "result": {}})",
                           R"({"status": true, "result": {"entities": {}}})", "[]"})
    EXPECT_FALSE(match_qase_configurations(body, pairs{{"os", "linux"}}).has_value()) << body;
  // Entries of the wrong shape are skipped, not trusted.
  const auto m = match_qase_configurations(
      R"({"status": true, "result": {"entities": [7, {"title": "os"}, {"id": "1", "title": "os"},
          {"id": 9, "title": "os", "configurations": [{"id": -1, "title": "linux"}, {"title": "linux"}]}]}})",
      pairs{{"os", "linux"}});
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)[0].id, 0);
  EXPECT_EQ((*m)[0].group_id, 9);
}

TEST(QaseConfigurations, IdResponse) {
  EXPECT_EQ(qase_id_response(R"({"status": true, "result": {"id": 42}})"), 42);
  EXPECT_EQ(qase_id_response(R"({"status": false, "result": {"id": 42}})"), 0);
  EXPECT_EQ(qase_id_response(R"({"status": true, "result": {"id": 0}})"), 0);
  EXPECT_EQ(qase_id_response(R"({"status": true, "result": {"id": "42"}})"), 0);
  EXPECT_EQ(qase_id_response("<html>"), 0);
}

TEST(QaseExternalIssue, BodyAsTheSpecDefinesIt) {
  EXPECT_EQ(boost::json::parse(qase_external_issue_body("jira-cloud", "PROJ-1", 17)),
            boost::json::parse(R"({"type": "jira-cloud", "links": [{"run_id": 17, "external_issue": "PROJ-1"}]})"));
}

}  // namespace
}  // namespace gtest_tms::detail

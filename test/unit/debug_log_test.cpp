// QASE_DEBUG lines: what one request attempt prints, and that secrets never do.
#include "delivery/debug_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gtest_tms::detail {
namespace {

using namespace std::chrono_literals;

http_request post(std::string body) {
  http_request r;
  r.method = "POST";
  r.url = "https://api.qase.test/v2/DEMO/run/7/results?x=1";
  r.headers.push_back({"Token", "s3cr3t-token-value"});
  r.body = std::move(body);
  return r;
}

http_response answer(int status, std::string body) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(DebugLog, OneLineWithPathStatusTimeSizesAndWhatFollows) {
  debug_log_options o;
  o.level = 1;
  const auto lines =
      debug_lines("Qase", post("{\"results\":[]}"), answer(429, "{}"), 23ms, "retry 1 of 3 in 1000 ms", o);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(
      lines[0],
      "debug: Qase POST /v2/DEMO/run/7/results -> 429 in 23 ms, sent 14 B, received 2 B; retry 1 of 3 in 1000 ms");
}

TEST(DebugLog, OffPrintsNothingAndLevelTwoAddsBodiesCutAndMasked) {
  debug_log_options o;
  EXPECT_TRUE(debug_lines("Qase", post("x"), answer(200, "y"), 1ms, "done", o).empty());
  o.level = 2;
  o.secrets = {"s3cr3t-token-value"};
  const std::string big(debug_body_cap * 2, 'a');
  const auto lines =
      debug_lines("QA Sphere", post(big), answer(200, "echo s3cr3t-token-value\n\x1b[31mred"), 5ms, "done", o);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_LE(lines[1].size(), debug_body_cap + 64);
  EXPECT_NE(lines[1].find("[truncated]"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2], "  response body: echo *** red");
  for (const auto& l : lines) EXPECT_EQ(l.find("s3cr3t"), std::string::npos) << l;
}

TEST(DebugLog, TransportErrorsAreNamed) {
  debug_log_options o;
  o.level = 1;
  http_response r;
  r.error = net_error::timeout;
  r.error_message = "api.qase.test: no answer within 30 s";
  const auto lines = debug_lines("Qase", post(""), r, 30000ms, "no retry left", o);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("-> error: api.qase.test: no answer within 30 s in 30000 ms"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace gtest_tms::detail

#pragma once
// Internal to the emulator: the mutable state behind tms_emulator and the helpers the Qase and
// QA Sphere route files share. Everything here runs under emulator_state::mutex.

#include <chrono>
#include <climits>
#include <cstdint>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "emulator/emulator.hpp"

namespace gtest_tms::detail::emulator {

struct qase_run_state {
  std::int64_t id = 0;
  std::string project;
  std::string title;
  boost::json::object request;
  bool completed = false;
  bool is_public = false;
  int complete_count = 0;
  std::vector<boost::json::object> results;
  std::set<std::string> result_ids;   // idempotency keys seen in this run
  boost::json::value external_issue;  // POST .../external-issue: {"type", "link"} or null
};

// A project's configuration group and its configurations (v1/schemas/ConfigurationGroup.yaml).
struct qase_configuration_group {
  std::int64_t id = 0;
  std::string title;
  std::vector<std::pair<std::int64_t, std::string>> configurations;  // id, title
};

struct qasphere_run_state {
  std::int64_t id = 0;
  std::string project;
  std::string title;
  std::string description;
  std::string type;
  std::string milestone;  // milestoneId as text, "" without one: title uniqueness scope
  std::vector<std::string> tcase_ids;
  bool closed = false;
  int close_count = 0;
  std::vector<qasphere_result_view> results;
  std::vector<std::string> logs;
};

struct emulator_state {
  explicit emulator_state(emulator_options o) : options(std::move(o)) {}

  emulator_options options;
  mutable std::mutex mutex;
  std::vector<recorded_request> log;
  std::ofstream log_file;
  std::string log_file_error;  // first write error, reported once on stderr
  std::vector<std::uint64_t> rule_counts;
  std::vector<std::regex> rule_regexes;

  std::map<std::int64_t, qase_run_state> qase_runs;
  std::int64_t next_qase_run = 1;
  std::vector<std::string> qase_attachments;
  std::map<std::string, std::vector<qase_configuration_group>> qase_configurations;  // by project
  std::int64_t next_qase_configuration = 1;  // ids of groups and configurations alike

  std::map<std::int64_t, qasphere_run_state> qasphere_runs;
  std::int64_t next_qasphere_run = 1;
  std::int64_t next_qasphere_result = 1;
  std::int64_t next_qasphere_log = 1;
  std::vector<qasphere_file_view> qasphere_files;  // POST /file/batch, in upload order
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> rate_windows;
  std::deque<std::chrono::steady_clock::time_point> qase_window;  // the whole workspace
  std::vector<std::string> qasphere_auth_schemes;                 // scheme word only, never the key

  std::chrono::steady_clock::time_point now() const {
    return options.clock ? options.clock() : std::chrono::steady_clock::now();
  }
};

/// One request being handled: the parsed target and body, and the log entry to fill.
struct request_context {
  const server_request& request;
  std::string method;
  std::string path;                   // decoded path, no query
  std::vector<std::string> segments;  // decoded path segments
  std::multimap<std::string, std::string> query;
  boost::json::value body;  // null when empty or not JSON
  bool body_empty = true;
  bool body_is_json = false;
  std::string body_error;  // JSON parse error, if any
  recorded_request& record;
};

/// Case-insensitive header lookup; empty when absent.
std::string find_header(const server_request& request, const std::string& name);
server_reply json_reply(int status, boost::json::value body);
/// Laravel-style validation reply: {"message": first, "errors": {field: [msg]}}.
server_reply laravel_422(const std::vector<std::pair<std::string, std::string>>& errors);

server_reply handle_qase(emulator_state& state, request_context& ctx);
server_reply handle_qasphere(emulator_state& state, request_context& ctx);

inline bool json_is_integer(const boost::json::value& v) {
  return v.is_int64() || (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX));
}
inline std::int64_t json_integer(const boost::json::value& v) {
  return v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
}
/// Characters (code points) of UTF-8 text, as the services count for length limits.
inline std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}
/// Parses a decimal run id from a path segment; nullopt for anything else.
std::optional<std::int64_t> parse_id(const std::string& segment);

/// Lower-case hex SHA-256 of the bytes.
std::string sha256_hex(const std::string& data);

}  // namespace gtest_tms::detail::emulator

// The common section: GTEST_TMS_* settings of this reporter and the usual proxy variables, read
// whichever backend is on.

#include "config/config_sections.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_readers.hpp"
#include "config/config_sources.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

// The proxy variables in order of precedence, as curl takes them.
constexpr const char* proxy_keys[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
constexpr const char* no_proxy_keys[] = {"no_proxy", "NO_PROXY"};
constexpr const char* common_keys[] = {
    "GTEST_TMS_DEADLINE", "GTEST_TMS_BATCH_AGE_MS", "GTEST_TMS_STRICT",        "GTEST_TMS_REPORT_DISABLED",
    "GTEST_TMS_RUN_FILE", "GTEST_TMS_CA_FILE",      "GTEST_TMS_JOURNAL_DIR",   "GTEST_TMS_TERM_GRACE",
    "QASE_DEBUG",         "GTEST_TMS_SPOOL",        "GTEST_TMS_VERIFIED_RUNS",
};
// The official reporters' logging options, in the environment or qase.config.json (logging.*).
constexpr file_key logging_keys[] = {
    {"QASE_LOGGING_CONSOLE", "logging.console", false},
    {"QASE_LOGGING_FILE", "logging.file", false},
};

// A bad common value does not switch reporting off: the default is kept, and the message says which.
std::string default_kept(std::string_view key) {
  const common_settings defaults;
  if (key == "GTEST_TMS_DEADLINE") {
    return "using the default of " + std::to_string(defaults.flush_deadline.count() / 1000) + " s";
  }
  if (key == "GTEST_TMS_TERM_GRACE") {
    return "using the default of " + std::to_string(defaults.term_grace.count() / 1000) + " s";
  }
  if (key == "QASE_DEBUG") return "no request log";
  if (key == "GTEST_TMS_BATCH_AGE_MS")
    return "using the default of " + std::to_string(defaults.batch_age.count()) + " ms";
  if (key == "GTEST_TMS_REPORT_DISABLED") return "disabled tests are reported as skipped";
  if (key == "QASE_LOGGING_CONSOLE") return "using the default (true)";
  return "using the default (false)";  // GTEST_TMS_STRICT
}

}  // namespace

void read_common_section(const env_lookup& env, const std::string& cwd, settings& out) {
  std::vector<std::string> file_errors;  // the Qase section reports those of qase.config.json
  raw_map raw = read_qase_config(cwd, logging_keys, file_errors);
  for (const file_key& key : logging_keys) read_env_into(env, key.env, raw);
  for (const char* name : common_keys) read_env_into(env, name, raw);
  for (const char* name : proxy_keys) read_env_into(env, name, raw);
  for (const char* name : no_proxy_keys) read_env_into(env, name, raw);
  const key_reader keys(raw, [&out](std::string_view key, std::string problem) {
    out.errors.push_back(std::move(problem) + "; " + default_kept(key));
  });
  auto& c = out.common;
  if (const auto t = keys.read_seconds("GTEST_TMS_DEADLINE", 86400)) c.flush_deadline = *t;
  if (const auto t = keys.read_seconds("GTEST_TMS_TERM_GRACE", 86400)) c.term_grace = *t;
  // A signal's flush never takes longer than the normal teardown may.
  c.term_grace = std::min(c.term_grace, c.flush_deadline);
  if (const auto n = keys.read_int("GTEST_TMS_BATCH_AGE_MS", 0, 3'600'000, "milliseconds")) {
    c.batch_age = std::chrono::milliseconds(*n);
  }
  if (const auto b = keys.read_bool("GTEST_TMS_STRICT")) c.strict = *b;
  // The official reporters' boolean, plus a second level with the bodies.
  if (const auto d = keys.read_choice<int>("QASE_DEBUG", {{"false", 0},
                                                          {"off", 0},
                                                          {"no", 0},
                                                          {"0", 0},
                                                          {"true", 1},
                                                          {"on", 1},
                                                          {"yes", 1},
                                                          {"1", 1},
                                                          {"2", 2},
                                                          {"bodies", 2}}))
    c.debug = *d;
  if (const auto b = keys.read_bool("GTEST_TMS_REPORT_DISABLED")) c.report_disabled = *b;
  if (const auto b = keys.read_bool("QASE_LOGGING_CONSOLE")) c.logging_console = *b;
  if (const auto b = keys.read_bool("QASE_LOGGING_FILE")) c.logging_file = *b;
  if (auto v = keys.read_text("GTEST_TMS_RUN_FILE")) c.run_file = std::move(*v);
  if (auto v = keys.read_text("GTEST_TMS_SPOOL")) c.spool_dir = std::move(*v);
  if (auto v = keys.read_text("GTEST_TMS_VERIFIED_RUNS")) c.verified_runs = std::move(*v);
  if (auto v = keys.read_text("GTEST_TMS_CA_FILE")) c.ca_file = std::move(*v);
  if (auto v = keys.read_text("GTEST_TMS_JOURNAL_DIR")) c.journal_dir = std::move(*v);
  for (const char* name : proxy_keys) {
    if (auto v = keys.read_text(name)) {
      c.proxy_url = std::move(*v);
      break;
    }
  }
  for (const char* name : no_proxy_keys) {
    if (auto v = keys.read_text(name)) {
      c.no_proxy = std::move(*v);
      break;
    }
  }
}

bool run_verified(const common_settings& c, std::string_view system_tag, std::int64_t run_id) {
  const std::string want = std::string(system_tag) + ":" + std::to_string(run_id);
  std::string_view list = c.verified_runs;
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (trim(list.substr(0, comma)) == want) return true;
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return false;
}

}  // namespace gtest_tms::detail

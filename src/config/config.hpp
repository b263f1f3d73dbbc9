#pragma once
// Validated settings from the environment and files. The official Qase reporters' QASE_* names and
// qase.config.json keys; the QA Sphere CLI's QAS_TOKEN / QAS_URL and .qaspherecli. Env wins over files.
// Inside src/config: config.cpp (load_settings, the policy), config_sources.hpp + source_*.cpp (where
// values come from), config_readers.* (the typed readers), config_sections.hpp + *_keys.cpp (one key
// table and section per system: Qase, QA Sphere, common), urls.cpp (host and URL rules).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/test_result.hpp"  // test_status

namespace gtest_tms::detail {

/// Looks up one environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
env_lookup process_env();

enum class qase_mode { off, testops, report };
/// The local report's files: JSON, or JSON wrapped as `qaseJsonp(...);` (for a page opened from disk).
enum class qase_report_format { json, jsonp };

struct qase_settings {
  qase_mode mode = qase_mode::off;
  qase_mode fallback = qase_mode::off;  // off or report
  std::string environment;              // QASE_ENVIRONMENT (slug)
  std::string root_suite;               // QASE_ROOT_SUITE
  std::string token;                    // QASE_TESTOPS_API_TOKEN (secret)
  std::string api_host = "qase.io";     // as configured
  std::string api_base;                 // derived: e.g. https://api.qase.io (v1/v2 appended by the backend)
  std::string app_base;                 // derived: e.g. https://app.qase.io (for links)
  std::string project;                  // QASE_TESTOPS_PROJECT
  std::optional<std::int64_t> run_id;   // QASE_TESTOPS_RUN_ID: join, never create
  std::string run_title;
  std::string run_description;
  std::optional<bool> run_complete;  // unset: complete only a run this process created
  std::vector<std::string> run_tags;
  std::optional<std::int64_t> plan_id;
  int batch_size = 200;  // 1..200
  bool defect = false;
  std::string report_path = "./build/qase-report";              // QASE_REPORT_CONNECTION_PATH
  qase_report_format report_format = qase_report_format::json;  // QASE_REPORT_CONNECTION_FORMAT
  std::vector<std::string> status_filter;                       // QASE_TESTOPS_STATUS_FILTER: statuses not sent
  // QASE_STATUS_MAPPING ("invalid=failed"): status -> status sent, applied before the status filter.
  std::vector<std::pair<test_status, test_status>> status_mapping;
  bool upload_attachments = true;            // QASE_TESTOPS_UPLOAD_ATTACHMENTS
  std::vector<std::string> exclude_params;   // QASE_EXCLUDE_PARAMS: parameter names not sent
  std::optional<std::int64_t> milestone_id;  // QASE_TESTOPS_RUN_MILESTONE: milestone of a created run
  bool show_public_report_link = false;      // QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK
  // QASE_TESTOPS_CONFIGURATIONS_VALUES ("os=linux,browser=none"): group title -> configuration title,
  // looked up (and with ..._CREATE_IF_NOT_EXISTS created) and set on a created run.
  std::vector<std::pair<std::string, std::string>> configurations;
  bool create_configurations = false;  // QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS
  // QASE_TESTOPS_RUN_EXTERNAL_LINK: a Jira issue linked to a created run (runs_external_issue.yaml).
  std::string external_link_type;  // "jira-cloud" or "jira-server" (the API's words); "" = none
  std::string external_link;       // the issue, e.g. "PROJ-1"
};

enum class qas_auth_scheme { api_key, bearer };

struct qasphere_settings {
  bool enabled = false;  // QAS_TOKEN and QAS_URL both set and QAS_MODE != off
  std::string token;     // QAS_TOKEN (secret)
  std::string url;       // QAS_URL normalised: https://tenant.eu1.qasphere.com (no trailing /)
  std::string project;   // QAS_PROJECT_CODE; else taken from the first marker found
  qas_auth_scheme auth = qas_auth_scheme::api_key;  // QAS_AUTH_SCHEME=ApiKey|Bearer
  std::optional<std::int64_t> run_id;               // QAS_RUN_ID (or from QAS_RUN_URL)
  std::string run_title;                            // QAS_RUN_NAME
  std::string run_description;                      // QAS_RUN_DESCRIPTION
  std::optional<bool> close_run;                    // QAS_CLOSE_RUN; unset: close only a run we created
  int batch_size = 500;                             // QAS_BATCH_SIZE
  bool upload_attachments = true;                   // QAS_UPLOAD_ATTACHMENTS: POST /file/batch, linked in the comment
  std::string ci_job_url;  // the CI job's page (GitHub Actions, GitLab, Jenkins, ...), a `links` entry on results
};

struct common_settings {
  // The transport and the pipeline are shared by both backends, so these apply to both; they keep the
  // official Qase names (env and qase.config.json) and are read with the Qase settings.
  std::chrono::milliseconds request_timeout{30000};  // QASE_TESTOPS_API_TIMEOUT (seconds)
  int retries = 3;                                   // QASE_TESTOPS_API_RETRIES
  std::chrono::milliseconds flush_deadline{30000};   // GTEST_TMS_DEADLINE (seconds): teardown bound
  std::chrono::milliseconds term_grace{5000};        // GTEST_TMS_TERM_GRACE (seconds): flush on SIGTERM/SIGINT
  int debug = 0;                // QASE_DEBUG: 1 (true) one line per request on stderr, 2 also the bodies (both systems)
  bool logging_console = true;  // QASE_LOGGING_CONSOLE: the reporter's lines on stderr
  bool logging_file = false;    // QASE_LOGGING_FILE: the same lines in logs/gtest-tms-<pid>.log
  std::chrono::milliseconds batch_age{450};  // GTEST_TMS_BATCH_AGE_MS, see pipeline_options
  bool strict = false;                       // GTEST_TMS_STRICT: reporting failure fails the binary
  std::string ca_file;                       // GTEST_TMS_CA_FILE (besides SSL_CERT_FILE)
  std::string journal_dir;                   // GTEST_TMS_JOURNAL_DIR
  std::string proxy_url;                     // https_proxy / HTTPS_PROXY / all_proxy / ALL_PROXY
  std::string no_proxy;                      // no_proxy / NO_PROXY
  bool report_disabled = true;               // GTEST_TMS_REPORT_DISABLED: DISABLED_ tests as skipped
  std::string run_file;                      // GTEST_TMS_RUN_FILE: run ids written by `gtest-tms run create`
  std::string spool_dir;                     // GTEST_TMS_SPOOL (from the run file): the collector's folder
  /// GTEST_TMS_VERIFIED_RUNS (from the run file): "qase:5,qasphere:7", runs `run create` just checked;
  /// joining one of them skips the project and run checks (one request fewer per process and system).
  std::string verified_runs;
};

/// Whether `run create` checked this system's run `run_id` (common_settings::verified_runs).
bool run_verified(const common_settings& c, std::string_view system_tag, std::int64_t run_id);

struct settings {
  qase_settings qase;
  qasphere_settings qasphere;
  common_settings common;
  std::vector<std::string> errors;    // one line each, naming the variable; a backend with an error is off
  std::vector<std::string> warnings;  // one line each

  bool qase_enabled() const { return qase.mode != qase_mode::off; }
  bool any_enabled() const { return qase_enabled() || qasphere.enabled; }
};

/// Reads env (and qase.config.json in `cwd`, .qaspherecli from `cwd` up to the root).
/// Never throws; problems land in settings::errors and switch the affected backend off.
settings load_settings(const env_lookup& env, const std::string& cwd);

/// Applies the official reporters' host rule: "qase.io" -> https://api.qase.io,
/// "example.qase.io" -> https://api-example.qase.io, "H" -> https://api-H, "https://h:p/x/" -> https://h:p/x.
/// Returns false (with a message) for http:// or malformed values.
bool derive_qase_hosts(const std::string& host, std::string& api_base, std::string& app_base, std::string& error);

/// Parses true/false/1/0/yes/no/y/n/on/off (any case); nullopt otherwise.
std::optional<bool> parse_bool(const std::string& value);

/// QAS_URL normalisation: surrounding blanks and trailing '/' stripped, "https://" prepended when there
/// is no scheme, scheme and host lower-cased. Returns false with a message fragment (e.g. "uses http://,
/// but https is required") for http://, other schemes, user info, query, fragment or a bad host/port.
bool normalize_qasphere_url(const std::string& value, std::string& url, std::string& error);

/// Local shape check of a QA Sphere API key: {tenantID}.{apiKeyID}.{apiKeyToken}, three non-empty
/// parts, printable ASCII without spaces (it goes into a header).
bool valid_qasphere_key(std::string_view key);

/// QAS_RUN_URL: https://host[:port]/.../project/CODE/run/ID[/...] -> CODE and ID. The host and port must
/// equal those of `base_url` (the normalised QAS_URL), as the CLI requires. False with a message fragment.
bool parse_qasphere_run_url(const std::string& run_url, const std::string& base_url, std::string& project,
                            std::int64_t& run_id, std::string& error);

/// dotenv lines as in .qaspherecli: KEY=value, '#' comments, optional `export `, optional single or
/// double quotes (no escapes), " #" starts a comment in an unquoted value. Keys in file order.
std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text);

}  // namespace gtest_tms::detail

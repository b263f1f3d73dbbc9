#pragma once
// The local TMS emulator: Qase TestOps (v1/v2) and QA Sphere (public v0) semantics in plain C++.
// `tms_emulator::handle` turns one parsed HTTP request into a reply; it needs no sockets, so the
// API rules are unit-tested directly, and `start_https_server` (https_server.hpp) serves it over
// TLS for the network tests and for `gtest-tms emulator serve`.
//
// What it checks is what the reporter must get right: authentication forms, body validation
// (mirroring the error shapes observed from the real services), the 200-result bulk limit,
// idempotency by result id, results to completed/closed runs, QA Sphere run membership and the
// 20 req/s per-key limit. Every request is recorded (never its auth headers) so that tests and
// `gtest-tms emulator show` can say exactly what arrived. A fault plan injects 429/5xx replies,
// resets, hangs and latency at chosen occurrences.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "emulator/https_server.hpp"

namespace gtest_tms::detail::emulator {

// ------------------------------------------------------------------------------------------------
// Fault plan
//
// Compact syntax (CLI --faults, env GTEST_TMS_EMULATOR_FAULTS): rules separated by ';', each
//   MATCHER[#OCCURRENCE]=ACTION[,ACTION...]
// MATCHER     `*` (any request) | `METHOD PATH_REGEX` | `PATH_REGEX`; METHOD may be `*`. The regex
//             (ECMAScript) must match the whole path, query excluded, e.g. `POST /v2/.*/results`.
// OCCURRENCE  counted per rule among the requests its matcher matches, from 1:
//             `#N` only the N-th, `#N..M` the N-th to M-th, `#N..` the N-th and all later ones.
//             Without `#` every matching request.
// ACTION      `STATUS[:retry-after=S][:body=TEXT]` an HTTP status answered instead of processing the
//             request (JSON error body in the style of the API; 502/504 answer an HTML gateway page;
//             `body=` replaces it with TEXT, the rest of the action, served as text/html when it
//             starts with '<': `200:body=not json` is a 2xx that confirms nothing),
//             `latency:MS` extra delay before the reply,
//             `reset_before_read` close as soon as the request head arrives (not processed),
//             `reset_after_read|hang|trickle|garbage|truncated` the request IS processed, then its
//             reply is lost or mangled in transit (models "sent, but the answer never came back"),
//             `close` answer normally with Connection: close.
// Several rules may select one request: their latencies add up; the first status or fault wins.
// Example:
//   POST /v2/.*/results#1=429:retry-after=1;POST /v2/.*/results#2=503;POST /v1/run/.*#1=502;
//   POST /v2/.*/results#3=reset_after_read;*=latency:20
// ------------------------------------------------------------------------------------------------

struct fault_rule {
  std::string method = "*";       // "*" or an HTTP method
  std::string path_regex = ".*";  // whole-path match
  std::uint64_t first = 0;        // 0: every occurrence; else 1-based first occurrence
  std::uint64_t last = 0;         // inclusive; 0 with first > 0: no upper bound
  int status = 0;                 // injected HTTP status, 0: none
  int retry_after = -1;           // seconds for Retry-After, -1: no header
  server_fault fault = server_fault::none;
  bool close = false;
  std::chrono::milliseconds latency{0};
  std::string body;                               // with status: this reply body instead of the API-style default
  std::string content_type = "application/json";  // of `body`
  std::string text;                               // the rule as written (for messages)
};

struct fault_plan {
  std::vector<fault_rule> rules;
};

/// Parses the compact syntax above. Throws std::invalid_argument with one clear line on errors.
fault_plan parse_fault_plan(const std::string& spec);
/// The name used in the syntax and in the request log ("reset_after_read", ...; "none").
const char* fault_name(server_fault f) noexcept;

// ------------------------------------------------------------------------------------------------
// Options
// ------------------------------------------------------------------------------------------------

enum class key_state { active, suspended, wrong_domain };

struct qasphere_key {
  std::string key;  // {tenantID}.{apiKeyID}.{apiKeyToken}
  key_state state = key_state::active;
};

struct qasphere_tcase {
  std::string id;  // opaque, e.g. "tc0001"
  int seq = 0;     // marker BD-001 <-> seq 1
  std::string title;
  std::string legacy_id;
  int folder_id = 1;
  std::string priority = "medium";
};

struct qasphere_project {
  std::string code;  // e.g. "BD"
  std::string title;
  std::vector<qasphere_tcase> tcases;
  /// id -> index into tcases, rebuilt when it no longer matches (tests edit tcases directly); a
  /// linear search per result made the emulator the bottleneck of 5,000-result benches.
  mutable std::unordered_map<std::string, std::size_t> id_index;
};

/// Project "BD" with cases seq 1..count, ids "tc0001"..., titles "Test case 001"...
qasphere_project default_qasphere_project(const std::string& code = "BD", int count = 20);

struct emulator_options {
  std::vector<std::string> qase_tokens;            // accepted "Token" values
  std::vector<std::string> qase_projects{"DEMO"};  // existing project codes
  std::vector<std::string> qase_extra_statuses;    // workspace custom result statuses
  std::vector<qasphere_key> qasphere_keys;
  std::vector<qasphere_project> qasphere_projects{default_qasphere_project()};
  bool qasphere_rate_limit = true;  // 20 requests per 1 s window per key
  int qasphere_rate_limit_per_second = 20;
  /// Qase's limit is per workspace (all tokens together) per minute; 0: off (the default, since
  /// the real limit is plan-dependent). When on, every Qase reply carries X-RateLimit-* headers
  /// and a request over the limit gets 429 with Retry-After in seconds.
  int qase_rate_limit_per_minute = 0;
  std::chrono::milliseconds latency{0};  // added to every reply
  fault_plan faults;
  std::string log_path;  // JSON lines; empty: in memory only
  /// Time source for the rate limiter (tests replace it).
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// ------------------------------------------------------------------------------------------------
// Recording
// ------------------------------------------------------------------------------------------------

/// One request as recorded (auth headers are never kept). JSON-lines form:
/// {"seq":n,"system":"qase"|"qasphere"|"other","method","path","status":<int or fault name>,
///  "injected":true (only when the fault plan chose the reply),"body":<JSON or null>,
///  "error":"<message of a non-2xx reply>" (only then),"effects":{...} (only when state changed)}
/// effects: "run_created":{"id","title","project"}, "run_completed":id / "run_closed":id (also for repeated,
/// rejected attempts, with "repeat":true), "results":[{"run","name","status","duplicate"}],
/// "log":{"run"}, "attachments":n.
struct recorded_request {
  std::uint64_t seq = 0;
  std::string system;
  std::string method;
  std::string path;
  int status = 0;     // HTTP status of the reply; 0 when a fault left no reply
  std::string fault;  // fault name when a fault was applied, else empty
  bool injected = false;
  boost::json::value body;  // parsed request body, or null
  std::string error;
  boost::json::object effects;
  /// When the request was handled (ms since the Unix epoch): what a result's "time to visible"
  /// is measured against (bench/visible_bench.sh).
  std::int64_t received_ms = 0;
};

boost::json::object to_json(const recorded_request& r);
recorded_request recorded_request_from_json(const boost::json::object& o);
/// Reads a requests.jsonl file. Throws std::runtime_error naming the file and line on errors.
std::vector<recorded_request> load_request_log(const std::string& path);
/// Human summary of a request log; deterministic (sorted), so it can be compared in tests.
std::string summarize(const std::vector<recorded_request>& log);

// ------------------------------------------------------------------------------------------------
// State views for tests
// ------------------------------------------------------------------------------------------------

struct qase_run_view {
  std::int64_t id = 0;
  std::string project;
  std::string title;
  boost::json::object request;  // the RunCreate body as received
  bool completed = false;
  int complete_count = 0;             // every complete request, also repeated ones
  boost::json::value external_issue;  // {"id": issue, "type": ...} once linked, else null
};

struct qasphere_result_view {
  std::int64_t id = 0;
  std::string tcase_id;
  std::string status;
  std::string comment;
  std::optional<std::int64_t> time_taken;
  std::vector<std::pair<std::string, std::string>> links;  // {text, url}
};

struct qasphere_run_view {
  std::int64_t id = 0;
  std::string project;
  std::string title;
  std::string type;
  std::vector<std::string> tcase_ids;  // membership, in project order
  bool closed = false;
  int close_count = 0;
  std::vector<std::string> logs;
};

/// A file uploaded to QA Sphere's POST /file/batch.
struct qasphere_file_view {
  std::string id;
  std::string filename;
  std::string sha256;  // of the bytes received
};

struct emulator_state;  // emulator_state.hpp (internal)

class tms_emulator {
 public:
  explicit tms_emulator(emulator_options options);
  ~tms_emulator();
  tms_emulator(const tms_emulator&) = delete;
  tms_emulator& operator=(const tms_emulator&) = delete;

  /// Thread-safe. Never throws: internal errors become a 500 reply.
  server_reply handle(const server_request& request);
  /// A handler for start_https_server that forwards to handle(); `this` must outlive the server.
  https_server::handler as_handler();

  std::vector<recorded_request> requests() const;
  std::string summary() const;

  std::vector<qase_run_view> qase_runs() const;
  /// Stored results of a Qase run (duplicates by "id" removed), in arrival order.
  std::vector<boost::json::object> qase_results(std::int64_t run_id) const;
  int qase_complete_count(std::int64_t run_id) const;
  /// Attachment hashes uploaded so far.
  std::vector<std::string> qase_attachments() const;

  std::vector<qasphere_run_view> qasphere_runs() const;
  std::vector<qasphere_file_view> qasphere_files() const;
  std::vector<qasphere_result_view> qasphere_results(std::int64_t run_id) const;
  int qasphere_close_count(std::int64_t run_id) const;
  /// The Authorization scheme of every QA Sphere request, in arrival order, as spelled ("ApiKey",
  /// "Bearer"); "" when the header was missing or had another form. Never the key itself.
  std::vector<std::string> qasphere_auth_schemes() const;

 private:
  std::unique_ptr<emulator_state> state_;
};

}  // namespace gtest_tms::detail::emulator

// Settings from qase.config.json, .qaspherecli and the environment.
//
// Policy (one place, so that every backend behaves the same):
// - Empty (or all-blank) values count as unset, so `QASE_X=` in a CI file means "not configured".
// - A backend is validated only when it is switched on (QASE_MODE testops/report; QA Sphere credentials
//   found and QAS_MODE not off); people who do not use a backend never see errors about it.
// - Any invalid value of a switched-on backend is an error line that ends in "...; Qase reporting is off"
//   (or QA Sphere) and switches that backend off. This includes booleans: a misspelt
//   QASE_TESTOPS_RUN_COMPLETE must not silently complete (or leave open) a run shared by shards.
// - QASE_MODE=testops without token or project is an error and Qase reporting is off, even with
//   QASE_FALLBACK=report: the fallback is for a TestOps that fails at run time, not for a
//   configuration that never worked (the simplest correct reading of the official reporters).
// - QASE_MODE=testops_multi (JS/Python: several projects) is treated as testops with a warning.
// - qase.config.json that cannot be read or parsed, or has a JSON type that cannot be a setting
//   (an object where a string belongs): one error line starting "qase.config.json: ", the bad part is
//   ignored and the environment still applies. Scalars are accepted in any JSON type ("200" or 200)
//   and then validated like the environment's strings.
// - Common settings (GTEST_TMS_*) with a bad value: an error line, the default is kept.
// - Messages are full sentences naming the variable; values of tokens and keys are never shown, and
//   other values are shown cleaned and shortened.

#include "config/config.hpp"

#include <boost/json.hpp>
#include <boost/url.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>

#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view config_file_name = "qase.config.json";
constexpr std::string_view qaspherecli_name = ".qaspherecli";
constexpr std::uintmax_t max_config_file_bytes = 1 << 20;
constexpr std::string_view qase_off = "; Qase reporting is off";
constexpr std::string_view qas_off = "; QA Sphere reporting is off";

// A value for one setting and where it came from, e.g. "QASE_TESTOPS_PROJECT" or
// "qase.config.json: testops.project" (used verbatim as the start of messages).
struct raw_value {
  std::string text;
  std::optional<std::vector<std::string>> list;  // a JSON array of strings (tags, status filter)
  std::string origin;
};
using raw_map = std::map<std::string, raw_value, std::less<>>;

bool is_secret_name(std::string_view name) {
  return name == "QASE_TESTOPS_API_TOKEN" || name == "QAS_TOKEN";
}

// A value as it may appear in a message: printable, short, valid UTF-8.
std::string shown(std::string_view v) {
  std::string s = clean_text(v, 64);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return s;
}

std::string with_value(const raw_value& r) {
  // Secrets never appear in messages, whatever the message is about.
  return is_secret_name(r.origin) || r.origin.find(".token") != std::string::npos ? r.origin
                                                                                 : r.origin + "=" + shown(r.text);
}

std::optional<std::string> read_env(const env_lookup& env, const std::string& name) {
  if (!env) return std::nullopt;
  std::optional<std::string> v;
  try {
    v = env(name);
  } catch (...) {
    return std::nullopt;
  }
  if (!v) return std::nullopt;
  const auto t = trim(*v);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

// --- numbers -----------------------------------------------------------------------------

enum class num_kind { ok, not_a_number };
struct integer {
  num_kind kind = num_kind::not_a_number;
  std::int64_t value = 0;  // saturated at +-INT64_MAX
};

// Optional sign and decimal digits; "1.0"/"1e3"/"0x10" are not integers. Never overflows.
integer parse_integer(std::string_view s) {
  integer r;
  s = trim(s);
  bool neg = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    neg = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return r;
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return r;
    const int d = c - '0';
    v = v > (max - d) / 10 ? max : v * 10 + d;
  }
  r.kind = num_kind::ok;
  r.value = neg ? -v : v;
  return r;
}

// Positive decimal seconds ("30", "0.5") up to `max_seconds`, as milliseconds (at least 1 ms).
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view s, double max_seconds) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) return std::nullopt;  // no signs, exponents, inf, nan
  }
  // from_chars: locale-independent (a test program may have called setlocale).
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (!std::isfinite(v) || v <= 0 || v > max_seconds) return std::nullopt;
  const auto ms = static_cast<std::int64_t>(std::llround(v * 1000.0));
  return std::chrono::milliseconds(ms < 1 ? 1 : ms);
}

bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_code(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (const char c : s) {
    if (!is_alnum(c)) return false;
  }
  return true;
}

// Something that can go into an HTTP header unchanged: printable ASCII, no spaces.
bool header_safe_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

// --- hosts and URLs ------------------------------------------------------------------------

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  int v = 0;
  for (const char c : p) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  return v >= 1 && v <= 65535;
}

// A DNS-style name: labels of [A-Za-z0-9_-] that start and end with a letter or digit, separated by
// single dots.
bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  std::size_t start = 0;
  while (start <= h.size()) {
    const auto dot = h.find('.', start);
    const std::string_view label = h.substr(start, dot == std::string_view::npos ? h.npos : dot - start);
    if (label.empty() || label.size() > 63 || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-' && c != '_') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Parses an absolute https URL usable as an API base: host, optional port, optional path; no
// userinfo, query or fragment. `s` must already be without trailing slashes.
bool parse_https_base(std::string_view s, std::string& normalised, std::string& host_out, std::string& port_out,
                      std::string& error) {
  const auto sep = s.find("://");
  const std::string scheme = to_lower(s.substr(0, sep));
  if (scheme == "http") {
    error = "uses http://, but https is required";
    return false;
  }
  if (scheme != "https") {
    error = "must be a host name or an https:// URL";
    return false;
  }
  std::string text = "https" + std::string(s.substr(sep));
  const auto r = boost::urls::parse_absolute_uri(text);
  if (!r) {
    error = "is not a valid URL";
    return false;
  }
  const boost::urls::url_view u = *r;
  if (u.has_userinfo()) {
    error = "must not contain a user name or password";
    return false;
  }
  if (u.has_query() || u.has_fragment()) {
    error = "must not contain a query or fragment";
    return false;
  }
  const std::string host = to_lower(std::string_view(u.encoded_host().data(), u.encoded_host().size()));
  const auto type = u.host_type();
  const bool host_ok = (type == boost::urls::host_type::name && valid_host_name(host)) ||
                       type == boost::urls::host_type::ipv4 || type == boost::urls::host_type::ipv6;
  if (!host_ok) {
    error = "has no valid host name";
    return false;
  }
  const std::string port(u.port());
  if (u.has_port() && !valid_port(port)) {
    error = "has an invalid port";
    return false;
  }
  const std::string path(u.encoded_path());
  normalised = "https://" + host + (u.has_port() ? ":" + port : std::string()) + path;
  host_out = host;
  port_out = u.has_port() ? port : std::string();
  return true;
}

std::string strip_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

// --- qase.config.json --------------------------------------------------------------------

struct file_key {
  const char* env;
  const char* path;  // dotted
  bool list;
};

// The QASE_* settings this reporter reads and their qase.config.json keys (qase-api.md §10.2/10.3).
constexpr file_key qase_keys[] = {
    {"QASE_MODE", "mode", false},
    {"QASE_FALLBACK", "fallback", false},
    {"QASE_DEBUG", "debug", false},
    {"QASE_ENVIRONMENT", "environment", false},
    {"QASE_ROOT_SUITE", "rootSuite", false},
    // JS/Java key first; the Python key is read when the JS/Java one is absent.
    {"QASE_REPORT_CONNECTION_PATH", "report.connection.local.path", false},
    {"QASE_REPORT_CONNECTION_PATH", "report.connection.path", false},
    {"QASE_TESTOPS_API_TOKEN", "testops.api.token", false},
    {"QASE_TESTOPS_API_HOST", "testops.api.host", false},
    {"QASE_TESTOPS_API_TIMEOUT", "testops.api.timeout", false},
    {"QASE_TESTOPS_API_RETRIES", "testops.api.retries", false},
    {"QASE_TESTOPS_PROJECT", "testops.project", false},
    {"QASE_TESTOPS_RUN_ID", "testops.run.id", false},
    {"QASE_TESTOPS_RUN_TITLE", "testops.run.title", false},
    {"QASE_TESTOPS_RUN_DESCRIPTION", "testops.run.description", false},
    {"QASE_TESTOPS_RUN_COMPLETE", "testops.run.complete", false},
    {"QASE_TESTOPS_RUN_TAGS", "testops.run.tags", true},
    {"QASE_TESTOPS_PLAN_ID", "testops.plan.id", false},
    {"QASE_TESTOPS_BATCH_SIZE", "testops.batch.size", false},
    {"QASE_TESTOPS_DEFECT", "testops.defect", false},
    {"QASE_TESTOPS_STATUS_FILTER", "testops.statusFilter", true},
};

const char* json_kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::string: return "a string";
    case json::kind::bool_: return "a boolean";
    case json::kind::null: return "null";
    default: return "a number";
  }
}

// A JSON scalar as setting text; nullopt for objects/arrays.
std::optional<std::string> scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::bool_: return std::string(v.get_bool() ? "true" : "false");
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::double_: {
      const double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
        return std::to_string(static_cast<std::int64_t>(d));
      char buf[64];
      const auto res = std::to_chars(buf, buf + sizeof buf, d);
      return res.ec == std::errc() ? std::string(buf, res.ptr) : std::string("NaN");
    }
    default: return std::nullopt;
  }
}

std::string line_and_column(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col) + ", offset " + std::to_string(offset);
}

// Reads qase.config.json into `raw` (file values only). Problems go to `errors`.
void read_qase_config(const std::string& cwd, raw_map& raw, std::vector<std::string>& errors) {
  const std::string prefix = std::string(config_file_name) + ": ";
  std::error_code ec;
  const fs::path path = fs::path(cwd.empty() ? "." : cwd) / std::string(config_file_name);
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return;  // no file: nothing to do
  if (!fs::is_regular_file(st)) {
    errors.push_back(prefix + "is not a regular file; it is ignored");
    return;
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > max_config_file_bytes) {
    errors.push_back(prefix + "is larger than 1 MiB or its size cannot be read; it is ignored");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    errors.push_back(prefix + "cannot be read; it is ignored");
    return;
  }

  json::stream_parser parser;
  boost::system::error_code jec;
  const std::size_t used = parser.write_some(text.data(), text.size(), jec);
  if (!jec && used < text.size() && parser.done()) {
    // write_some stops after one complete value; anything but whitespace after it is an error.
    if (!trim(std::string_view(text).substr(used)).empty()) {
      errors.push_back(prefix + "unexpected text after the JSON value (" + line_and_column(text, used) +
                       "); the file is ignored");
      return;
    }
  }
  if (!jec) parser.finish(jec);
  if (jec) {
    errors.push_back(prefix + "invalid JSON: " + jec.message() + " (" + line_and_column(text, used) +
                     "); the file is ignored");
    return;
  }
  const json::value root = parser.release();
  if (!root.is_object()) {
    errors.push_back(prefix + "the top level must be an object, not " + json_kind(root) + "; the file is ignored");
    return;
  }

  std::vector<std::string> reported_containers;
  for (const file_key& key : qase_keys) {
    if (raw.count(key.env) != 0) continue;  // an earlier key for the same setting won
    const json::value* node = &root;
    std::string walked;
    bool found = true;
    const std::string_view full(key.path);
    std::size_t start = 0;
    while (true) {
      const auto dot = full.find('.', start);
      const std::string_view part = full.substr(start, dot == std::string_view::npos ? full.npos : dot - start);
      if (!node->is_object()) {
        // A container of the wrong type, e.g. "testops": 5. Report it once.
        bool seen = false;
        for (const auto& c : reported_containers) seen = seen || c == walked;
        if (!seen) {
          reported_containers.push_back(walked);
          errors.push_back(prefix + walked + " must be an object, not " + json_kind(*node) +
                           "; the settings under it are ignored");
        }
        found = false;
        break;
      }
      const auto* next = node->as_object().if_contains(part);
      if (next == nullptr) {
        found = false;
        break;
      }
      node = next;
      walked = std::string(full.substr(0, dot == std::string_view::npos ? full.size() : dot));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (!found || node->is_null()) continue;

    raw_value rv;
    rv.origin = prefix + key.path;
    if (key.list && node->is_array()) {
      std::vector<std::string> items;
      bool ok = true;
      for (const auto& item : node->as_array()) {
        auto t = scalar_text(item);
        if (!t || item.is_bool()) {
          ok = false;
          break;
        }
        const auto tt = trim(*t);
        if (!tt.empty()) items.emplace_back(tt);
      }
      if (!ok) {
        errors.push_back(prefix + key.path + " must be an array of strings; it is ignored");
        continue;
      }
      rv.list = std::move(items);
      raw[key.env] = std::move(rv);
      continue;
    }
    auto t = scalar_text(*node);
    if (!t) {
      errors.push_back(prefix + key.path + " must be " + (key.list ? "an array of strings or a string" : "a scalar") +
                       ", not " + json_kind(*node) + "; it is ignored");
      continue;
    }
    const auto tt = trim(*t);
    if (tt.empty()) continue;
    rv.text = std::string(tt);
    raw[key.env] = std::move(rv);
  }
}

// --- the Qase section --------------------------------------------------------------------

class qase_reader {
 public:
  qase_reader(const raw_map& raw, settings& out) : raw_(raw), out_(out), q_(out.qase) {}

  void run() {
    const raw_value* mode = get("QASE_MODE");
    if (mode == nullptr) return;  // default off
    const std::string m = to_lower(mode->text);
    if (m == "off") return;
    if (m == "testops") {
      q_.mode = qase_mode::testops;
    } else if (m == "testops_multi") {
      q_.mode = qase_mode::testops;
      out_.warnings.push_back(with_value(*mode) +
                              " (several projects) is not supported; reporting to QASE_TESTOPS_PROJECT only, as "
                              "in testops mode");
    } else if (m == "report") {
      q_.mode = qase_mode::report;
    } else {
      fail(with_value(*mode) + " is not one of off, testops, report");
      finish();
      return;
    }

    if (const auto* v = get("QASE_FALLBACK")) {
      const std::string f = to_lower(v->text);
      if (f == "off") {
        q_.fallback = qase_mode::off;
      } else if (f == "report") {
        q_.fallback = qase_mode::report;
      } else {
        fail(with_value(*v) + " is not one of off, report");
      }
    }
    boolean("QASE_DEBUG", q_.debug);
    text("QASE_ENVIRONMENT", q_.environment);
    text("QASE_ROOT_SUITE", q_.root_suite);
    text("QASE_REPORT_CONNECTION_PATH", q_.report_path);
    text("QASE_TESTOPS_RUN_TITLE", q_.run_title);
    text("QASE_TESTOPS_RUN_DESCRIPTION", q_.run_description);
    if (const auto* v = get("QASE_TESTOPS_RUN_COMPLETE")) {
      if (auto b = parse_bool(v->text)) {
        q_.run_complete = *b;
      } else {
        fail(bad_bool(*v));
      }
    }
    positive_id("QASE_TESTOPS_RUN_ID", q_.run_id);
    positive_id("QASE_TESTOPS_PLAN_ID", q_.plan_id);
    list("QASE_TESTOPS_RUN_TAGS", q_.run_tags);
    boolean("QASE_TESTOPS_DEFECT", q_.defect);
    batch_size();
    if (const auto* v = get("QASE_TESTOPS_API_TIMEOUT")) {
      if (auto t = parse_seconds(v->text, 3600)) {
        q_.request_timeout = *t;
      } else {
        fail(with_value(*v) + " is not a number of seconds (more than 0, at most 3600)");
      }
    }
    if (const auto* v = get("QASE_TESTOPS_API_RETRIES")) {
      const auto n = parse_integer(v->text);
      if (n.kind != num_kind::ok || n.value < 0 || n.value > 10) {
        fail(with_value(*v) + " is not a whole number from 0 to 10");
      } else {
        q_.retries = static_cast<int>(n.value);
      }
    }
    status_filter();

    if (q_.mode == qase_mode::testops) {
      // Required in testops mode; the token's value never appears in a message.
      const auto* token = get("QASE_TESTOPS_API_TOKEN");
      if (token == nullptr) {
        fail("QASE_TESTOPS_API_TOKEN is not set but QASE_MODE is testops");
      } else if (!header_safe_token(token->text)) {
        fail(token->origin + " contains spaces or control characters");
      } else {
        q_.token = token->text;
      }
      const auto* project = get("QASE_TESTOPS_PROJECT");
      if (project == nullptr) {
        fail("QASE_TESTOPS_PROJECT is not set but QASE_MODE is testops");
      } else if (!valid_code(project->text, 2, 10)) {
        fail(with_value(*project) + " is not a project code (2 to 10 letters or digits)");
      } else {
        q_.project = project->text;
      }
      if (const auto* host = get("QASE_TESTOPS_API_HOST")) q_.api_host = host->text;
      std::string why;
      if (!derive_qase_hosts(q_.api_host, q_.api_base, q_.app_base, why)) {
        const auto* host = get("QASE_TESTOPS_API_HOST");
        fail((host ? with_value(*host) : "QASE_TESTOPS_API_HOST=" + shown(q_.api_host)) + " " + why);
      }
    }
    finish();
  }

 private:
  const raw_value* get(std::string_view name) const {
    const auto it = raw_.find(name);
    return it == raw_.end() ? nullptr : &it->second;
  }

  void fail(std::string message) {
    failed_ = true;
    out_.errors.push_back(std::move(message) + std::string(qase_off));
  }

  void finish() {
    if (!failed_) return;
    q_.mode = qase_mode::off;
    q_.fallback = qase_mode::off;
    q_.token.clear();
  }

  static std::string bad_bool(const raw_value& v) {
    return with_value(v) + " is not a boolean (use true/false, yes/no, on/off or 1/0)";
  }

  void boolean(std::string_view name, bool& target) {
    if (const auto* v = get(name)) {
      if (auto b = parse_bool(v->text)) {
        target = *b;
      } else {
        fail(bad_bool(*v));
      }
    }
  }

  void text(std::string_view name, std::string& target) {
    if (const auto* v = get(name)) target = v->text;
  }

  void list(std::string_view name, std::vector<std::string>& target) {
    if (const auto* v = get(name)) target = v->list ? *v->list : split_list(v->text, ',');
  }

  void positive_id(std::string_view name, std::optional<std::int64_t>& target) {
    if (const auto* v = get(name)) {
      const auto n = parse_integer(v->text);
      if (n.kind != num_kind::ok || n.value < 1 || n.value == std::numeric_limits<std::int64_t>::max()) {
        fail(with_value(*v) + " is not a positive whole number");
      } else {
        target = n.value;
      }
    }
  }

  void batch_size() {
    const auto* v = get("QASE_TESTOPS_BATCH_SIZE");
    if (v == nullptr) return;
    const auto n = parse_integer(v->text);
    if (n.kind != num_kind::ok) {
      fail(with_value(*v) + " is not a whole number (1..200)");
    } else if (n.value < 1) {
      fail(with_value(*v) + " is out of range (1..200)");
    } else if (n.value > 200) {
      q_.batch_size = 200;
      out_.warnings.push_back(with_value(*v) +
                              " is above the Qase limit of 200 results per request; using 200");
    } else {
      q_.batch_size = static_cast<int>(n.value);
    }
  }

  void status_filter() {
    std::vector<std::string> items;
    list("QASE_TESTOPS_STATUS_FILTER", items);
    if (items.empty()) return;
    const auto* v = get("QASE_TESTOPS_STATUS_FILTER");
    for (const auto& item : items) {
      const std::string s = to_lower(item);
      if (s == "passed" || s == "failed" || s == "skipped" || s == "blocked" || s == "invalid") {
        q_.status_filter.push_back(s);
      } else {
        out_.warnings.push_back(v->origin + " contains the unknown status \"" + shown(item) +
                                "\" (known: passed, failed, skipped, blocked, invalid); it is ignored");
      }
    }
  }

  const raw_map& raw_;
  settings& out_;
  qase_settings& q_;
  bool failed_ = false;
};

// --- QA Sphere ---------------------------------------------------------------------------

struct qas_credentials {
  std::string token, url, source;
};

std::optional<std::string> read_small_file(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) return std::nullopt;
  const auto size = fs::file_size(p, ec);
  if (ec || size > 64 * 1024) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// First complete source of QAS_TOKEN + QAS_URL: the environment, then .qaspherecli from cwd upwards.
std::optional<qas_credentials> find_qas_credentials(const env_lookup& env, const std::string& cwd,
                                                    std::vector<std::string>& warnings) {
  auto token = read_env(env, "QAS_TOKEN");
  auto url = read_env(env, "QAS_URL");
  if (token && url) return qas_credentials{*token, *url, "the environment"};
  if (token || url) {
    warnings.push_back(std::string(token ? "QAS_TOKEN" : "QAS_URL") + " is set in the environment but " +
                       (token ? "QAS_URL" : "QAS_TOKEN") + " is not; skipping the environment as a QA Sphere source");
  }
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(cwd.empty() ? "." : cwd), ec);
  if (ec) return std::nullopt;
  dir = dir.lexically_normal();
  for (int depth = 0; depth < 256; ++depth) {
    const fs::path file = dir / std::string(qaspherecli_name);
    if (const auto text = read_small_file(file)) {
      std::optional<std::string> t, u;
      for (auto& [k, v] : parse_dotenv(*text)) {
        const auto value = trim(v);
        if (value.empty()) continue;
        if (k == "QAS_TOKEN") t = std::string(value);
        if (k == "QAS_URL") u = std::string(value);
      }
      if (t && u) return qas_credentials{*t, *u, file.string()};
      if (t || u) {
        warnings.push_back(file.string() + " sets " + (t ? "QAS_TOKEN" : "QAS_URL") + " but not " +
                           (t ? "QAS_URL" : "QAS_TOKEN") + "; skipping it as a QA Sphere source");
      }
    }
    const fs::path parent = dir.parent_path();
    if (parent.empty() || parent == dir) break;
    dir = parent;
  }
  return std::nullopt;
}

void read_qasphere(const env_lookup& env, const std::string& cwd, settings& out) {
  auto& s = out.qasphere;
  s.enabled = false;
  if (const auto mode = read_env(env, "QAS_MODE")) {
    const auto b = parse_bool(*mode);
    if (!b) {
      out.errors.push_back("QAS_MODE=" + shown(*mode) + " is not one of on, off" + std::string(qas_off));
      return;
    }
    if (!*b) return;
  }
  const auto creds = find_qas_credentials(env, cwd, out.warnings);
  if (!creds) {
    if (read_env(env, "QAS_MODE")) {
      out.warnings.push_back("QAS_MODE is on but neither the environment nor a .qaspherecli file provides both "
                             "QAS_TOKEN and QAS_URL; QA Sphere reporting is off");
    }
    return;
  }

  bool failed = false;
  auto fail = [&](std::string m) {
    failed = true;
    out.errors.push_back(std::move(m) + std::string(qas_off));
  };
  const std::string from = creds->source == "the environment" ? std::string() : " (from " + creds->source + ")";
  const bool url_private = creds->url.find('@') != std::string::npos;  // may carry a password
  const std::string url_shown = url_private ? "QAS_URL" : "QAS_URL=" + shown(creds->url);

  std::string why;
  if (!normalize_qasphere_url(creds->url, s.url, why)) fail(url_shown + from + " " + why);
  if (!valid_qasphere_key(creds->token)) {
    fail("QAS_TOKEN" + from + " is not an API key of the form tenantId.keyId.keyToken (three non-empty parts "
         "separated by dots, printable characters only)");
  } else {
    s.token = creds->token;
  }

  if (const auto v = read_env(env, "QAS_AUTH_SCHEME")) {
    if (iequals(*v, "ApiKey")) {
      s.auth = qas_auth_scheme::api_key;
    } else if (iequals(*v, "Bearer")) {
      s.auth = qas_auth_scheme::bearer;
    } else {
      fail("QAS_AUTH_SCHEME=" + shown(*v) + " is not one of ApiKey, Bearer");
    }
  }
  if (const auto v = read_env(env, "QAS_PROJECT_CODE")) {
    if (valid_code(*v, 2, 5)) {
      s.project = *v;
    } else {
      fail("QAS_PROJECT_CODE=" + shown(*v) + " is not a project code (2 to 5 letters or digits)");
    }
  }
  if (const auto v = read_env(env, "QAS_RUN_ID")) {
    const auto n = parse_integer(*v);
    if (n.kind != num_kind::ok || n.value < 1 || n.value == std::numeric_limits<std::int64_t>::max()) {
      fail("QAS_RUN_ID=" + shown(*v) + " is not a positive whole number");
    } else {
      s.run_id = n.value;
    }
  }
  if (const auto v = read_env(env, "QAS_RUN_URL"); v && !s.url.empty()) {
    std::string project;
    std::int64_t run_id = 0;
    if (!parse_qasphere_run_url(*v, s.url, project, run_id, why)) {
      fail("QAS_RUN_URL=" + shown(*v) + " " + why);
    } else if (s.run_id && *s.run_id != run_id) {
      fail("QAS_RUN_URL names run " + std::to_string(run_id) + " but QAS_RUN_ID is " + std::to_string(*s.run_id));
    } else if (!s.project.empty() && !iequals(s.project, project)) {
      fail("QAS_RUN_URL names project " + project + " but QAS_PROJECT_CODE is " + s.project);
    } else {
      s.run_id = run_id;
      if (s.project.empty()) s.project = project;
    }
  }
  if (const auto v = read_env(env, "QAS_RUN_NAME")) s.run_title = *v;
  if (const auto v = read_env(env, "QAS_RUN_DESCRIPTION")) s.run_description = *v;
  auto boolean = [&](const char* name, auto&& store) {
    if (const auto v = read_env(env, name)) {
      if (const auto b = parse_bool(*v)) {
        store(*b);
      } else {
        fail(std::string(name) + "=" + shown(*v) + " is not a boolean (use true/false, yes/no, on/off or 1/0)");
      }
    }
  };
  boolean("QAS_CLOSE_RUN", [&](bool b) { s.close_run = b; });
  boolean("QAS_REPORT_DISABLED", [&](bool b) { s.report_disabled = b; });
  if (const auto v = read_env(env, "QAS_BATCH_SIZE")) {
    const auto n = parse_integer(*v);
    if (n.kind != num_kind::ok || n.value < 1 || n.value > 500) {
      fail("QAS_BATCH_SIZE=" + shown(*v) + " is not a whole number from 1 to 500");
    } else {
      s.batch_size = static_cast<int>(n.value);
    }
  }
  s.enabled = !failed;
  if (failed) s.token.clear();
}

// --- common ------------------------------------------------------------------------------

void read_common(const env_lookup& env, settings& out) {
  auto& c = out.common;
  if (const auto v = read_env(env, "GTEST_TMS_DEADLINE")) {
    if (const auto t = parse_seconds(*v, 86400)) {
      c.flush_deadline = *t;
    } else {
      out.errors.push_back("GTEST_TMS_DEADLINE=" + shown(*v) +
                           " is not a number of seconds (more than 0, at most 86400); using the default of " +
                           std::to_string(c.flush_deadline.count() / 1000) + " s");
    }
  }
  if (const auto v = read_env(env, "GTEST_TMS_TERM_GRACE")) {
    if (const auto t = parse_seconds(*v, 86400)) {
      c.term_grace = *t;
    } else {
      out.errors.push_back("GTEST_TMS_TERM_GRACE=" + shown(*v) +
                           " is not a number of seconds (more than 0, at most 86400); using the default of " +
                           std::to_string(c.term_grace.count() / 1000) + " s");
    }
  }
  // A signal's flush never takes longer than the normal teardown may.
  c.term_grace = std::min(c.term_grace, c.flush_deadline);
  if (const auto v = read_env(env, "GTEST_TMS_BATCH_AGE_MS")) {
    const auto n = parse_integer(*v);
    if (n.kind != num_kind::ok || n.value < 0 || n.value > 3'600'000) {
      out.errors.push_back("GTEST_TMS_BATCH_AGE_MS=" + shown(*v) +
                           " is not a whole number of milliseconds from 0 to 3600000; using the default of " +
                           std::to_string(c.batch_age.count()) + " ms");
    } else {
      c.batch_age = std::chrono::milliseconds(n.value);
    }
  }
  if (const auto v = read_env(env, "GTEST_TMS_STRICT")) {
    if (const auto b = parse_bool(*v)) {
      c.strict = *b;
    } else {
      out.errors.push_back("GTEST_TMS_STRICT=" + shown(*v) +
                           " is not a boolean (use true/false, yes/no, on/off or 1/0); using the default (false)");
    }
  }
  if (const auto v = read_env(env, "GTEST_TMS_REPORT_DISABLED")) {
    if (const auto b = parse_bool(*v)) {
      c.report_disabled = *b;
    } else {
      out.errors.push_back("GTEST_TMS_REPORT_DISABLED=" + shown(*v) +
                           " is not a boolean (true/false/1/0/yes/no/on/off); disabled tests are reported as skipped");
    }
  }
  if (const auto v = read_env(env, "GTEST_TMS_RUN_FILE")) c.run_file = *v;
  if (const auto v = read_env(env, "GTEST_TMS_CA_FILE")) c.ca_file = *v;
  if (const auto v = read_env(env, "GTEST_TMS_JOURNAL_DIR")) c.journal_dir = *v;
  for (const char* name : {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}) {
    if (const auto v = read_env(env, name)) {
      c.proxy_url = *v;
      break;
    }
  }
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    if (const auto v = read_env(env, name)) {
      c.no_proxy = *v;
      break;
    }
  }
}

}  // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<bool> parse_bool(const std::string& value) {
  const std::string v = to_lower(trim(value));
  if (v == "true" || v == "1" || v == "yes" || v == "y" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "n" || v == "off") return false;
  return std::nullopt;
}

bool derive_qase_hosts(const std::string& host_in, std::string& api_base, std::string& app_base,
                       std::string& error) {
  try {
    const std::string_view h = trim(host_in);
    if (h.empty()) {
      error = "is empty";
      return false;
    }
    if (h.find("://") != std::string_view::npos) {
      // A full URL (JS commons >= 2.8): used as is, without a trailing slash.
      std::string normalised, host, port;
      if (!parse_https_base(strip_trailing_slashes(h), normalised, host, port, error)) return false;
      api_base = normalised;
      if (host.rfind("api.", 0) == 0) {
        app_base = "https://app." + normalised.substr(std::string_view("https://api.").size());
      } else {
        app_base = normalised;
      }
      return true;
    }
    // A bare host[:port]: the official "api-" rule.
    const auto r = boost::urls::parse_authority(h);
    if (!r || r->has_userinfo()) {
      error = "is not a host name or an https:// URL";
      return false;
    }
    const std::string host = to_lower(std::string_view(r->encoded_host().data(), r->encoded_host().size()));
    const bool ok = (r->host_type() == boost::urls::host_type::name && valid_host_name(host)) ||
                    r->host_type() == boost::urls::host_type::ipv4;
    if (!ok) {
      error = "is not a host name or an https:// URL";
      return false;
    }
    std::string port;
    if (r->has_port()) {
      port = std::string(r->port());
      if (!valid_port(port)) {
        error = "has an invalid port";
        return false;
      }
      port = ":" + port;
    }
    if (host == "qase.io") {
      api_base = "https://api.qase.io" + port;
      app_base = "https://app.qase.io" + port;
    } else {
      api_base = "https://api-" + host + port;
      app_base = "https://" + host + port;
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

bool normalize_qasphere_url(const std::string& value, std::string& url, std::string& error) {
  try {
    std::string s = strip_trailing_slashes(trim(value));
    if (s.empty()) {
      error = "is empty";
      return false;
    }
    if (s.find("://") == std::string::npos) s = "https://" + s;
    std::string host, port;
    if (!parse_https_base(s, url, host, port, error)) return false;
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

bool valid_qasphere_key(std::string_view key) {
  if (!header_safe_token(key)) return false;
  std::size_t parts = 1, len = 0;
  for (const char c : key) {
    if (c == '.') {
      if (len == 0) return false;
      ++parts;
      len = 0;
    } else {
      ++len;
    }
  }
  return len > 0 && parts == 3;
}

bool parse_qasphere_run_url(const std::string& run_url, const std::string& base_url, std::string& project,
                            std::int64_t& run_id, std::string& error) {
  try {
    std::string s(trim(run_url));
    if (s.find("://") == std::string::npos) s = "https://" + s;
    const auto sep = s.find("://");
    const std::string scheme = to_lower(std::string_view(s).substr(0, sep));
    if (scheme != "https") {
      error = scheme == "http" ? "uses http://, but https is required" : "is not an https:// URL";
      return false;
    }
    const auto r = boost::urls::parse_uri(s);
    const auto b = boost::urls::parse_uri(base_url);
    if (!r || !b) {
      error = "is not a valid URL";
      return false;
    }
    const auto norm_port = [](const boost::urls::url_view& u) {
      return u.has_port() && !u.port().empty() ? std::string(u.port()) : std::string("443");
    };
    if (!iequals(std::string_view(r->encoded_host().data(), r->encoded_host().size()),
                 std::string_view(b->encoded_host().data(), b->encoded_host().size())) ||
        norm_port(*r) != norm_port(*b)) {
      error = "is not on the QA Sphere host of QAS_URL (" + std::string(b->encoded_host()) + ")";
      return false;
    }
    // The CLI's pattern: ^(\S+)/project/(\w+)/run/(\d+)(/\S*)?$ ; the last match wins (greedy prefix).
    std::vector<std::string> segs;
    for (auto seg : r->segments()) segs.emplace_back(seg);
    bool found = false;
    for (std::size_t i = 0; i + 3 < segs.size(); ++i) {
      if (segs[i] != "project" || segs[i + 2] != "run") continue;
      const auto n = parse_integer(segs[i + 3]);
      if (!valid_code(segs[i + 1], 2, 5) || n.kind != num_kind::ok || segs[i + 3].empty() ||
          segs[i + 3].front() == '+' || segs[i + 3].front() == '-' || n.value < 1 ||
          n.value == std::numeric_limits<std::int64_t>::max())
        continue;
      project = segs[i + 1];
      run_id = n.value;
      found = true;
    }
    if (!found) {
      error = "is not a run link of the form https://<tenant>/project/<CODE>/run/<ID>";
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 7) == "export " || line.substr(0, 7) == "export\t") line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) continue;
    std::string v;
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const char q = value.front();
      const auto end = value.find(q, 1);
      if (end == std::string_view::npos) {
        v = std::string(value);  // unbalanced quote: keep the text as written
      } else {
        v = std::string(value.substr(1, end - 1));
      }
    } else {
      // Unquoted: an inline comment starts at " #".
      const auto hash = value.find(" #");
      const auto tab_hash = value.find("\t#");
      const auto cut = std::min(hash, tab_hash);
      v = std::string(trim(value.substr(0, cut)));
    }
    out.emplace_back(std::string(key), std::move(v));
  }
  return out;
}

namespace {

// GTEST_TMS_RUN_FILE names the file `gtest-tms run create --env-file` wrote (CTest fixtures, see
// cmake/GtestTmsHelpers.cmake). Its run ids stand in for QASE_TESTOPS_RUN_ID / QAS_RUN_ID when the
// environment has none; nothing else is taken from it. A missing or empty file means no run was
// created (reporting not configured there): the process then behaves as without the file.
env_lookup with_run_file(const env_lookup& env, std::vector<std::string>& warnings) {
  const auto path = read_env(env, "GTEST_TMS_RUN_FILE");
  if (!path) return env;
  std::ifstream in(*path, std::ios::binary);
  if (!in) return env;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() > 64 * 1024) {
    warnings.push_back("GTEST_TMS_RUN_FILE: " + shown(*path) + " is too large to be a run file; ignored");
    return env;
  }
  std::vector<std::pair<std::string, std::string>> ids;
  for (auto& [k, v] : parse_dotenv(content)) {
    if (k == "QASE_TESTOPS_RUN_ID" || k == "QAS_RUN_ID") ids.emplace_back(k, v);
  }
  if (ids.empty()) return env;
  return [env, ids](const std::string& key) -> std::optional<std::string> {
    if (auto v = env(key)) return v;
    for (const auto& [k, v] : ids)
      if (k == key) return v;
    return std::nullopt;
  };
}

}  // namespace

settings load_settings(const env_lookup& plain_env, const std::string& cwd) {
  settings out;
  try {
    const env_lookup env = with_run_file(plain_env, out.warnings);
    raw_map raw;
    read_qase_config(cwd, raw, out.errors);
    for (const file_key& key : qase_keys) {
      if (auto v = read_env(env, key.env)) raw[key.env] = raw_value{*v, std::nullopt, key.env};
    }
    qase_reader(raw, out).run();
    read_qasphere(env, cwd, out);
    read_common(env, out);
  } catch (const std::exception& e) {
    out.qase = qase_settings{};
    out.qasphere = qasphere_settings{};
    out.errors.push_back(std::string("the reporter configuration could not be loaded (") + e.what() +
                         "); reporting is off");
  } catch (...) {
    out.qase = qase_settings{};
    out.qasphere = qasphere_settings{};
    out.errors.push_back("the reporter configuration could not be loaded; reporting is off");
  }
  return out;
}

}  // namespace gtest_tms::detail

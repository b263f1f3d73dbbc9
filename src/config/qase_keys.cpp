// The Qase section: the QASE_* settings, named and nested as the official Qase reporters name them.

#include "config/config_sections.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "config/config_readers.hpp"
#include "config/config_sources.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

constexpr std::string_view qase_off = "; Qase reporting is off";

// QASE_TESTOPS_RUN_EXTERNAL_LINK as the JS reporter reads it: {"type": "...", "link": "..."}.
bool external_link_json(const std::string& text, std::string& type, std::string& link) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const auto* t = v.get_object().if_contains("type");
  const auto* l = v.get_object().if_contains("link");
  if (t == nullptr || !t->is_string() || l == nullptr || !l->is_string()) return false;
  type = std::string(trim(std::string_view(t->get_string())));
  link = std::string(trim(std::string_view(l->get_string())));
  return true;
}

// The QASE_* settings this reporter reads and their qase.config.json keys (qase-api.md §10.2/10.3).
constexpr file_key qase_keys[] = {
    {"QASE_MODE", "mode", false},
    {"QASE_FALLBACK", "fallback", false},
    {"QASE_ENVIRONMENT", "environment", false},
    {"QASE_ROOT_SUITE", "rootSuite", false},
    // JS/Java key first; the Python key is read when the JS/Java one is absent.
    {"QASE_REPORT_CONNECTION_PATH", "report.connection.local.path", false},
    {"QASE_REPORT_CONNECTION_PATH", "report.connection.path", false},
    {"QASE_REPORT_CONNECTION_FORMAT", "report.connection.local.format", false},
    {"QASE_REPORT_CONNECTION_FORMAT", "report.connection.format", false},
    {"QASE_TESTOPS_API_TOKEN", "testops.api.token", false},
    {"QASE_TESTOPS_API_HOST", "testops.api.host", false},
    {"QASE_TESTOPS_API_TIMEOUT", "testops.api.timeout", false},  // -> common_settings::request_timeout
    {"QASE_TESTOPS_API_RETRIES", "testops.api.retries", false},  // -> common_settings::retries
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
    {"QASE_STATUS_MAPPING", "statusMapping", true},  // in the file an object {"invalid": "failed"}
    {"QASE_TESTOPS_UPLOAD_ATTACHMENTS", "testops.uploadAttachments", false},
    {"QASE_EXCLUDE_PARAMS", "excludeParams", true},
    {"QASE_TESTOPS_RUN_MILESTONE", "testops.run.milestone", false},  // ours, as qasectl's --milestone
    {"QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK", "testops.showPublicReportLink", false},
    // In the file an array of {"name", "value"} objects; in the environment "group=value,group2=value2".
    {"QASE_TESTOPS_CONFIGURATIONS_VALUES", "testops.configurations.values", true},
    {"QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS", "testops.configurations.createIfNotExists", false},
    // JS: the file's object {"type", "link"} or the same as JSON in the environment; Python: the pair
    // ..._TYPE and ..._URL; Java: ..._TYPE and the link itself in QASE_TESTOPS_RUN_EXTERNAL_LINK.
    {"QASE_TESTOPS_RUN_EXTERNAL_LINK", "testops.run.externalLink", true},
    {"QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE", "testops.run.externalLinkType", false},
    {"QASE_TESTOPS_RUN_EXTERNAL_LINK_URL", "testops.run.externalLinkUrl", false},
};

// QASE_REPORT_CONNECTION_FORMAT, or the environment's shorter QASE_REPORT_FORMAT.
constexpr const char* report_format_alias = "QASE_REPORT_FORMAT";

std::optional<qase_report_format> read_report_format(const key_reader& keys) {
  for (const char* key : {"QASE_REPORT_CONNECTION_FORMAT", report_format_alias}) {
    if (keys.get(key) == nullptr) continue;
    return keys.read_choice<qase_report_format>(
        key, {{"json", qase_report_format::json}, {"jsonp", qase_report_format::jsonp}});
  }
  return std::nullopt;
}

// Nothing is validated before QASE_MODE switches Qase on; then every bad value is an error that
// switches it off again (a misspelt QASE_TESTOPS_RUN_COMPLETE must not silently complete, or leave
// open, a run shared by shards).
class qase_section {
 public:
  qase_section(const raw_map& raw, settings& out)
      : out_(out), q_(out.qase), keys_(raw, [this](std::string_view, std::string problem) { fail(problem); }) {}

  void read() {
    if (!read_mode()) return;
    if (const auto f =
            keys_.read_choice<qase_mode>("QASE_FALLBACK", {{"off", qase_mode::off}, {"report", qase_mode::report}})) {
      q_.fallback = *f;
    }
    if (auto v = keys_.read_text("QASE_ENVIRONMENT")) q_.environment = std::move(*v);
    if (auto v = keys_.read_text("QASE_ROOT_SUITE")) q_.root_suite = std::move(*v);
    if (auto v = keys_.read_text("QASE_REPORT_CONNECTION_PATH")) q_.report_path = std::move(*v);
    if (const auto f = read_report_format(keys_)) q_.report_format = *f;
    if (auto v = keys_.read_text("QASE_TESTOPS_RUN_TITLE")) q_.run_title = std::move(*v);
    if (auto v = keys_.read_text("QASE_TESTOPS_RUN_DESCRIPTION")) q_.run_description = std::move(*v);
    if (const auto b = keys_.read_bool("QASE_TESTOPS_RUN_COMPLETE")) q_.run_complete = *b;
    if (const auto id = keys_.read_id("QASE_TESTOPS_RUN_ID")) q_.run_id = *id;
    if (const auto id = keys_.read_id("QASE_TESTOPS_PLAN_ID")) q_.plan_id = *id;
    if (auto tags = keys_.read_list("QASE_TESTOPS_RUN_TAGS")) q_.run_tags = std::move(*tags);
    if (const auto b = keys_.read_bool("QASE_TESTOPS_DEFECT")) q_.defect = *b;
    read_batch_size();
    if (const auto t = keys_.read_seconds("QASE_TESTOPS_API_TIMEOUT", 3600)) out_.common.request_timeout = *t;
    if (const auto n = keys_.read_int("QASE_TESTOPS_API_RETRIES", 0, 10)) out_.common.retries = static_cast<int>(*n);
    read_status_mapping();
    read_status_filter();
    if (const auto b = keys_.read_bool("QASE_TESTOPS_UPLOAD_ATTACHMENTS")) q_.upload_attachments = *b;
    if (auto names = keys_.read_list("QASE_EXCLUDE_PARAMS")) q_.exclude_params = std::move(*names);
    if (const auto id = keys_.read_id("QASE_TESTOPS_RUN_MILESTONE")) q_.milestone_id = *id;
    if (const auto b = keys_.read_bool("QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK")) q_.show_public_report_link = *b;
    read_configurations();
    read_external_link();
    if (q_.mode == qase_mode::testops) read_testops_requirements();
    finish();
  }

 private:
  // False when Qase stays off.
  bool read_mode() {
    const raw_value* mode = keys_.get("QASE_MODE");
    if (mode == nullptr) return false;  // default off
    if (iequals(mode->text, "testops_multi")) {
      // JS/Python: several projects. Treated as testops.
      q_.mode = qase_mode::testops;
      out_.warnings.push_back(with_value(*mode) +
                              " (several projects) is not supported; reporting to QASE_TESTOPS_PROJECT only, as "
                              "in testops mode");
      return true;
    }
    const auto m = keys_.read_choice<qase_mode>(
        "QASE_MODE", {{"off", qase_mode::off}, {"testops", qase_mode::testops}, {"report", qase_mode::report}});
    if (!m) finish();
    q_.mode = m.value_or(qase_mode::off);
    return q_.mode != qase_mode::off;
  }

  // Above Qase's limit of 200 is clamped with a warning rather than refused: the limit is the server's.
  void read_batch_size() {
    const raw_value* v = keys_.get("QASE_TESTOPS_BATCH_SIZE");
    if (v == nullptr) return;
    parse_int_error why{};
    if (const auto n = parse_int(v->text, 1, 200, &why)) {
      q_.batch_size = static_cast<int>(*n);
    } else if (why == parse_int_error::not_an_integer) {
      fail(with_value(*v) + " is not a whole number (1..200)");
    } else if (why == parse_int_error::below_range) {
      fail(with_value(*v) + " is out of range (1..200)");
    } else {
      q_.batch_size = 200;
      out_.warnings.push_back(with_value(*v) + " is above the Qase limit of 200 results per request; using 200");
    }
  }

  // "from=to" pairs. A bad pair switches Qase off: a mapping that silently does not apply would send
  // statuses the user said must not arrive.
  void read_status_mapping() {
    const auto items = keys_.read_list("QASE_STATUS_MAPPING");
    if (!items) return;
    const std::string& origin = keys_.get("QASE_STATUS_MAPPING")->origin;
    for (const auto& item : *items) {
      const auto eq = item.find('=');
      test_status from{}, to{};
      if (eq == std::string::npos || !status_from(to_lower(trim(std::string_view(item).substr(0, eq))), from) ||
          !status_from(to_lower(trim(std::string_view(item).substr(eq + 1))), to)) {
        fail(origin + " has \"" + shown(item) +
             "\", not status=status (statuses: passed, failed, skipped, blocked, invalid)");
        return;
      }
      q_.status_mapping.emplace_back(from, to);
    }
  }

  // "group=value" pairs; like the status mapping, a bad pair switches Qase off rather than creating a
  // run without the configuration the user asked for.
  void read_configurations() {
    if (const auto b = keys_.read_bool("QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS"))
      q_.create_configurations = *b;
    const auto items = keys_.read_list("QASE_TESTOPS_CONFIGURATIONS_VALUES");
    if (!items) return;
    const std::string& origin = keys_.get("QASE_TESTOPS_CONFIGURATIONS_VALUES")->origin;
    for (const auto& item : *items) {
      const auto eq = item.find('=');
      const std::string group(eq == std::string::npos ? "" : trim(std::string_view(item).substr(0, eq)));
      const std::string value(eq == std::string::npos ? "" : trim(std::string_view(item).substr(eq + 1)));
      if (group.empty() || value.empty() || group.size() > 255 || value.size() > 255) {
        fail(origin + " has \"" + shown(item) + "\", not group=value (each at most 255 bytes)");
        return;
      }
      q_.configurations.emplace_back(group, value);
    }
  }

  // The three official spellings (see qase_keys above). The config's words jiraCloud/jiraServer
  // become the API's jira-cloud/jira-server; both are accepted.
  void read_external_link() {
    const raw_value* link = keys_.get("QASE_TESTOPS_RUN_EXTERNAL_LINK");
    const raw_value* type = keys_.get("QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE");
    const raw_value* url = keys_.get("QASE_TESTOPS_RUN_EXTERNAL_LINK_URL");
    std::string type_text = type != nullptr ? type->text : "";
    std::string link_text = url != nullptr ? url->text : "";
    std::string origin = url != nullptr ? url->origin : type != nullptr ? type->origin : "";
    if (link != nullptr) {
      origin = link->origin;
      if (link->list) {  // the file's object, as "type=..." and "link=..." items
        for (const auto& item : *link->list) {
          const auto eq = item.find('=');
          const std::string_view k =
              eq == std::string::npos ? std::string_view() : std::string_view(item).substr(0, eq);
          const std::string v(eq == std::string::npos ? "" : trim(std::string_view(item).substr(eq + 1)));
          if (k == "type") type_text = v;
          if (k == "link") link_text = v;
        }
      } else if (!link->text.empty() && link->text.front() == '{') {
        if (!external_link_json(link->text, type_text, link_text)) {
          fail(with_value(*link) + R"( is not {"type": "jiraCloud"|"jiraServer", "link": "PROJ-1"})");
          return;
        }
      } else {
        link_text = link->text;
      }
    }
    if (link == nullptr && type == nullptr && url == nullptr) return;
    const std::string t = to_lower(type_text);
    if (t == "jiracloud" || t == "jira-cloud") {
      q_.external_link_type = "jira-cloud";
    } else if (t == "jiraserver" || t == "jira-server") {
      q_.external_link_type = "jira-server";
    } else {
      fail(origin + ": the external link type \"" + shown(type_text) +
           "\" is not jiraCloud or jiraServer (QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE)");
      return;
    }
    if (link_text.empty() || link_text.size() > 255) {
      fail(origin + ": the external link needs the issue, e.g. PROJ-1 (at most 255 bytes)");
      return;
    }
    q_.external_link = link_text;
  }

  // Unknown statuses are dropped with a warning: a filter can only send fewer results, never wrong ones.
  void read_status_filter() {
    const auto items = keys_.read_list("QASE_TESTOPS_STATUS_FILTER");
    if (!items) return;
    for (const auto& item : *items) {
      const std::string s = to_lower(item);
      if (s == "passed" || s == "failed" || s == "skipped" || s == "blocked" || s == "invalid") {
        q_.status_filter.push_back(s);
      } else {
        out_.warnings.push_back(keys_.get("QASE_TESTOPS_STATUS_FILTER")->origin + " contains the unknown status \"" +
                                shown(item) + "\" (known: passed, failed, skipped, blocked, invalid); it is ignored");
      }
    }
  }

  // Token and project are required in testops mode, even with QASE_FALLBACK=report: the fallback is for
  // a TestOps that fails at run time, not for a configuration that never worked. The token's value
  // never appears in a message.
  void read_testops_requirements() {
    const raw_value* token = keys_.get("QASE_TESTOPS_API_TOKEN");
    if (token == nullptr) {
      fail("QASE_TESTOPS_API_TOKEN is not set but QASE_MODE is testops");
    } else if (!header_safe_token(token->text)) {
      fail(token->origin + " contains spaces or control characters");
    } else {
      q_.token = token->text;
    }
    if (keys_.get("QASE_TESTOPS_PROJECT") == nullptr) {
      fail("QASE_TESTOPS_PROJECT is not set but QASE_MODE is testops");
    } else if (auto code = keys_.read_project_code("QASE_TESTOPS_PROJECT", 10)) {
      q_.project = std::move(*code);
    }
    const raw_value* host = keys_.get("QASE_TESTOPS_API_HOST");
    if (host != nullptr) q_.api_host = host->text;
    std::string why;
    if (!derive_qase_hosts(q_.api_host, q_.api_base, q_.app_base, why)) {
      fail((host ? with_value(*host) : "QASE_TESTOPS_API_HOST=" + shown(q_.api_host)) + " " + why);
    }
  }

  void fail(const std::string& problem) {
    failed_ = true;
    out_.errors.push_back(problem + std::string(qase_off));
  }

  // A Qase section with an error is off as a whole; its token is not kept around.
  void finish() {
    if (!failed_) return;
    q_.mode = qase_mode::off;
    q_.fallback = qase_mode::off;
    q_.token.clear();
  }

  settings& out_;
  qase_settings& q_;
  const key_reader keys_;
  bool failed_ = false;
};

}  // namespace

void read_qase_section(const env_lookup& env, const std::string& cwd, settings& out) {
  raw_map raw = read_qase_config(cwd, qase_keys, out.errors);
  for (const file_key& key : qase_keys) read_env_into(env, key.env, raw);
  read_env_into(env, report_format_alias, raw);
  qase_section(raw, out).read();
}

// With Qase off and QA Sphere on, the fallback report and its folder still apply: they hold QA
// Sphere's share (<path>/qasphere) and the journal's default folder. A bad value turns only the
// fallback off, so its message must not say that Qase reporting is off.
void read_qase_storage_keys(const env_lookup& env, const std::string& cwd, settings& out) {
  std::vector<std::string> file_errors;  // already reported by read_qase_section
  raw_map raw = read_qase_config(cwd, qase_keys, file_errors);
  for (const file_key& key : qase_keys) read_env_into(env, key.env, raw);
  read_env_into(env, report_format_alias, raw);
  qase_settings& q = out.qase;
  const key_reader keys(raw, [&out, &q](std::string_view, std::string problem) {
    out.errors.push_back(problem + "; the fallback report is off");
    q.fallback = qase_mode::off;
  });
  if (const auto f =
          keys.read_choice<qase_mode>("QASE_FALLBACK", {{"off", qase_mode::off}, {"report", qase_mode::report}}))
    q.fallback = *f;
  if (auto v = keys.read_text("QASE_REPORT_CONNECTION_PATH")) q.report_path = std::move(*v);
  if (const auto f = read_report_format(keys)) q.report_format = *f;
}

}  // namespace gtest_tms::detail

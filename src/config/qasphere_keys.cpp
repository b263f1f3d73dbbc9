// The QA Sphere section: the QA Sphere CLI's QAS_* settings.

#include "config/config_sections.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_readers.hpp"
#include "config/config_sources.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

constexpr std::string_view qas_off = "; QA Sphere reporting is off";

// The QAS_* settings besides QAS_TOKEN and QAS_URL, which find_qas_credentials reads (from the
// environment or a .qaspherecli). Environment only, as in the CLI.
constexpr const char* qasphere_keys[] = {
    "QAS_MODE",     "QAS_AUTH_SCHEME",     "QAS_PROJECT_CODE", "QAS_RUN_ID",     "QAS_RUN_URL",
    "QAS_RUN_NAME", "QAS_RUN_DESCRIPTION", "QAS_CLOSE_RUN",    "QAS_BATCH_SIZE", "QAS_UPLOAD_ATTACHMENTS",
};

// The page of the CI job running the tests, from the variables each CI service sets; empty elsewhere.
std::string detect_ci_job_url(const env_lookup& env, std::vector<std::string>& warnings) {
  const auto get = [&](const char* name) { return read_env(env, name).value_or(std::string()); };
  std::string url, from;
  if (const std::string run = get("GITHUB_RUN_ID"); !run.empty()) {
    const std::string server = get("GITHUB_SERVER_URL"), repo = get("GITHUB_REPOSITORY");
    if (!server.empty() && !repo.empty()) {
      url = server + "/" + repo + "/actions/runs/" + run;
      if (const std::string attempt = get("GITHUB_RUN_ATTEMPT"); !attempt.empty() && attempt != "1")
        url += "/attempts/" + attempt;
      from = "GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID";
    }
  }
  for (const char* name : {"CI_JOB_URL", "BUILD_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL"}) {
    if (!url.empty()) break;
    url = get(name);
    from = name;
  }
  if (url.empty()) return url;
  // A link the server would store as is: http(s), printable ASCII, bounded.
  const bool web = url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0;
  const bool printable =
      std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && static_cast<unsigned char>(c) < 0x7f; });
  if (!web || !printable || url.size() > 2048) {
    warnings.push_back("the CI job URL (from " + from +
                       ") is not an http(s) URL of at most 2048 printable characters; QA Sphere results carry no CI "
                       "job link");
    return {};
  }
  return url;
}

}  // namespace

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

// QA Sphere is on when credentials are found and QAS_MODE is not off; only then is anything validated,
// and every bad value is an error that switches it off again.
void read_qasphere_section(const env_lookup& env, const std::string& cwd, settings& out) {
  auto& s = out.qasphere;
  s.enabled = false;
  raw_map raw;
  for (const char* name : qasphere_keys) read_env_into(env, name, raw);
  bool failed = false;
  const key_reader keys(raw, [&](std::string_view, std::string problem) {
    failed = true;
    out.errors.push_back(std::move(problem) + std::string(qas_off));
  });

  if (const raw_value* mode = keys.get("QAS_MODE")) {
    // parse_bool's spellings, but named as the CLI names them.
    const auto on = parse_bool(mode->text);
    if (!on) keys.report("QAS_MODE", with_value(*mode) + " is not one of on, off");
    if (!on || !*on) return;
  }
  const auto creds = find_qas_credentials(env, cwd, out.warnings);
  if (!creds) {
    if (keys.get("QAS_MODE") != nullptr) {
      out.warnings.push_back(
          "QAS_MODE is on but neither the environment nor a .qaspherecli file provides both "
          "QAS_TOKEN and QAS_URL; QA Sphere reporting is off");
    }
    return;
  }

  // Neither the key nor a URL that may carry a password (user info) is ever shown.
  const std::string from = creds->source == "the environment" ? std::string() : " (from " + creds->source + ")";
  const bool url_private = creds->url.find('@') != std::string::npos;
  const std::string url_shown = url_private ? "QAS_URL" : "QAS_URL=" + shown(creds->url);
  std::string why;
  if (!normalize_qasphere_url(creds->url, s.url, why)) keys.report("QAS_URL", url_shown + from + " " + why);
  if (!valid_qasphere_key(creds->token)) {
    keys.report("QAS_TOKEN", "QAS_TOKEN" + from +
                                 " is not an API key of the form tenantId.keyId.keyToken (three non-empty parts "
                                 "separated by dots, printable characters only)");
  } else {
    s.token = creds->token;
  }

  if (const auto a = keys.read_choice<qas_auth_scheme>(
          "QAS_AUTH_SCHEME", {{"ApiKey", qas_auth_scheme::api_key}, {"Bearer", qas_auth_scheme::bearer}})) {
    s.auth = *a;
  }
  if (auto code = keys.read_project_code("QAS_PROJECT_CODE", 5)) s.project = std::move(*code);
  if (const auto id = keys.read_id("QAS_RUN_ID")) s.run_id = *id;
  if (const raw_value* v = keys.get("QAS_RUN_URL"); v != nullptr && !s.url.empty()) {
    std::string project;
    std::int64_t run_id = 0;
    if (!parse_qasphere_run_url(v->text, s.url, project, run_id, why)) {
      keys.report("QAS_RUN_URL", with_value(*v) + " " + why);
    } else if (s.run_id && *s.run_id != run_id) {
      keys.report("QAS_RUN_URL", "QAS_RUN_URL names run " + std::to_string(run_id) + " but QAS_RUN_ID is " +
                                     std::to_string(*s.run_id));
    } else if (!s.project.empty() && !iequals(s.project, project)) {
      keys.report("QAS_RUN_URL", "QAS_RUN_URL names project " + project + " but QAS_PROJECT_CODE is " + s.project);
    } else {
      s.run_id = run_id;
      if (s.project.empty()) s.project = project;
    }
  }
  if (auto v = keys.read_text("QAS_RUN_NAME")) s.run_title = std::move(*v);
  if (auto v = keys.read_text("QAS_RUN_DESCRIPTION")) s.run_description = std::move(*v);
  if (const auto b = keys.read_bool("QAS_CLOSE_RUN")) s.close_run = *b;
  if (const auto b = keys.read_bool("QAS_UPLOAD_ATTACHMENTS")) s.upload_attachments = *b;
  if (const auto n = keys.read_int("QAS_BATCH_SIZE", 1, 500)) s.batch_size = static_cast<int>(*n);
  s.ci_job_url = detect_ci_job_url(env, out.warnings);
  s.enabled = !failed;
  if (failed) s.token.clear();
}

}  // namespace gtest_tms::detail

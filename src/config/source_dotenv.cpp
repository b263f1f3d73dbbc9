// The dotenv-format sources: .qaspherecli (QA Sphere credentials, as the QA Sphere CLI finds them) and
// the run file named by GTEST_TMS_RUN_FILE.

#include "config/config_sources.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>
#include <utility>

#include "config/config_readers.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view qaspherecli_name = ".qaspherecli";
constexpr std::uintmax_t max_dotenv_file_bytes = std::uintmax_t{64} * 1024;

std::optional<std::string> read_small_file(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::status(p, ec);
  if (ec || !fs::is_regular_file(st)) return std::nullopt;
  const auto size = fs::file_size(p, ec);
  if (ec || size > max_dotenv_file_bytes) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

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

// GTEST_TMS_RUN_FILE names the file `gtest-tms run create --env-file` wrote (CTest fixtures, see
// cmake/GtestTmsHelpers.cmake). Its run ids stand in for QASE_TESTOPS_RUN_ID / QAS_RUN_ID when the
// environment has none, and GTEST_TMS_SPOOL names the collector's folder and GTEST_TMS_VERIFIED_RUNS the runs it
// checked; nothing else is taken from it. A missing or empty file means no run was
// created (reporting not configured there): the process then behaves as without the file.
env_lookup with_run_file(const env_lookup& env, std::vector<std::string>& warnings) {
  const auto path = read_env(env, "GTEST_TMS_RUN_FILE");
  if (!path) return env;
  std::ifstream in(*path, std::ios::binary);
  if (!in) return env;
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() > max_dotenv_file_bytes) {
    warnings.push_back("GTEST_TMS_RUN_FILE: " + shown(*path) + " is too large to be a run file; ignored");
    return env;
  }
  std::vector<std::pair<std::string, std::string>> ids;
  for (auto& [k, v] : parse_dotenv(content)) {
    if (k == "QASE_TESTOPS_RUN_ID" || k == "QAS_RUN_ID" || k == "GTEST_TMS_SPOOL" || k == "GTEST_TMS_VERIFIED_RUNS")
      ids.emplace_back(k, v);
  }
  if (ids.empty()) return env;
  return [env, ids](const std::string& key) -> std::optional<std::string> {
    if (auto v = env(key)) return v;
    for (const auto& [k, v] : ids)
      if (k == key) return v;
    return std::nullopt;
  };
}

}  // namespace gtest_tms::detail

// load_settings with a fuzzed environment: the input is KEY=VALUE lines (the first '=' splits; a
// later line wins). GTEST_TMS_RUN_FILE's value becomes the *content* of a run file in the temp dir
// (the path points there), so the run-file parser is fuzzed too and no other file is ever read.
// The cwd is an empty temp directory (no qase.config.json).
// Invariants: errors and warnings are single lines, and a token never appears in them.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace gtest_tms;

// A value that cannot appear in a message by chance: 12+ ASCII letters and digits, both present,
// not shared (by its first 4 bytes) with any other value.
bool distinctive(const std::string& token, const std::map<std::string, std::string>& env, const std::string& key) {
  if (token.size() < 12) return false;
  bool letter = false, digit = false;
  for (char c : token) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
    } else {
      return false;
    }
  }
  if (!letter || !digit) return false;
  for (const auto& [k, v] : env) {
    if (k != key && (fuzz::contains(v, token.substr(0, 4)) || fuzz::contains(k, token.substr(0, 4)))) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string cwd = fuzz::sub_dir("cwd").string();
  static const std::string run_file = (fuzz::sub_dir("run") / "run.env").string();

  std::map<std::string, std::string> env;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    const auto nl = in.find('\n');
    const std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  if (const auto it = env.find("GTEST_TMS_RUN_FILE"); it != env.end()) {
    // Escaped newlines let one input line carry a multi-line run file.
    std::string content;
    for (std::size_t i = 0; i < it->second.size(); ++i) {
      if (it->second[i] == '\\' && i + 1 < it->second.size() && it->second[i + 1] == 'n') {
        content += '\n';
        ++i;
      } else {
        content += it->second[i];
      }
    }
    fuzz::write_file(run_file, content);
    it->second = run_file;
  }

  const detail::env_lookup lookup = [&env](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  const detail::settings s = detail::load_settings(lookup, cwd);

  std::vector<std::string> secrets;
  for (const char* key : {"QASE_TESTOPS_API_TOKEN", "QAS_TOKEN"}) {
    const auto it = env.find(key);
    if (it != env.end() && distinctive(it->second, env, key) && !fuzz::contains(cwd, it->second) &&
        !fuzz::contains(run_file, it->second)) {
      secrets.push_back(it->second);
    }
  }
  for (const auto* lines : {&s.errors, &s.warnings}) {
    for (const auto& line : *lines) {
      FUZZ_CHECK(!line.empty() && fuzz::one_line(line), line);
      for (const auto& secret : secrets) FUZZ_CHECK(!fuzz::contains(line, secret), line);
    }
  }
  // A backend with an error is off; a switched-on backend has what it needs.
  if (s.qase.mode == detail::qase_mode::testops) {
    FUZZ_CHECK(!s.qase.token.empty() && !s.qase.project.empty(), s.qase.project);
    FUZZ_CHECK(s.qase.batch_size >= 1 && s.qase.batch_size <= 200, std::to_string(s.qase.batch_size));
  }
  if (s.qasphere.enabled) FUZZ_CHECK(!s.qasphere.token.empty() && !s.qasphere.url.empty(), s.qasphere.url);
  return 0;
}

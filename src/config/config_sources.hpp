#pragma once
// Where setting values come from, before any validation: the process environment, qase.config.json,
// and the dotenv files (.qaspherecli, the GTEST_TMS_RUN_FILE run file). A source yields trimmed text
// and the value's origin, which messages quote; the sections (config_sections.hpp) validate it.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace gtest_tms::detail {

/// One setting's value before validation and where it came from, e.g. "QASE_TESTOPS_PROJECT" or
/// "qase.config.json: testops.project" (messages start with it).
struct raw_value {
  std::string text;                              // trimmed, not empty (unless `list` is set)
  std::optional<std::vector<std::string>> list;  // a JSON array of strings (tags, status filter)
  std::string origin;
};

/// Raw values by setting name: the environment variable's name, also for values read from a file.
using raw_map = std::map<std::string, raw_value, std::less<>>;

// --- the environment (source_env.cpp) ---

/// One variable, trimmed. Unset, blank (`X=` in a CI file means "not configured") and a lookup that
/// throws all give nullopt.
std::optional<std::string> read_env(const env_lookup& env, const std::string& name);

/// Puts `name` into `out` when it is set, replacing a value from a file: the environment wins.
void read_env_into(const env_lookup& env, const std::string& name, raw_map& out);

// --- qase.config.json (source_qase_config.cpp) ---

/// Where one setting lives in qase.config.json.
struct file_key {
  const char* env;   // the setting's name, i.e. its environment variable
  const char* path;  // dotted path in the file
  bool list;         // may also be a JSON array of strings
};

/// The values of `keys` in `cwd`/qase.config.json (none when there is no file). Of several keys of one
/// setting, the first present wins. A file that cannot be used, and values of a JSON type that cannot be
/// a setting, are one error line each in `errors` ("qase.config.json: ..."); the rest is still read.
raw_map read_qase_config(const std::string& cwd, std::span<const file_key> keys, std::vector<std::string>& errors);

// --- dotenv files (source_dotenv.cpp; parse_dotenv itself is in config.hpp) ---

/// QAS_TOKEN and QAS_URL from one source.
struct qas_credentials {
  std::string token, url;
  std::string source;  // "the environment" or the path of a .qaspherecli
};

/// The first source that has both QAS_TOKEN and QAS_URL: the environment, then .qaspherecli from `cwd`
/// up to the root. A source with only one of the two is skipped with a warning.
std::optional<qas_credentials> find_qas_credentials(const env_lookup& env, const std::string& cwd,
                                                    std::vector<std::string>& warnings);

/// `env` with the run ids of the GTEST_TMS_RUN_FILE file (written by `gtest-tms run create`) behind it.
env_lookup with_run_file(const env_lookup& env, std::vector<std::string>& warnings);

}  // namespace gtest_tms::detail

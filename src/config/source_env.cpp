// The process environment as a settings source.

#include "config/config_sources.hpp"

#include <cstdlib>

#include "util/text.hpp"

namespace gtest_tms::detail {

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<std::string> read_env(const env_lookup& env, const std::string& name) {
  if (!env) return std::nullopt;
  std::optional<std::string> v;
  try {
    v = env(name);
  } catch (...) {
    return std::nullopt;  // a lookup that throws must not take the test program down
  }
  if (!v) return std::nullopt;
  const auto t = trim(*v);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

void read_env_into(const env_lookup& env, const std::string& name, raw_map& out) {
  if (auto v = read_env(env, name)) out[name] = raw_value{std::move(*v), std::nullopt, name};
}

}  // namespace gtest_tms::detail

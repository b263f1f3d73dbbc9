// The .qaspherecli dotenv parser, directly and through load_settings (the input written as
// .qaspherecli in a temp cwd; no QAS_* in the environment, so the file is the credentials source).
// Invariants: keys are non-empty, trimmed and without '\n' (values too); errors and
// warnings are single lines and never contain QAS_TOKEN.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "fuzz_support.hpp"
#include "util/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gtest_tms;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto pairs = detail::parse_dotenv(text);
  std::string token;  // as load_settings picks it: the last non-blank value, trimmed
  for (const auto& [key, value] : pairs) {
    // Lines end at '\n' only: a '\r' inside a line is an ordinary byte (later validation refuses it).
    FUZZ_CHECK(!key.empty() && key.find('\n') == std::string::npos && value.find('\n') == std::string::npos, key);
    FUZZ_CHECK(key.front() != ' ' && key.front() != '\t' && key.back() != ' ' && key.back() != '\t', key);
    FUZZ_CHECK(key.find('=') == std::string::npos, key);
    if (key == "QAS_TOKEN" && !detail::trim(value).empty()) token = std::string(detail::trim(value));
  }

  static const std::filesystem::path cwd = fuzz::sub_dir("qas-cwd");
  fuzz::write_file(cwd / ".qaspherecli", text);
  const detail::env_lookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  const detail::settings s = detail::load_settings(no_env, cwd.string());
  // Only a key-like token (16+ of [A-Za-z0-9._-], as real keys) not shared with another value or
  // the file's path (both are quoted in messages) cannot be part of a message by chance.
  const std::string file = (cwd / ".qaspherecli").string();
  bool check_token = token.size() >= 16 &&
                     token.find_first_not_of(
                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789._-") == std::string::npos &&
                     !fuzz::contains(file, token);
  for (const auto& [key, value] : pairs) {
    if (key != "QAS_TOKEN" && fuzz::contains(value, token.substr(0, 8))) check_token = false;
  }
  for (const auto* lines : {&s.errors, &s.warnings}) {
    for (const auto& line : *lines) {
      FUZZ_CHECK(!line.empty() && fuzz::one_line(line), line);
      if (check_token) FUZZ_CHECK(!fuzz::contains(line, token), line);
    }
  }
  if (s.qasphere.enabled) FUZZ_CHECK(s.qasphere.url.rfind("https://", 0) == 0, s.qasphere.url);
  return 0;
}

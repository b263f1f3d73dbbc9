// load_settings with the input as qase.config.json (written into an otherwise empty temp cwd,
// replaced every run) and an empty environment.
// Invariants: errors and warnings are single lines; a switched-on Qase backend is complete.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gtest_tms;
  static const std::filesystem::path cwd = fuzz::sub_dir("json-cwd");
  fuzz::write_file(cwd / "qase.config.json", std::string_view(reinterpret_cast<const char*>(data), size));

  const detail::env_lookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  const detail::settings s = detail::load_settings(no_env, cwd.string());

  for (const auto* lines : {&s.errors, &s.warnings}) {
    for (const auto& line : *lines) FUZZ_CHECK(!line.empty() && fuzz::one_line(line), line);
  }
  if (s.qase.mode == detail::qase_mode::testops) {
    FUZZ_CHECK(!s.qase.token.empty() && !s.qase.project.empty(), s.qase.project);
    FUZZ_CHECK(s.qase.batch_size >= 1 && s.qase.batch_size <= 200, std::to_string(s.qase.batch_size));
    FUZZ_CHECK(s.qase.api_base.rfind("https://", 0) == 0, s.qase.api_base);
  }
  return 0;
}

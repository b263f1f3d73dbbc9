#pragma once
// Shared by the fuzz targets: a private temporary directory (removed at exit) and a check that
// aborts (a finding for libFuzzer) with a message when an invariant does not hold.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace gtest_tms::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n%.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                           \
  do {                                                     \
    if (!(cond)) ::gtest_tms::fuzz::fail(#cond, (detail)); \
  } while (0)

/// mkdtemp under $TMPDIR (or /tmp), created on first use and removed (recursively) at exit.
/// Targets write only below it.
class temp_dir {
 public:
  static const std::filesystem::path& path() {
    static temp_dir instance;
    return instance.path_;
  }

 private:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gtest-tms-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) fail("mkdtemp", tmpl);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path_;
};

/// A directory below temp_dir (created once), e.g. a cwd for load_settings.
inline std::filesystem::path sub_dir(const char* name) {
  const auto p = temp_dir::path() / name;
  std::error_code ec;
  std::filesystem::create_directories(p, ec);
  if (ec) fail("create_directories", p.string());
  return p;
}

inline void write_file(const std::filesystem::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) fail("write_file", p.string());
}

/// Substring test for invariant checks, hidden from libFuzzer: with std::string::find (memcmp
/// hooks, comparison tracing) the fuzzer would learn the message text and put it into a token,
/// turning the "no secret in messages" check into a false alarm.
__attribute__((no_sanitize("coverage"))) inline bool contains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && hay[i + k] == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

inline bool one_line(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos; }

}  // namespace gtest_tms::fuzz

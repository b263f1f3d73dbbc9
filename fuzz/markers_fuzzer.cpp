// QA Sphere markers in test names: extract_marker with the project code from the input and with
// none (detection). Input: 1 byte n, then n % 8 bytes of project code, then the test name.
// Invariants: a marker's code is upper-case alphanumeric (the configured code, upper-cased, when one
// is given), its seq >= 0, and its text() ("BD-001") yields the same marker again.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "tms/qasphere/markers.hpp"

namespace {

using namespace gtest_tms;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

void check(std::string_view name, std::string_view code) {
  const auto m = detail::extract_marker(name, code);
  const std::string_view subject = detail::marker_subject(name);
  FUZZ_CHECK(subject.data() >= name.data() && subject.data() + subject.size() <= name.data() + name.size(), name);
  if (!m) return;
  FUZZ_CHECK(m->seq >= 0, m->text());
  FUZZ_CHECK(!m->project.empty(), m->text());
  for (char c : m->project) FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'), m->text());
  if (!code.empty()) FUZZ_CHECK(m->project == upper(code), m->text());
  const auto again = detail::extract_marker(m->text(), m->project);
  FUZZ_CHECK(again && *again == *m, m->text());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t code_len = std::min<std::size_t>(data[0] % 8, size - 1);
  const std::string_view code(reinterpret_cast<const char*>(data) + 1, code_len);
  const std::string_view name(reinterpret_cast<const char*>(data) + 1 + code_len, size - 1 - code_len);
  check(name, code);
  check(name, {});
  return 0;
}

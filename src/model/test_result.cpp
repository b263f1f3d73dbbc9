#include "model/test_result.hpp"

#include <fstream>
#include <iterator>

#include "model/limits.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

const char* to_string(test_status s) noexcept {
  switch (s) {
    case test_status::passed:
      return "passed";
    case test_status::failed:
      return "failed";
    case test_status::skipped:
      return "skipped";
    case test_status::invalid:
      return "invalid";
    case test_status::blocked:
      return "blocked";
  }
  return "failed";
}

bool status_from(std::string_view text, test_status& out, bool lenient) noexcept {
  static constexpr test_status all[] = {test_status::passed, test_status::failed, test_status::skipped,
                                        test_status::invalid, test_status::blocked};
  for (const auto st : all) {
    if (lenient ? iequals(text, to_string(st)) : text == to_string(st)) {
      out = st;
      return true;
    }
  }
  if (lenient && iequals(text, "disabled")) {
    out = test_status::skipped;
    return true;
  }
  return false;
}

bool attachment_bytes(const attachment& a, std::string& data, std::string& error) {
  if (a.path.empty()) {
    data = a.content;
    return true;
  }
  std::ifstream in(a.path, std::ios::binary);
  if (!in) {
    error = "cannot be read";
    return false;
  }
  data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "cannot be read";
    return false;
  }
  if (data.size() > max_attachment_bytes) {
    error = "is larger than 32 MB";
    return false;
  }
  return true;
}

}  // namespace gtest_tms::detail

#pragma once
// String building by appending into one string. GCC 12 at -O3 reports false -Wrestrict and
// -Wmaybe-uninitialized inside `"literal" + std::string&&` (GCC bug 105329, std::string::insert),
// which `-Werror` Release builds of the tests would stop at; str_cat never calls that operator.

#include <string>
#include <string_view>
#include <type_traits>

namespace gtest_tms::detail::testing_support {

/// str_cat("t", 7, ".json") == "t7.json": strings as they are, integers in decimal.
template <class... Parts>
std::string str_cat(const Parts&... parts) {
  std::string out;
  auto add = [&out](const auto& part) {
    using part_type = std::decay_t<decltype(part)>;
    if constexpr (std::is_integral_v<part_type> && !std::is_same_v<part_type, char>)
      out += std::to_string(part);
    else
      out += std::string_view(part);
  };
  (add(parts), ...);
  return out;
}

}  // namespace gtest_tms::detail::testing_support

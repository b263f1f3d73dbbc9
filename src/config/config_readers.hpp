#pragma once
// The typed readers all three sections use (Qase, QA Sphere, common), so that a boolean, a number, a
// duration or a project code is accepted, refused and reported the same way whoever it belongs to.
// A reader only says what is wrong ("QAS_BATCH_SIZE=0 is not a whole number from 1 to 500"); the
// section says what follows from it (its backend is off, or the default is kept).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_sources.hpp"

namespace gtest_tms::detail {

/// A value as it may appear in a message: one line of printable text, at most 64 bytes, valid UTF-8.
std::string shown(std::string_view value);

/// "ORIGIN=value" for a message; only the origin for a token, whose value is never shown.
std::string with_value(const raw_value& v);

/// `min` to `max` ASCII letters and digits (a Qase or QA Sphere project code).
bool valid_code(std::string_view s, std::size_t min, std::size_t max);

/// Printable ASCII without spaces: something that can go into an HTTP header unchanged.
bool header_safe_token(std::string_view s);

/// One section's raw values and the readers over them. Each read_* returns nullopt when the key is
/// unset, and also when its value is bad, after passing the problem to the section's `report`.
class key_reader {
 public:
  using report_fn = std::function<void(std::string_view key, std::string problem)>;

  key_reader(const raw_map& values, report_fn report) : values_(values), report_(std::move(report)) {}

  const raw_value* get(std::string_view key) const;
  void report(std::string_view key, std::string problem) const { report_(key, std::move(problem)); }

  std::optional<std::string> read_text(std::string_view key) const;
  /// A JSON array as is, or text split on ',' (items trimmed, empty ones dropped).
  std::optional<std::vector<std::string>> read_list(std::string_view key) const;
  /// parse_bool's spellings.
  std::optional<bool> read_bool(std::string_view key) const;
  /// A whole number in [lo, hi]; `unit` (e.g. "milliseconds") only goes into the message.
  std::optional<std::int64_t> read_int(std::string_view key, std::int64_t lo, std::int64_t hi,
                                       std::string_view unit = {}) const;
  /// A run, plan or similar id: a whole number of at least 1.
  std::optional<std::int64_t> read_id(std::string_view key) const;
  /// Decimal seconds ("30", "0.5"), more than 0 and at most `max_seconds`, as milliseconds (at least 1).
  std::optional<std::chrono::milliseconds> read_seconds(std::string_view key, std::int64_t max_seconds) const;
  /// The value of the choice whose name matches, ignoring ASCII case; the message lists the names.
  template <class T>
  std::optional<T> read_choice(std::string_view key,
                               std::initializer_list<std::pair<std::string_view, T>> choices) const {
    std::vector<std::string_view> names;
    for (const auto& c : choices) names.push_back(c.first);
    const auto i = choice_index(key, names);
    if (!i) return std::nullopt;
    return (choices.begin() + *i)->second;
  }
  /// A project code of 2 to `max_length` letters or digits.
  std::optional<std::string> read_project_code(std::string_view key, std::size_t max_length) const;

 private:
  std::optional<std::size_t> choice_index(std::string_view key, const std::vector<std::string_view>& names) const;

  const raw_map& values_;
  report_fn report_;
};

}  // namespace gtest_tms::detail

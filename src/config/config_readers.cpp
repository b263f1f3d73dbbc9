#include "config/config_readers.hpp"

#include <limits>

#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c); }

bool is_secret_name(std::string_view name) { return name == "QASE_TESTOPS_API_TOKEN" || name == "QAS_TOKEN"; }

// Decimal seconds as exact milliseconds: digits with at most one '.' ("30", "0.5", ".5", "5."; no sign,
// exponent, inf or nan), rounded half up to the millisecond and at least 1 ms. Zero and more than
// `max_seconds` are refused. Integer arithmetic only: locale-independent (a test program may have called
// setlocale), exact, and portable (libc++ has no std::from_chars for double).
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view s, std::int64_t max_seconds) {
  const auto dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  for (const std::string_view part : {whole, fraction}) {
    for (const char c : part) {
      if (!is_digit(c)) return std::nullopt;  // also a second '.'
    }
  }
  std::int64_t seconds = 0;
  if (!whole.empty()) {
    const auto v = parse_int(whole, 0, max_seconds);
    if (!v) return std::nullopt;
    seconds = *v;
  }
  const bool fraction_positive = fraction.find_first_not_of('0') != std::string_view::npos;
  if (seconds == 0 && !fraction_positive) return std::nullopt;
  if (seconds == max_seconds && fraction_positive) return std::nullopt;
  std::int64_t ms = 0;
  for (std::size_t i = 0; i < 3; ++i) ms = ms * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  if (fraction.size() > 3 && fraction[3] >= '5') ++ms;
  ms += seconds * 1000;
  return std::chrono::milliseconds(ms < 1 ? 1 : ms);
}

}  // namespace

std::optional<bool> parse_bool(const std::string& value) {
  const std::string v = to_lower(trim(value));
  if (v == "true" || v == "1" || v == "yes" || v == "y" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "n" || v == "off") return false;
  return std::nullopt;
}

std::string shown(std::string_view value) {
  std::string s = clean_text(value, 64);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return s;
}

std::string with_value(const raw_value& v) {
  // Secrets never appear in messages, whatever the message is about.
  const bool secret = is_secret_name(v.origin) || v.origin.find(".token") != std::string::npos;
  return secret ? v.origin : v.origin + "=" + shown(v.text);
}

bool valid_code(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (const char c : s) {
    if (!is_alnum(c)) return false;
  }
  return true;
}

bool header_safe_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

const raw_value* key_reader::get(std::string_view key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::optional<std::string> key_reader::read_text(std::string_view key) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  return v->text;
}

std::optional<std::vector<std::string>> key_reader::read_list(std::string_view key) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  return v->list ? *v->list : split_list(v->text, ',');
}

std::optional<bool> key_reader::read_bool(std::string_view key) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  const auto b = parse_bool(v->text);
  if (!b) report(key, with_value(*v) + " is not a boolean (use true/false, yes/no, on/off or 1/0)");
  return b;
}

std::optional<std::int64_t> key_reader::read_int(std::string_view key, std::int64_t lo, std::int64_t hi,
                                                 std::string_view unit) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  const auto n = parse_int(v->text, lo, hi);
  if (!n) {
    report(key, with_value(*v) + " is not a whole number" + (unit.empty() ? "" : " of " + std::string(unit)) +
                    " from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return n;
}

std::optional<std::int64_t> key_reader::read_id(std::string_view key) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  const auto n = parse_int(v->text, 1, std::numeric_limits<std::int64_t>::max());
  if (!n) report(key, with_value(*v) + " is not a positive whole number");
  return n;
}

std::optional<std::chrono::milliseconds> key_reader::read_seconds(std::string_view key,
                                                                  std::int64_t max_seconds) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  const auto t = parse_seconds(v->text, max_seconds);
  if (!t) {
    report(key,
           with_value(*v) + " is not a number of seconds (more than 0, at most " + std::to_string(max_seconds) + ")");
  }
  return t;
}

std::optional<std::size_t> key_reader::choice_index(std::string_view key,
                                                    const std::vector<std::string_view>& names) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  std::string listed;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (iequals(v->text, names[i])) return i;
    listed += (i == 0 ? "" : ", ") + std::string(names[i]);
  }
  report(key, with_value(*v) + " is not one of " + listed);
  return std::nullopt;
}

std::optional<std::string> key_reader::read_project_code(std::string_view key, std::size_t max_length) const {
  const raw_value* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (valid_code(v->text, 2, max_length)) return v->text;
  report(key, with_value(*v) + " is not a project code (2 to " + std::to_string(max_length) + " letters or digits)");
  return std::nullopt;
}

}  // namespace gtest_tms::detail

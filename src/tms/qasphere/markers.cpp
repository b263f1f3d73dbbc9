#include "tms/qasphere/markers.hpp"

#include <cstddef>
#include <vector>

#include "util/text.hpp"

// Hand-written scanning instead of std::regex: linear time, no recursion, no exceptions, and the
// lookbehinds of the CLI's patterns are plain index checks. Every index is bounds-checked, so any
// byte sequence (invalid UTF-8, NULs) is safe.

namespace gtest_tms::detail {

namespace {

// ASCII only and locale-free: <cctype> is UB for negative chars and depends on the locale.
bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_letter(char c) noexcept { return is_upper(c) || is_lower(c); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alnum(char c) noexcept { return is_letter(c) || is_digit(c); }
char to_upper(char c) noexcept { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_upper(c);
  return out;
}

bool letters_only(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_letter(c)) return false;
  }
  return true;
}

std::size_t digit_run_end(std::string_view s, std::size_t from) noexcept {
  while (from < s.size() && is_digit(s[from])) ++from;
  return from;
}

std::size_t letter_run_end(std::string_view s, std::size_t from) noexcept {
  while (from < s.size() && is_letter(s[from])) ++from;
  return from;
}

/// The seq of a digit run, or -1 when it does not fit an int (more than 9 significant digits:
/// no real project has a billion cases, and it keeps the arithmetic free of overflow).
int parse_seq(std::string_view digits) noexcept {
  return static_cast<int>(parse_int(digits, 0, 999'999'999).value_or(-1));
}

/// One match of one form: the span the CLI's regex would cover (for its start / end / anywhere
/// priority) and what it found.
struct candidate {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view code;
  int seq = -1;
};

/// The CLI tries a pattern anchored at the start, then at the end, then anywhere (leftmost).
std::optional<candidate> pick(const std::vector<candidate>& found, std::size_t size) {
  for (const candidate& c : found) {
    if (c.begin == 0) return c;
  }
  for (const candidate& c : found) {
    if (c.end == size) return c;
  }
  if (!found.empty()) return found.front();
  return std::nullopt;
}

bool code_fits(std::string_view found, std::string_view wanted, std::size_t max_len) noexcept {
  if (wanted.empty()) return !found.empty() && found.size() <= max_len;
  return iequals(found, wanted);
}

// (?<![A-Za-z0-9])([A-Za-z0-9]{1,5})-(\d{3,})(?!\d)
std::optional<candidate> find_hyphenated(std::string_view s, std::string_view code) {
  std::vector<candidate> found;
  for (std::size_t h = 1; h < s.size(); ++h) {
    if (s[h] != '-') continue;
    std::size_t b = h;
    while (b > 0 && is_alnum(s[b - 1])) --b;
    const std::size_t e = digit_run_end(s, h + 1);
    if (e - (h + 1) < 3) continue;
    const std::string_view c = s.substr(b, h - b);
    if (!code_fits(c, code, 5)) continue;
    const int seq = parse_seq(s.substr(h + 1, e - h - 1));
    if (seq < 0) continue;
    found.push_back({b, e, c, seq});
  }
  return pick(found, s.size());
}

// (?:^|_)([A-Za-z]{1,5})(\d{3,})(?:$|_)
std::optional<candidate> find_underscored(std::string_view s, std::string_view code) {
  std::vector<candidate> found;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && s[i - 1] != '_') continue;
    const std::size_t l = letter_run_end(s, i);
    const std::size_t e = digit_run_end(s, l);
    if (l == i || e - l < 3) continue;
    if (e != s.size() && s[e] != '_') continue;
    const std::string_view c = s.substr(i, l - i);
    if (!code_fits(c, code, 5)) continue;
    const int seq = parse_seq(s.substr(l, e - l));
    if (seq < 0) continue;
    found.push_back({i > 0 ? i - 1 : 0, e < s.size() ? e + 1 : e, c, seq});
  }
  return pick(found, s.size());
}

// ^[tT][eE][sS][tT]([A-Za-z]{1,5})(\d{3,})(?=[A-Z]|$)   (the caller checked the "test" prefix)
std::optional<candidate> find_camel_start(std::string_view s, std::string_view code) {
  const std::size_t l = letter_run_end(s, 4);
  const std::size_t e = digit_run_end(s, l);
  if (l == 4 || e - l < 3) return std::nullopt;
  if (e != s.size() && !is_upper(s[e])) return std::nullopt;
  const std::string_view c = s.substr(4, l - 4);
  if (!code_fits(c, code, 5)) return std::nullopt;
  const int seq = parse_seq(s.substr(l, e - l));
  if (seq < 0) return std::nullopt;
  return candidate{0, e, c, seq};
}

// Detection: (?<=[a-z])([A-Z][A-Za-z]{0,4})(\d{3,})$ ; with a code: (?<=[a-z])CODE(\d{3,})$
std::optional<candidate> find_camel_end(std::string_view s, std::string_view code) {
  std::size_t d = s.size();
  while (d > 0 && is_digit(s[d - 1])) --d;
  if (s.size() - d < 3 || d == 0) return std::nullopt;
  const int seq = parse_seq(s.substr(d));
  if (seq < 0) return std::nullopt;
  if (!code.empty()) {
    if (d < code.size() + 1) return std::nullopt;
    const std::size_t i = d - code.size();
    if (!is_lower(s[i - 1]) || !iequals(s.substr(i, code.size()), code)) return std::nullopt;
    return candidate{i, s.size(), s.substr(i, code.size()), seq};
  }
  // Leftmost start first, as the regex engine scans.
  const std::size_t first = d > 5 ? d - 5 : 1;
  for (std::size_t i = first; i < d; ++i) {
    bool letters = true;
    for (std::size_t k = i; k < d; ++k) letters = letters && is_letter(s[k]);
    if (letters && is_upper(s[i]) && is_lower(s[i - 1])) return candidate{i, s.size(), s.substr(i, d - i), seq};
  }
  return std::nullopt;
}

bool starts_with_test(std::string_view s) noexcept { return s.size() >= 4 && iequals(s.substr(0, 4), "test"); }

}  // namespace

std::string marker::text() const {
  std::string digits = std::to_string(seq);
  if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
  return project + "-" + digits;
}

std::string_view marker_subject(std::string_view test_name) noexcept {
  constexpr std::string_view disabled = "DISABLED_";
  if (test_name.substr(0, disabled.size()) == disabled) test_name.remove_prefix(disabled.size());
  const std::size_t slash = test_name.find('/');
  if (slash != std::string_view::npos) test_name = test_name.substr(0, slash);
  return test_name;
}

std::optional<marker> extract_marker(std::string_view test_name, std::string_view project_code) {
  const std::string_view s = marker_subject(test_name);
  auto make = [](const candidate& c) { return marker{upper(c.code), c.seq}; };

  if (auto c = find_hyphenated(s, project_code)) return make(*c);

  // Hyphen-free forms: only for test-function-like names and letters-only codes ("BD026123" would
  // be ambiguous for a code with digits).
  if (!starts_with_test(s)) return std::nullopt;
  if (!project_code.empty() && !letters_only(project_code)) return std::nullopt;

  if (auto c = find_underscored(s, project_code)) return make(*c);
  if (auto c = find_camel_start(s, project_code)) return make(*c);
  if (auto c = find_camel_end(s, project_code)) return make(*c);
  return std::nullopt;
}

}  // namespace gtest_tms::detail

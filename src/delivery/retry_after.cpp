#include "delivery/retry_after.hpp"

#include <array>

#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {
namespace {

constexpr std::array<std::string_view, 7> wkday = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> weekday = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                     "Friday", "Saturday", "Sunday"};
constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A tiny cursor over the input; every read is bounds-checked.
struct cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const noexcept { return i >= s.size(); }
  bool lit(std::string_view t) noexcept {
    if (s.substr(i, t.size()) != t) return false;
    i += t.size();
    return true;
  }
  // Exactly n digits (n <= 4).
  bool digits(std::size_t n, int& out) noexcept {
    if (s.size() - i < n || !is_digit(s[i])) return false;  // no sign
    const auto v = parse_int(s.substr(i, n), 0, 9999);
    if (!v) return false;
    i += n;
    out = static_cast<int>(*v);
    return true;
  }
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) noexcept {
    for (std::size_t k = 0; k < N; ++k) {
      if (lit(names[k])) {
        index = static_cast<int>(k);
        return true;
      }
    }
    return false;
  }
};

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) noexcept {
  static constexpr std::array<int, 12> d = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : d[static_cast<std::size_t>(m - 1)];
}

// "HH:MM:SS"; a leap second (60) is accepted and counted as 59.
bool time_of_day(cursor& c, int& h, int& m, int& s) noexcept {
  if (!c.digits(2, h) || !c.lit(":") || !c.digits(2, m) || !c.lit(":") || !c.digits(2, s)) return false;
  if (h > 23 || m > 59 || s > 60) return false;
  if (s == 60) s = 59;
  return true;
}

std::optional<std::int64_t> to_epoch_ms(int y, int mon, int d, int h, int m, int s) noexcept {
  if (mon < 1 || mon > 12 || d < 1 || d > days_in_month(y, mon)) return std::nullopt;
  const std::int64_t days = days_from_civil(y, mon, d);  // y is 0..9999: no overflow anywhere here
  return ((days * 24 + h) * 60 + m) * 60'000 + static_cast<std::int64_t>(s) * 1000;
}

// IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> imf_fixdate(std::string_view v) noexcept {
  cursor c{v};
  int wd = 0, d = 0, mon = 0, y = 0, h = 0, m = 0, s = 0;
  if (!c.one_of(wkday, wd) || !c.lit(", ") || !c.digits(2, d) || !c.lit(" ") || !c.one_of(months, mon) || !c.lit(" ") ||
      !c.digits(4, y) || !c.lit(" ") || !time_of_day(c, h, m, s) || !c.lit(" GMT") || !c.done())
    return std::nullopt;
  return to_epoch_ms(y, mon + 1, d, h, m, s);
}

// RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> rfc850_date(std::string_view v, std::int64_t now_ms) noexcept {
  cursor c{v};
  int wd = 0, d = 0, mon = 0, yy = 0, h = 0, m = 0, s = 0;
  if (!c.one_of(weekday, wd) || !c.lit(", ") || !c.digits(2, d) || !c.lit("-") || !c.one_of(months, mon) ||
      !c.lit("-") || !c.digits(2, yy) || !c.lit(" ") || !time_of_day(c, h, m, s) || !c.lit(" GMT") || !c.done())
    return std::nullopt;
  // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
  // "now" is clamped to 0..9999 so that hostile clocks cannot push the year out of range.
  std::int64_t now_year = to_civil(now_ms).year;
  if (now_year < 100) now_year = 100;
  if (now_year > 9899) now_year = 9899;
  std::int64_t year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) year -= 100;
  return to_epoch_ms(static_cast<int>(year), mon + 1, d, h, m, s);
}

// asctime: "Sun Nov  6 08:49:37 1994" (day is space-padded; two digits also accepted)
std::optional<std::int64_t> asctime_date(std::string_view v) noexcept {
  cursor c{v};
  int wd = 0, d = 0, mon = 0, y = 0, h = 0, m = 0, s = 0;
  if (!c.one_of(wkday, wd) || !c.lit(" ") || !c.one_of(months, mon) || !c.lit(" ")) return std::nullopt;
  if (c.lit(" ")) {
    if (!c.digits(1, d)) return std::nullopt;
  } else if (!c.digits(2, d)) {
    return std::nullopt;
  }
  if (!c.lit(" ") || !time_of_day(c, h, m, s) || !c.lit(" ") || !c.digits(4, y) || !c.done()) return std::nullopt;
  return to_epoch_ms(y, mon + 1, d, h, m, s);
}

std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_http_date(std::string_view value, std::int64_t now_epoch_ms) noexcept {
  value = trim_ows(value);
  if (auto t = imf_fixdate(value)) return t;
  if (auto t = rfc850_date(value, now_epoch_ms)) return t;
  return asctime_date(value);
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_epoch_ms) noexcept {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (is_digit(value.front())) {
    // Delay-seconds; a huge number saturates. Not all digits: no HTTP-date starts with a digit either.
    parse_int_error why{};
    const auto secs = parse_int(value, 0, retry_after_max_seconds, &why);
    if (secs) return std::chrono::milliseconds(*secs * 1000);
    if (why == parse_int_error::above_range) return std::chrono::milliseconds(retry_after_max_seconds * 1000);
    return std::nullopt;
  }
  const auto when = parse_http_date(value, now_epoch_ms);
  if (!when) return std::nullopt;
  std::int64_t delta = 0;
  if (__builtin_sub_overflow(*when, now_epoch_ms, &delta)) {
    // Only possible for a "now" near INT64_MIN/MAX: the date is then far ahead or far behind.
    delta = now_epoch_ms < 0 ? retry_after_max_seconds * 1000 : 0;
  }
  if (delta <= 0) return std::chrono::milliseconds(0);
  if (delta > retry_after_max_seconds * 1000) delta = retry_after_max_seconds * 1000;
  return std::chrono::milliseconds(delta);
}

}  // namespace gtest_tms::detail

#include "util/time_format.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace gtest_tms::detail {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;
constexpr std::int64_t days_per_era = 146'097;  // days in 400 Gregorian years
constexpr std::array<const char*, 12> month_abbr = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  // b > 0; no overflow because b > 1.
  std::int64_t q = a / b;
  if ((a % b) < 0) --q;
  return q;
}

std::string two_digits(std::int64_t v) {
  char buf[8];
  (void)std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(v % 100 < 0 ? -(v % 100) : v % 100));
  return buf;
}

std::string year_text(std::int64_t y) {
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(y));
  return buf;
}

}  // namespace

// The calendar is std::chrono's. Its year covers only -32767..32767, and int64 milliseconds span
// +-292 million years, so whole 400-year eras (the Gregorian cycle: exactly 146097 days) are taken off
// before chrono sees a date and added back after.

std::int64_t days_from_civil(std::int64_t y, int m, int d) noexcept {
  using namespace std::chrono;
  const std::int64_t era = floor_div(y, 400);
  const year_month_day date{year{static_cast<int>(y - era * 400)}, month{static_cast<unsigned>(m)},
                            day{static_cast<unsigned>(d)}};
  return era * days_per_era + sys_days{date}.time_since_epoch().count();
}

civil_time to_civil(std::int64_t epoch_ms) noexcept {
  using namespace std::chrono;
  // Floor division without ever forming days * ms_per_day (which overflows near INT64_MIN; so does
  // chrono's floor<days> there).
  std::int64_t day_count = epoch_ms / ms_per_day;  // |day_count| < 1.1e11
  std::int64_t rem = epoch_ms % ms_per_day;
  if (rem < 0) {
    rem += ms_per_day;
    --day_count;
  }
  civil_time t;
  const hh_mm_ss<milliseconds> tod{milliseconds{rem}};
  t.hour = static_cast<int>(tod.hours().count());
  t.minute = static_cast<int>(tod.minutes().count());
  t.second = static_cast<int>(tod.seconds().count());
  t.millisecond = static_cast<int>(tod.subseconds().count());
  const std::int64_t era = floor_div(day_count, days_per_era);
  const year_month_day date{sys_days{days{day_count - era * days_per_era}}};  // 1970-01-01 .. 2369-12-31
  t.year = static_cast<int>(date.year()) + era * 400;
  t.month = static_cast<int>(static_cast<unsigned>(date.month()));
  t.day = static_cast<int>(static_cast<unsigned>(date.day()));
  return t;
}

std::string qase_datetime_utc(std::int64_t epoch_ms) {
  const civil_time t = to_civil(epoch_ms);
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d %02d:%02d:%02d", static_cast<long long>(t.year), t.month,
                      t.day, t.hour, t.minute, t.second);
  return buf;
}

std::string iso8601_utc(std::int64_t epoch_ms) {
  const civil_time t = to_civil(epoch_ms);
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<long long>(t.year), t.month,
                      t.day, t.hour, t.minute, t.second, t.millisecond);
  return buf;
}

std::int64_t now_epoch_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int local_utc_offset_minutes(std::int64_t epoch_ms) noexcept {
  const std::time_t secs = static_cast<std::time_t>(floor_div(epoch_ms, 1000));
  std::tm local{};
  if (localtime_r(&secs, &local) == nullptr) return 0;
  const long off = local.tm_gmtoff / 60;  // glibc/BSD extension
  return (off > -24L * 60 && off < 24L * 60) ? static_cast<int>(off) : 0;
}

std::string format_run_title(std::string_view tmpl, std::int64_t epoch_ms, const env_lookup& env,
                             int utc_offset_minutes) {
  if (tmpl.empty()) tmpl = default_run_title_template;
  // Shift without overflow: clamp the offset to a day and saturate near the int64 edges.
  std::int64_t off_ms = static_cast<std::int64_t>(utc_offset_minutes) * 60'000;
  if (off_ms > ms_per_day) off_ms = ms_per_day;
  if (off_ms < -ms_per_day) off_ms = -ms_per_day;
  std::int64_t shifted = 0;
  if (__builtin_add_overflow(epoch_ms, off_ms, &shifted)) shifted = epoch_ms;
  const civil_time t = to_civil(shifted);

  std::string out;
  out.reserve(tmpl.size() + 16);
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] != '{') {
      out.push_back(tmpl[i++]);
      continue;
    }
    const auto close = tmpl.find('}', i + 1);
    if (close == std::string_view::npos) {
      out.append(tmpl.substr(i));
      break;
    }
    const std::string_view key = tmpl.substr(i + 1, close - i - 1);
    const std::string_view whole = tmpl.substr(i, close - i + 1);
    if (key.find('{') != std::string_view::npos) {
      // "{a{YYYY}": the first brace is literal text; restart at the inner one.
      out.push_back('{');
      ++i;
      continue;
    }
    const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
    if (key == "YYYY") {
      out.append(year_text(t.year));
    } else if (key == "YY") {
      out.append(two_digits(t.year));
    } else if (key == "MMM") {
      out.append(month_abbr[static_cast<std::size_t>(t.month - 1)]);
    } else if (key == "MM") {
      out.append(two_digits(t.month));
    } else if (key == "DD") {
      out.append(two_digits(t.day));
    } else if (key == "HH") {
      out.append(two_digits(t.hour));
    } else if (key == "hh") {
      out.append(two_digits(hour12));
    } else if (key == "mm") {
      out.append(two_digits(t.minute));
    } else if (key == "ss") {
      out.append(two_digits(t.second));
    } else if (key == "AMPM") {
      out.append(t.hour < 12 ? "AM" : "PM");
    } else if (key.substr(0, 4) == "env:" && key.size() > 4 && env) {
      std::optional<std::string> value;
      try {
        value = env(std::string(key.substr(4)));
      } catch (...) {
        value.reset();
      }
      if (value) {
        out.append(*value);
      } else {
        out.append(whole);
      }
    } else {
      out.append(whole);
    }
    i = close + 1;
  }
  return out;
}

}  // namespace gtest_tms::detail

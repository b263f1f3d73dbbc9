#pragma once
// Time formatting for the APIs (Qase wants "YYYY-MM-DD HH:MM:SS" UTC for run start times) and the
// QA Sphere CLI's run-title template. Pure arithmetic on Unix epoch milliseconds: no locale, no
// time-zone database, defined for every int64 input.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gtest_tms::detail {

/// Same type as in config/config.hpp (a repeated alias declaration of the same type is allowed);
/// kept here so util/ does not depend on config/.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// "YYYY-MM-DD HH:MM:SS" in UTC (proleptic Gregorian; years outside 0..9999 print as plain numbers).
std::string qase_datetime_utc(std::int64_t epoch_ms);

/// "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string iso8601_utc(std::int64_t epoch_ms);

/// Wall-clock time now, Unix epoch milliseconds.
std::int64_t now_epoch_ms() noexcept;

/// Offset of local time from UTC at `epoch_ms`, in minutes (0 when it cannot be determined).
int local_utc_offset_minutes(std::int64_t epoch_ms) noexcept;

/// The QA Sphere CLI's default run title template.
inline constexpr std::string_view default_run_title_template =
    "Automated test run - {MMM} {DD}, {YYYY}, {hh}:{mm}:{ss} {AMPM}";

/// Expands the CLI placeholders {env:VAR} {YYYY} {YY} {MMM} {MM} {DD} {HH} {hh} {mm} {ss} {AMPM}
/// in `template_or_empty` (the default template when empty) for the time `epoch_ms` shifted by
/// `utc_offset_minutes` (0 = UTC; pass local_utc_offset_minutes() for local time as the CLI does).
/// Unknown placeholders and unset variables stay literal, as in the CLI. `env` may be empty.
std::string format_run_title(std::string_view template_or_empty, std::int64_t epoch_ms, const env_lookup& env = {},
                             int utc_offset_minutes = 0);

/// Broken-down UTC civil time, exposed for the HTTP-date parser and the tests.
struct civil_time {
  std::int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0, minute = 0, second = 0, millisecond = 0;
};
civil_time to_civil(std::int64_t epoch_ms) noexcept;

/// Days since 1970-01-01 for a proleptic Gregorian date. `year` must be within +-1e12 (no overflow),
/// `month` 1..12 and `day` 1..31 (a day past the end of the month counts on into the next one).
std::int64_t days_from_civil(std::int64_t year, int month, int day) noexcept;

}  // namespace gtest_tms::detail

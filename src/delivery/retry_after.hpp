#pragma once
// Parsing of the HTTP Retry-After header (RFC 9110 §10.2.3). A fuzzing target: defined behaviour
// and no exceptions for every input.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gtest_tms::detail {

/// Largest delay reported, as RFC 9110 §1.2 suggests for delta-seconds overflow (2^31 s).
inline constexpr std::int64_t retry_after_max_seconds = 2147483648LL;

/// `value` is the header field value (surrounding spaces/tabs allowed). Accepts delta-seconds (digits
/// only; larger than retry_after_max_seconds saturates) or an HTTP-date in IMF-fixdate, obsolete
/// RFC 850 or asctime form, taken relative to `now_epoch_ms`; a date in the past gives 0.
/// Returns nullopt for anything else (empty, negative, signs, fractions, bad dates). The caller
/// applies its own cap (e.g. 120 s).
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_epoch_ms) noexcept;

/// The HTTP-date part alone: epoch milliseconds of the date, or nullopt. RFC 850 two-digit years
/// are resolved against `now_epoch_ms` (more than 50 years ahead means the previous century).
std::optional<std::int64_t> parse_http_date(std::string_view value, std::int64_t now_epoch_ms) noexcept;

}  // namespace gtest_tms::detail

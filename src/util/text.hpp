#pragma once
// Small text helpers shared by the backends and the console output. All of them accept arbitrary
// bytes (test output is hostile: invalid UTF-8, terminal colour codes, megabytes of logs) and never throw
// anything but std::bad_alloc.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gtest_tms::detail {

/// Replaces every ill-formed UTF-8 subsequence (stray continuation bytes, truncated sequences,
/// overlong forms, surrogates, values above U+10FFFF) with U+FFFD, one per maximal subpart as the
/// Unicode standard recommends. Valid input comes back unchanged.
std::string sanitize_utf8(std::string_view in);

/// Removes terminal escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), the other
/// string controls (DCS, SOS, PM, APC) and two/three-byte ESC sequences. An unterminated string control
/// ends at the next newline so a stray "ESC ]" cannot swallow a whole log.
std::string strip_ansi(std::string_view in);

/// Returns `in` unchanged when it fits in `max_bytes`; otherwise a prefix plus `marker` whose total
/// size is at most `max_bytes`. The cut never splits a UTF-8 code point. When the marker itself does
/// not fit, the result is a bare prefix.
std::string truncate_utf8(std::string_view in, std::size_t max_bytes,
                          std::string_view marker = "\xE2\x80\xA6 [truncated]");

/// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view in);

/// strip_ansi + sanitize_utf8 + truncate_utf8: what any free text from a test goes through before
/// it is sent anywhere.
std::string clean_text(std::string_view in, std::size_t max_bytes);

/// Removes leading and trailing ASCII whitespace.
std::string_view trim(std::string_view in);

/// Splits on `sep`, trims each item and drops empty ones: " a, ,b ," -> {"a", "b"}.
std::vector<std::string> split_list(std::string_view in, char sep);

/// The items joined by `sep`: {"a", "b"} -> "a,b".
std::string join(const std::vector<std::string>& items, char sep);

/// For debug output only: first 3 + "****" + last 4 characters; "****" when the secret has 7 bytes
/// or fewer, or contains anything but printable ASCII.
std::string mask_secret(std::string_view secret);

/// ASCII case-insensitive comparison.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// ASCII lower-casing; other bytes are left alone.
std::string to_lower(std::string_view in);

/// Why parse_int refused a text.
enum class parse_int_error { not_an_integer, below_range, above_range };

/// The one integer parser: an optional '+' or '-', then ASCII decimal digits, nothing else (no blanks:
/// trim first; "1.0", "1e3", "0x10", "+" and "" are not integers). Locale-independent. nullopt when the
/// text is not an integer or its value is outside [lo, hi]; `error` (when given) says which, and digits of
/// any length count as a number, so "99999999999999999999" is above_range, not not_an_integer.
std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t lo, std::int64_t hi,
                                      parse_int_error* error = nullptr) noexcept;

/// "1 result", "3 results": a count with its noun.
std::string plural(std::size_t n, const char* one, const char* many);

/// A TCP port as URLs write it: 1 to 5 digits (no sign), 1..65535.
std::optional<std::uint16_t> parse_port(std::string_view text) noexcept;

}  // namespace gtest_tms::detail

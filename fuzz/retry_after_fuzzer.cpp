// Retry-After parsing. Input: 8 bytes of "now" (little-endian epoch ms, any int64 including the
// extremes), then the header value.
// Invariants: a delay is within [0, retry_after_max_seconds]; a date that parses gives a delay that
// is consistent with it (0 when in the past).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "delivery/retry_after.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gtest_tms::detail;
  if (size < 8) return 0;
  std::uint64_t raw = 0;
  for (int i = 7; i >= 0; --i) raw = (raw << 8) | data[i];
  std::int64_t now = 0;
  std::memcpy(&now, &raw, sizeof now);
  const std::string_view value(reinterpret_cast<const char*>(data) + 8, size - 8);

  const auto delay = parse_retry_after(value, now);
  const auto date = parse_http_date(value, now);
  if (delay) {
    FUZZ_CHECK(delay->count() >= 0 && delay->count() <= retry_after_max_seconds * 1000, std::to_string(delay->count()));
  }
  if (date && delay && *date <= now) FUZZ_CHECK(delay->count() == 0, std::to_string(delay->count()));
  // A bare number is never a date.
  if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
    FUZZ_CHECK(!date, std::string(value));
  }
  return 0;
}

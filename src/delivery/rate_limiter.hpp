#pragma once
// One system's request budget: a token bucket (at most `burst` requests at once, `per_second` on
// average, so never more than burst + per_second * t in any t seconds) and a pause after a 429 or
// 503 that said how long to wait. The pipeline asks it before every request.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

#include "delivery/backend.hpp"

namespace gtest_tms::detail {

class rate_limiter {
 public:
  using clock_type = std::chrono::steady_clock;

  explicit rate_limiter(rate_limit limit, clock_type::time_point now = clock_type::now())
      : limit_(limit), tokens_(limit.burst), refilled_(now) {}

  /// How long until a request may go (zero: now; take() it then).
  std::chrono::milliseconds wait(clock_type::time_point now) {
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(limit_.burst, tokens_ + elapsed * limit_.per_second);
    refilled_ = now;
    if (now < paused_until_)
      return std::chrono::duration_cast<std::chrono::milliseconds>(paused_until_ - now) + std::chrono::milliseconds(1);
    if (tokens_ < 1.0)
      return std::chrono::milliseconds(
          static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / limit_.per_second * 1000.0)));
    return std::chrono::milliseconds(0);
  }

  void take() { tokens_ -= 1.0; }

  /// The server asked for a break (429 / 503 with a delay): nothing goes before `until`.
  void pause_until(clock_type::time_point until) { paused_until_ = std::max(paused_until_, until); }

 private:
  rate_limit limit_;
  double tokens_;
  clock_type::time_point refilled_;
  clock_type::time_point paused_until_{};
};

}  // namespace gtest_tms::detail

#pragma once
// One system's request budget: a token bucket (at most `burst` requests at once, `per_second` on
// average, so never more than burst + per_second * t in any t seconds) or a sliding window (never
// more than `burst` in any burst / per_second seconds), and a pause after a 429 or 503 that said
// how long to wait. The pipeline asks it before every request.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>

#include "delivery/backend.hpp"

namespace gtest_tms::detail {

class rate_limiter {
 public:
  using clock_type = std::chrono::steady_clock;

  explicit rate_limiter(rate_limit limit, clock_type::time_point now = clock_type::now())
      : limit_(limit), tokens_(limit.burst), refilled_(now) {}

  /// How long until a request may go (zero: now; take() it then).
  std::chrono::milliseconds wait(clock_type::time_point now) {
    if (now < paused_until_)
      return std::chrono::duration_cast<std::chrono::milliseconds>(paused_until_ - now) + std::chrono::milliseconds(1);
    if (limit_.sliding) return window_wait(now);
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(limit_.burst, tokens_ + elapsed * limit_.per_second);
    refilled_ = now;
    if (tokens_ < 1.0)
      return std::chrono::milliseconds(
          static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / limit_.per_second * 1000.0)));
    return std::chrono::milliseconds(0);
  }

  /// A request goes now (after a zero wait()).
  void take(clock_type::time_point now) {
    if (!limit_.sliding) {
      tokens_ -= 1.0;
      return;
    }
    sent_.push_back(now);
    while (sent_.size() > window_count()) sent_.pop_front();
  }

  /// The server asked for a break (429 / 503 with a delay): nothing goes before `until`.
  void pause_until(clock_type::time_point until) { paused_until_ = std::max(paused_until_, until); }

 private:
  std::size_t window_count() const { return static_cast<std::size_t>(std::max(1.0, limit_.burst)); }
  clock_type::duration window() const {
    return std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(static_cast<double>(window_count()) / limit_.per_second));
  }
  std::chrono::milliseconds window_wait(clock_type::time_point now) const {
    if (sent_.size() < window_count()) return std::chrono::milliseconds(0);
    const auto free_at = sent_.front() + window();  // the oldest of the last `burst` leaves the window
    if (now >= free_at) return std::chrono::milliseconds(0);
    return std::chrono::ceil<std::chrono::milliseconds>(free_at - now);
  }

  rate_limit limit_;
  std::deque<clock_type::time_point> sent_;  // sliding: the last `burst` requests' times
  double tokens_;
  clock_type::time_point refilled_;
  clock_type::time_point paused_until_{};
};

}  // namespace gtest_tms::detail

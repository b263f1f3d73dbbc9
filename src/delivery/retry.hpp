#pragma once
// The retry policy, once for every system: which failed responses are tried again, and after how
// long (Retry-After when the server says, else exponential backoff with jitter).

#include <chrono>
#include <string>

#include "net/transport.hpp"

namespace gtest_tms::detail {

struct retry_policy {
  int max_retries = 3;  // retries after the first attempt
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{30000};
  std::chrono::milliseconds retry_after_cap{120000};
};

/// Whether a final response may be retried: transport errors when it is safe, 408, 429, 5xx but
/// 501 and 507, and an unconfirmed 2xx when idempotent. `idempotent`: resending cannot duplicate anything, even after
/// the server read it.
bool is_retryable(const http_response& response, bool idempotent);

/// 429 or 503: the server asks every request to wait (its Retry-After, or the backoff), not only
/// this one, so the rate limiter pauses and a backlog held up by it is reported as rate-limited.
inline bool asks_for_a_break(const http_response& response) { return response.status == 429 || response.status == 503; }

/// Delay before retry number `attempt` (0-based): Retry-After when given, capped, else
/// base * 2^attempt capped, plus up to 20 % jitter (`jitter01` in [0, 1]).
std::chrono::milliseconds retry_delay(int attempt, const std::string& retry_after_header, const retry_policy& policy,
                                      double jitter01);

}  // namespace gtest_tms::detail

#include "delivery/retry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "delivery/retry_after.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

bool is_retryable(const http_response& response, bool idempotent) {
  // The server may have stored what it did not confirm: only an idempotent request is resent.
  if (response.unconfirmed) return idempotent;
  if (response.error != net_error::none) {
    switch (response.error) {
      case net_error::bad_url:
      case net_error::tls:  // a refused certificate does not heal by itself
      case net_error::cancelled:
      case net_error::too_large:
        return false;
      default:
        // Without an idempotency key, a request the server may have processed is not resent.
        return idempotent || !response.request_sent;
    }
  }
  const int s = response.status;
  return s == 408 || s == 429 || (s >= 500 && s != 507 && s != 501);
}

std::chrono::milliseconds retry_delay(int attempt, const std::string& retry_after_header, const retry_policy& policy,
                                      double jitter01) {
  if (!retry_after_header.empty()) {
    if (auto d = parse_retry_after(retry_after_header, now_epoch_ms())) {
      return std::min(*d, policy.retry_after_cap);
    }
  }
  const double base = static_cast<double>(policy.backoff_base.count()) * std::pow(2.0, std::min(attempt, 20));
  const double capped = std::min(base, static_cast<double>(policy.backoff_cap.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * (1.0 + 0.2 * std::clamp(jitter01, 0.0, 1.0))));
}

}  // namespace gtest_tms::detail

// Plain parts of the network seam (no Boost): error names and the response header lookup.
#include "net/transport.hpp"

#include "util/text.hpp"

namespace gtest_tms::detail {

const char* to_string(net_error e) noexcept {
  switch (e) {
    case net_error::none:
      return "none";
    case net_error::bad_url:
      return "bad_url";
    case net_error::resolve:
      return "resolve";
    case net_error::connect:
      return "connect";
    case net_error::tls:
      return "tls";
    case net_error::proxy:
      return "proxy";
    case net_error::timeout:
      return "timeout";
    case net_error::reset:
      return "reset";
    case net_error::protocol:
      return "protocol";
    case net_error::too_large:
      return "too_large";
    case net_error::cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string http_response::header(const std::string& name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

}  // namespace gtest_tms::detail

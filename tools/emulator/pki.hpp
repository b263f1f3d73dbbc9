#pragma once
// Test-time certificates: a CA and leaf certificates signed by it, made with OpenSSL in memory.
// Used by the local TMS emulator and by the TLS tests; never by the reporter itself.

#include <string>
#include <vector>

namespace gtest_tms::detail::pki {

struct key_and_cert {
  std::string key_pem;
  std::string cert_pem;
};

struct leaf_request {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names{"localhost"};
  std::vector<std::string> ip_addresses{"127.0.0.1"};
  int not_before_days = -1;  // relative to now; negative is in the past
  int not_after_days = 30;   // set both negative for an expired certificate
};

/// A self-signed CA (EC P-256). Throws std::runtime_error on OpenSSL failure.
key_and_cert make_ca(const std::string& common_name);
/// A server certificate signed by `issuer`. Throws std::runtime_error on OpenSSL failure.
key_and_cert make_leaf(const key_and_cert& issuer, const leaf_request& request);

}  // namespace gtest_tms::detail::pki

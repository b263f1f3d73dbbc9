// NO_PROXY matching and proxy URL parsing. Input: 2 bytes of port (big-endian), then the NO_PROXY
// value, a '\n', then the host. The NO_PROXY value is also parsed as a proxy URL.
// Invariants: `*` matches every host not empty after trimming (and dropping a trailing dot); appending "," or
// upper-casing (ASCII) both sides never changes a decision; select_proxy agrees with no_proxy_matches; errors are one
// line; a parsed proxy URL has a host and a port, and its authority() parses back to the same host and port.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "net/no_proxy.hpp"
#include "util/text.hpp"

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gtest_tms::detail;
  if (size < 2) return 0;
  const auto port = static_cast<unsigned short>((data[0] << 8) | data[1]);
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto nl = in.find('\n');
  const std::string_view list = in.substr(0, nl);
  const std::string_view host = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);

  const bool m = no_proxy_matches(list, host, port);
  FUZZ_CHECK(no_proxy_matches(std::string(list) + ",", host, port) == m, std::string(in));
  FUZZ_CHECK(no_proxy_matches(upper(list), upper(host), port) == m, std::string(in));
  std::string_view bare = trim(host);
  if (!bare.empty() && bare.back() == '.') bare.remove_suffix(1);
  if (!bare.empty()) FUZZ_CHECK(no_proxy_matches("*", host, port), std::string(host));
  FUZZ_CHECK(select_proxy("http://proxy:3128", std::string(list), host, port).empty() == m, std::string(in));

  proxy_url_parts parts;
  std::string error;
  if (parse_proxy_url(list, parts, error)) {
    FUZZ_CHECK(!parts.host.empty() && parts.port != 0, std::string(list));
    FUZZ_CHECK(parts.has_credentials || (parts.user.empty() && parts.password.empty()), std::string(list));
    proxy_url_parts again;
    std::string error2;
    FUZZ_CHECK(parse_proxy_url("http://" + parts.authority(), again, error2), parts.authority() + " " + error2);
    FUZZ_CHECK(again.host == parts.host && again.port == parts.port, parts.authority());
  } else {
    FUZZ_CHECK(!error.empty() && gtest_tms::fuzz::one_line(error), error);
  }
  return 0;
}

#pragma once
// Proxy selection without sockets: curl's NO_PROXY matching and the proxy URL (HTTPS_PROXY & co.)
// split into the parts a CONNECT tunnel needs. Pure C++ (Boost.URL only): no Asio/Beast, so the
// fuzzers and unit tests build it directly. All functions accept arbitrary bytes and never throw
// anything but std::bad_alloc.
//
// NO_PROXY rules (curl >= 7.86, lib/noproxy.c, plus two documented extensions):
// - Entries are separated by commas and/or blanks (space, tab, CR, LF); each is trimmed. Empty
//   entries and entries that cannot be parsed are ignored (never an error: it is a hint list).
// - Matching is ASCII case-insensitive. One trailing dot is ignored on the host and on the entry.
// - `*` as an entry matches every host. (curl honours `*` only as the whole value; a list such as
//   "localhost,*" matches everything here, as in Go's net/http.)
// - `example.com`, `.example.com` and (extension, as Go and wget) `*.example.com` all match
//   example.com and every subdomain (www.example.com), never nonexample.com.
// - IPv4 and IPv6 literal entries (IPv6 bare `::1` or in brackets `[::1]`) match the same address
//   as the host, compared as addresses (so `::1` matches `0:0::1`), never by DNS.
// - CIDR entries `10.0.0.0/8`, `::1/128` (also `[::1]/128`) match IP hosts inside the range.
// - Extension (as Go): `host:port` / `[v6]:port` / `1.2.3.4:port` match only that port; without a
//   port an entry matches every port. A CIDR entry has no port.
// - A host name never matches an IP entry or vice versa (no resolution). IPv4-mapped IPv6 hosts
//   (::ffff:10.0.0.1) are compared as IPv6 only, like curl.
//
// Use from a transport, per request target host:port:
//   const std::string url = select_proxy(opts.proxy_url, opts.no_proxy, host, port);
//   if (url.empty()) -> connect directly;
//   else if (!parse_proxy_url(url, parts, error)) -> fail with net_error::proxy and `error`;
//   else -> TCP to parts.host:parts.port, "CONNECT host:port" (Proxy-Authorization: Basic
//        base64(user ":" password) when parts.has_credentials), then TLS to `host` through it.

#include <string>
#include <string_view>

namespace gtest_tms::detail {

/// True when `host` (a name, an IPv4 literal, or an IPv6 literal bare or in brackets) on `port`
/// must be reached directly according to the NO_PROXY value `no_proxy`. An empty host or list
/// never matches.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, unsigned short port);

/// The proxy URL to use for target_host:target_port, or "" for a direct connection: "" when
/// `proxy_url` is blank or `no_proxy` matches the target; otherwise `proxy_url` trimmed (not
/// validated: pass it to parse_proxy_url).
std::string select_proxy(const std::string& proxy_url, const std::string& no_proxy, std::string_view target_host,
                         unsigned short target_port);

/// Default port of a proxy URL without one: 1080, as curl (CURL_DEFAULT_PROXY_PORT), for every
/// proxy scheme.
inline constexpr unsigned short default_proxy_port = 1080;

struct proxy_url_parts {
  std::string host;  // name lower-cased, or IP literal; IPv6 without brackets
  unsigned short port = default_proxy_port;
  bool has_credentials = false;  // userinfo present: send Proxy-Authorization: Basic
  std::string user;              // percent-decoded (secret: never log)
  std::string password;          // percent-decoded (secret: never log)

  /// "host:port" / "[v6]:port" for messages and the TCP connection (no credentials).
  std::string authority() const;
};

/// Parses a proxy URL: [http://][user[:password]@]host[:port][/]. No scheme means http:// (as curl).
/// Refused with a one-line `error` (never containing the credentials): https:// ("TLS to the proxy
/// is not supported; use an http:// proxy URL"), socks and other schemes, an empty or
/// percent-encoded host, a port outside 1..65535, a path other than "/", a query or a fragment.
/// On failure `out` is left unspecified.
bool parse_proxy_url(std::string_view url, proxy_url_parts& out, std::string& error);

}  // namespace gtest_tms::detail

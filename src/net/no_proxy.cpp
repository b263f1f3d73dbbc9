// NO_PROXY matching and proxy URL parsing (see no_proxy.hpp for the rules). Hostile input is the
// norm here (environment values, fuzzers): every index is checked, nothing throws but bad_alloc.
#include "net/no_proxy.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

namespace urls = boost::urls;

struct ip_address {
  int family = 0;  // 4 or 6
  std::array<unsigned char, 16> bytes{};

  std::size_t bits() const { return family == 4 ? 32 : 128; }
};

std::optional<ip_address> parse_ipv4(std::string_view s) {
  auto r = urls::parse_ipv4_address(s);
  if (!r) return std::nullopt;
  ip_address a;
  a.family = 4;
  const auto b = r->to_bytes();
  for (std::size_t i = 0; i < b.size(); ++i) a.bytes[i] = b[i];
  return a;
}

std::optional<ip_address> parse_ipv6(std::string_view s) {
  auto r = urls::parse_ipv6_address(s);
  if (!r) return std::nullopt;
  ip_address a;
  a.family = 6;
  a.bytes = r->to_bytes();
  return a;
}

// "1.2.3.4", "::1" or "[::1]".
std::optional<ip_address> parse_ip(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return parse_ipv6(s.substr(1, s.size() - 2));
  if (auto v4 = parse_ipv4(s)) return v4;
  if (s.find(':') != std::string_view::npos) return parse_ipv6(s);
  return std::nullopt;
}

// First `prefix` bits equal (same family).
bool same_prefix(const ip_address& a, const ip_address& b, std::size_t prefix) {
  if (a.family != b.family || prefix > a.bits()) return false;
  const std::size_t whole = prefix / 8;
  for (std::size_t i = 0; i < whole; ++i) {
    if (a.bytes[i] != b.bytes[i]) return false;
  }
  const std::size_t rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFFu << (8 - rest));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

// A CIDR prefix length: digits only (no sign), at most `bits`.
std::optional<unsigned> parse_prefix(std::string_view s, unsigned bits) {
  if (s.empty() || s.size() > 5 || s.front() < '0' || s.front() > '9') return std::nullopt;
  const auto v = parse_int(s, 0, bits);
  if (!v) return std::nullopt;
  return static_cast<unsigned>(*v);
}

struct target {
  std::optional<ip_address> ip;
  std::string_view name;  // host name without one trailing dot (when not an IP)
  unsigned short port = 0;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// The host pattern of an entry: `example.com`, `.example.com`, `*.example.com` all become
// `example.com`, which matches that name and its subdomains.
bool name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.size() >= 2 && pattern[0] == '*' && pattern[1] == '.') pattern.remove_prefix(1);
  if (!pattern.empty() && pattern.back() == '.') pattern.remove_suffix(1);
  if (!pattern.empty() && pattern.front() == '.') pattern.remove_prefix(1);
  if (pattern.empty() || name.size() < pattern.size()) return false;
  if (name.size() == pattern.size()) return iequals(name, pattern);
  const std::size_t cut = name.size() - pattern.size();
  return name[cut - 1] == '.' && iequals(name.substr(cut), pattern);
}

bool entry_matches(std::string_view entry, const target& t) {
  if (entry == "*") return true;

  // CIDR: addr/prefix, addr bare or bracketed; no port.
  if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
    if (!t.ip) return false;
    const auto net = parse_ip(entry.substr(0, slash));
    if (!net) return false;
    const auto prefix = parse_prefix(entry.substr(slash + 1), static_cast<unsigned>(net->bits()));
    return prefix && same_prefix(*net, *t.ip, *prefix);
  }

  // Split off an optional ":port". Two or more colons without brackets: a bare IPv6 literal.
  std::string_view host = entry;
  std::optional<std::uint16_t> port;
  if (entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) return false;
    host = entry.substr(0, close + 1);
    const std::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !(port = parse_port(rest.substr(1)))) return false;
    }
  } else if (const auto colon = entry.find(':');
             colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    host = entry.substr(0, colon);
    if (!(port = parse_port(entry.substr(colon + 1)))) return false;
  }
  if (host.empty() || (port && *port != t.port)) return false;

  if (const auto ip = parse_ip(host)) return t.ip && same_prefix(*ip, *t.ip, ip->bits());
  if (t.ip || host.front() == '[') return false;
  return name_matches(host, t.name);
}

}  // namespace

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, unsigned short port) {
  host = trim(host);
  target t;
  t.port = port;
  t.ip = parse_ip(host);
  if (!t.ip) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    // A bracketed host that is not IPv6 is malformed: nothing matches it but `*`.
    t.name = host.empty() || host.front() == '[' ? std::string_view{} : host;
  }
  if (host.empty()) return false;

  std::size_t i = 0;
  while (i < no_proxy.size()) {
    while (i < no_proxy.size() && (is_blank(no_proxy[i]) || no_proxy[i] == ',')) ++i;
    const std::size_t start = i;
    while (i < no_proxy.size() && !is_blank(no_proxy[i]) && no_proxy[i] != ',') ++i;
    if (i > start && entry_matches(no_proxy.substr(start, i - start), t)) return true;
  }
  return false;
}

std::string select_proxy(const std::string& proxy_url, const std::string& no_proxy, std::string_view target_host,
                         unsigned short target_port) {
  const std::string_view url = trim(proxy_url);
  if (url.empty() || no_proxy_matches(no_proxy, target_host, target_port)) return {};
  return std::string(url);
}

std::string proxy_url_parts::authority() const {
  std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  a += ':';
  a += std::to_string(port);
  return a;
}

bool parse_proxy_url(std::string_view url, proxy_url_parts& out, std::string& error) {
  // Messages never quote the URL: it may carry a password.
  constexpr std::string_view use_http = "; use an http:// proxy URL";
  out = proxy_url_parts{};
  url = trim(url);
  if (url.empty()) {
    error = "the proxy URL is empty";
    return false;
  }
  std::string text;
  if (const auto sep = url.find("://"); sep == std::string_view::npos) {
    text = "http://";  // curl: a proxy without a scheme is an HTTP proxy
    text += url;
  } else {
    const std::string scheme = to_lower(url.substr(0, sep));
    if (scheme == "https") {
      error = "TLS to the proxy is not supported; use an http:// proxy URL";
      return false;
    }
    if (scheme.rfind("socks", 0) == 0) {
      error = "SOCKS proxies are not supported";
      error += use_http;
      return false;
    }
    if (scheme != "http") {
      error = "the proxy URL's scheme is not supported";
      error += use_http;
      return false;
    }
    text = url;
  }

  const auto parsed = urls::parse_uri(text);
  // Boost.URL 1.81 accepts "http://a:b@c@host" with "@host" as a rootless path: also malformed.
  if (!parsed || (!parsed->encoded_path().empty() && parsed->encoded_path().front() != '/')) {
    error = "the proxy URL is malformed (percent-encode '@', ':' and '/' in the user name and password)";
    return false;
  }
  const urls::url_view& u = *parsed;
  if (u.has_query() || u.has_fragment() || !(u.encoded_path().empty() || u.encoded_path() == "/")) {
    error = "the proxy URL must be http://[user:password@]host[:port] without a path, query or fragment";
    return false;
  }
  switch (u.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
      out.host = u.host_address();
      break;
    case urls::host_type::name:
      if (u.encoded_host().find('%') != std::string_view::npos) {
        error = "the proxy URL's host must not be percent-encoded";
        return false;
      }
      out.host = to_lower(std::string_view(u.encoded_host().data(), u.encoded_host().size()));
      break;
    default:
      out.host.clear();
      break;
  }
  if (out.host.empty()) {
    error = "the proxy URL has no host";
    return false;
  }
  if (u.has_port() && !u.port().empty()) {
    const auto p = parse_port(std::string_view(u.port().data(), u.port().size()));
    if (!p) {
      error = "the proxy URL's port must be a number from 1 to 65535";
      return false;
    }
    out.port = *p;
  }
  if (u.has_userinfo()) {
    out.has_credentials = true;
    out.user = u.user();
    out.password = u.password();
    // Basic credentials are "user:password": a ':' in the user name cannot be sent.
    if (out.user.find(':') != std::string::npos) {
      error = "the proxy user name must not contain ':' (even percent-encoded)";
      return false;
    }
  }
  return true;
}

}  // namespace gtest_tms::detail

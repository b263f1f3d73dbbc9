// Unit tests for src/net/no_proxy.*: NO_PROXY matching (curl's rules plus the documented
// extensions), proxy selection and proxy URL parsing, including hostile input.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/no_proxy.hpp"

namespace gtest_tms::detail {
namespace {

struct match_case {
  const char* no_proxy;
  const char* host;
  unsigned short port;
  bool expected;
};

std::ostream& operator<<(std::ostream& os, const match_case& c) {
  return os << "NO_PROXY=\"" << c.no_proxy << "\" host=\"" << c.host << "\" port=" << c.port;
}

class NoProxyMatches : public ::testing::TestWithParam<match_case> {};

TEST_P(NoProxyMatches, FollowsTheRules) {
  const match_case& c = GetParam();
  EXPECT_EQ(no_proxy_matches(c.no_proxy, c.host, c.port), c.expected) << c;
}

const match_case names[] = {
    // Exact name and subdomains, with or without the leading dot; never a mere suffix.
    {"example.com", "example.com", 443, true},
    {"example.com", "www.example.com", 443, true},
    {"example.com", "a.b.example.com", 443, true},
    {"example.com", "nonexample.com", 443, false},
    {"example.com", "example.com.evil.net", 443, false},
    {"example.com", "example.org", 443, false},
    {"example.com", "com", 443, false},
    {".example.com", "example.com", 443, true},
    {".example.com", "www.example.com", 443, true},
    {".example.com", "nonexample.com", 443, false},
    {"*.example.com", "example.com", 443, true},
    {"*.example.com", "api.example.com", 443, true},
    {"*.example.com", "xexample.com", 443, false},
    // Case-insensitive both ways.
    {"EXAMPLE.com", "www.Example.COM", 443, true},
    {"qase.io", "API.QASE.IO", 443, true},
    // Trailing dots ignored on entry and host.
    {"example.com.", "example.com", 443, true},
    {"example.com", "example.com.", 443, true},
    {".example.com.", "www.example.com.", 443, true},
    // Lists: commas, blanks, both, empty entries, surrounding blanks.
    {"foo.org,example.com", "example.com", 443, true},
    {"foo.org, example.com", "example.com", 443, true},
    {"foo.org example.com", "example.com", 443, true},
    {"foo.org\texample.com", "example.com", 443, true},
    {" ,, foo.org ,\n example.com ,", "example.com", 443, true},
    {"foo.org,bar.org", "example.com", 443, false},
    {"", "example.com", 443, false},
    {" , ,", "example.com", 443, false},
    // `*` alone or as an entry; not as a glob inside a name.
    {"*", "anything.at.all", 443, true},
    {" * ", "example.com", 1, true},
    {"localhost,*", "example.com", 443, true},
    {"*", "10.1.2.3", 443, true},
    {"*", "[::1]", 443, true},
    {"*example.com", "www.example.com", 443, false},
    {"exa*.com", "example.com", 443, false},
    // Ports: an entry with a port matches only that port.
    {"example.com:8443", "example.com", 8443, true},
    {"example.com:8443", "example.com", 443, false},
    {"example.com:8443", "www.example.com", 8443, true},
    {".example.com:443", "api.example.com", 443, true},
    {"example.com:0", "example.com", 0, false},
    {"example.com:65536", "example.com", 443, false},
    {"example.com:", "example.com", 443, false},
    {"example.com:abc", "example.com", 443, false},
    {"example.com:+443", "example.com", 443, false},
    {":443", "example.com", 443, false},
    // A host name never matches an IP entry and vice versa.
    {"127.0.0.1", "localhost", 443, false},
    {"localhost", "127.0.0.1", 443, false},
    {"0.0.1", "127.0.0.1", 443, false},
    {"com", "127.0.0.1", 443, false},
};
INSTANTIATE_TEST_SUITE_P(Names, NoProxyMatches, ::testing::ValuesIn(names));

const match_case addresses[] = {
    // IPv4 literals.
    {"127.0.0.1", "127.0.0.1", 443, true},
    {"127.0.0.1", "127.0.0.2", 443, false},
    {"127.0.0.1", "27.0.0.1", 443, false},
    {"127.0.0.1:8080", "127.0.0.1", 8080, true},
    {"127.0.0.1:8080", "127.0.0.1", 443, false},
    {"127.0.0.01", "127.0.0.1", 443, false},  // not an address (leading zero), never a name match
    // IPv6 literals, bare or bracketed on either side, compared as addresses.
    {"::1", "::1", 443, true},
    {"::1", "[::1]", 443, true},
    {"[::1]", "::1", 443, true},
    {"[::1]", "[::1]", 443, true},
    {"::1", "0:0:0:0:0:0:0:1", 443, true},
    {"[0::1]", "[::0:1]", 443, true},
    {"::1", "::2", 443, false},
    {"[::1]:8443", "[::1]", 8443, true},
    {"[::1]:8443", "::1", 443, false},
    {"[::1]x", "::1", 443, false},
    {"[::1", "::1", 443, false},
    {"FE80::1", "fe80::1", 443, true},
    // IPv4-mapped IPv6 is compared as IPv6 only (as curl).
    {"10.0.0.1", "::ffff:10.0.0.1", 443, false},
    {"::ffff:10.0.0.1", "[::ffff:10.0.0.1]", 443, true},
    // CIDR.
    {"10.0.0.0/8", "10.255.1.2", 443, true},
    {"10.0.0.0/8", "11.0.0.1", 443, false},
    {"192.168.1.0/24", "192.168.1.77", 443, true},
    {"192.168.1.0/24", "192.168.2.77", 443, false},
    {"192.168.1.128/25", "192.168.1.127", 443, false},
    {"192.168.1.128/25", "192.168.1.200", 443, true},
    {"172.16.0.0/12", "172.31.255.255", 443, true},
    {"172.16.0.0/12", "172.32.0.0", 443, false},
    {"0.0.0.0/0", "8.8.8.8", 443, true},
    {"10.0.0.1/32", "10.0.0.1", 443, true},
    {"10.0.0.1/32", "10.0.0.2", 443, false},
    {"10.0.0.0/33", "10.0.0.1", 443, false},
    {"10.0.0.0/", "10.0.0.1", 443, false},
    {"10.0.0.0/-1", "10.0.0.1", 443, false},
    {"10.0.0.0/8/8", "10.0.0.1", 443, false},
    {"10.0.0.0/8", "example.com", 443, false},
    {"10.0.0.0/8", "::ffff:10.0.0.1", 443, false},
    {"::1/128", "::1", 443, true},
    {"::1/128", "[::1]", 443, true},
    {"::1/128", "::2", 443, false},
    {"[fd00::]/8", "fd12:3456::1", 443, true},
    {"fd00::/8", "fe80::1", 443, false},
    {"2001:db8::/32", "2001:db8:ffff::1", 443, true},
    {"2001:db8::/33", "2001:db8:8000::1", 443, false},
    {"::/0", "2001:db8::1", 443, true},
    {"::/0", "10.0.0.1", 443, false},
    {"::1/129", "::1", 443, false},
    // Several kinds in one list.
    {"localhost, .internal, 10.0.0.0/8, ::1", "build.internal", 443, true},
    {"localhost, .internal, 10.0.0.0/8, ::1", "10.9.9.9", 443, true},
    {"localhost, .internal, 10.0.0.0/8, ::1", "[::1]", 443, true},
    {"localhost, .internal, 10.0.0.0/8, ::1", "api.qase.io", 443, false},
};
INSTANTIATE_TEST_SUITE_P(Addresses, NoProxyMatches, ::testing::ValuesIn(addresses));

const match_case hostile[] = {
    {"example.com", "", 443, false},
    {"*", "", 443, false},
    {"*", "   ", 443, false},
    {"example.com", ".", 443, false},
    {".", "example.com", 443, false},
    {"..", "example.com", 443, false},
    {"*.", "example.com", 443, false},
    {"[", "example.com", 443, false},
    {"]", "example.com", 443, false},
    {"[]", "[]", 443, false},
    {"/", "10.0.0.1", 443, false},
    {"/8", "10.0.0.1", 443, false},
    {":", "example.com", 443, false},
    {"::", "::", 443, true},  // the unspecified address is still an address
    {"example.com", "[example.com]", 443, false},
    {"example.com", "[::1", 443, false},
    {"10.0.0.0/99999999999999999999", "10.0.0.1", 443, false},
    {"example.com:99999999999999999999", "example.com", 443, false},
    {"\xff\xfe,example.com", "example.com", 443, true},
    {"example.com", "\xff.example.com", 443, true},
};
INSTANTIATE_TEST_SUITE_P(Hostile, NoProxyMatches, ::testing::ValuesIn(hostile));

TEST(NoProxyMatches, EmbeddedNulIsAnOrdinaryByte) {
  using namespace std::string_literals;
  EXPECT_TRUE(no_proxy_matches("a\0b.com"s, "x.a\0b.com"s, 443));
  EXPECT_FALSE(no_proxy_matches("a\0b.com"s, "b.com"s, 443));
}

TEST(NoProxyMatches, HugeListsAndNamesAreHandled) {
  std::string list;
  for (int i = 0; i < 20000; ++i) list += "host" + std::to_string(i) + ".example,";
  EXPECT_FALSE(no_proxy_matches(list, "api.qase.io", 443));
  list += "qase.io";
  EXPECT_TRUE(no_proxy_matches(list, "api.qase.io", 443));

  const std::string deep = std::string(100000, 'a') + ".qase.io";
  EXPECT_TRUE(no_proxy_matches("qase.io", deep, 443));
  EXPECT_FALSE(no_proxy_matches(std::string(100000, ','), deep, 443));
}

// ---- select_proxy -----------------------------------------------------------------------

TEST(SelectProxy, DirectWhenNoProxyOrMatched) {
  EXPECT_EQ(select_proxy("", "", "api.qase.io", 443), "");
  EXPECT_EQ(select_proxy("  \t", "", "api.qase.io", 443), "");
  EXPECT_EQ(select_proxy("http://proxy:3128", "qase.io", "api.qase.io", 443), "");
  EXPECT_EQ(select_proxy("http://proxy:3128", "*", "api.qase.io", 443), "");
  EXPECT_EQ(select_proxy("http://proxy:3128", "127.0.0.0/8", "127.0.0.1", 8443), "");
}

TEST(SelectProxy, ProxyWhenNotMatched) {
  EXPECT_EQ(select_proxy("http://proxy:3128", "", "api.qase.io", 443), "http://proxy:3128");
  EXPECT_EQ(select_proxy(" http://proxy:3128\n", "example.com", "api.qase.io", 443), "http://proxy:3128");
  EXPECT_EQ(select_proxy("http://proxy:3128", "qase.io:80", "api.qase.io", 443), "http://proxy:3128");
  EXPECT_EQ(select_proxy("http://proxy:3128", "nonqase.io", "qase.io", 443), "http://proxy:3128");
}

// ---- parse_proxy_url --------------------------------------------------------------------

struct url_case {
  const char* url;
  const char* host;
  unsigned short port;
  bool credentials;
  const char* user;
  const char* password;
};

std::ostream& operator<<(std::ostream& os, const url_case& c) { return os << "url=\"" << c.url << "\""; }

class ParseProxyUrlOk : public ::testing::TestWithParam<url_case> {};

TEST_P(ParseProxyUrlOk, SplitsTheParts) {
  const url_case& c = GetParam();
  proxy_url_parts p;
  std::string error;
  ASSERT_TRUE(parse_proxy_url(c.url, p, error)) << c << ": " << error;
  EXPECT_EQ(p.host, c.host);
  EXPECT_EQ(p.port, c.port);
  EXPECT_EQ(p.has_credentials, c.credentials);
  EXPECT_EQ(p.user, c.user);
  EXPECT_EQ(p.password, c.password);
}

const url_case good_urls[] = {
    {"http://proxy.corp:3128", "proxy.corp", 3128, false, "", ""},
    {"http://proxy.corp:3128/", "proxy.corp", 3128, false, "", ""},
    {"HTTP://Proxy.CORP:3128", "proxy.corp", 3128, false, "", ""},
    {"http://proxy.corp", "proxy.corp", 1080, false, "", ""},
    {"http://proxy.corp:", "proxy.corp", 1080, false, "", ""},
    {"proxy.corp:8080", "proxy.corp", 8080, false, "", ""},
    {"proxy.corp", "proxy.corp", 1080, false, "", ""},
    {"  http://proxy.corp:8080 \n", "proxy.corp", 8080, false, "", ""},
    {"http://10.0.0.1:3128", "10.0.0.1", 3128, false, "", ""},
    {"http://[::1]:3128", "::1", 3128, false, "", ""},
    {"http://[fd00::1]", "fd00::1", 1080, false, "", ""},
    {"http://alice:s3cret@proxy:3128", "proxy", 3128, true, "alice", "s3cret"},
    {"http://alice@proxy:3128", "proxy", 3128, true, "alice", ""},
    {"http://alice:@proxy:3128", "proxy", 3128, true, "alice", ""},
    {"http://:pw@proxy:3128", "proxy", 3128, true, "", "pw"},
    {"http://al%69ce:p%40ss%3Aw%2Fd@proxy:3128", "proxy", 3128, true, "alice", "p@ss:w/d"},
    {"http://dom%5Cuser:p%25@proxy:1", "proxy", 1, true, "dom\\user", "p%"},
    {"user:pw@proxy:3128", "proxy", 3128, true, "user", "pw"},
    {"http://proxy:65535", "proxy", 65535, false, "", ""},
};
INSTANTIATE_TEST_SUITE_P(Good, ParseProxyUrlOk, ::testing::ValuesIn(good_urls));

struct bad_url_case {
  const char* url;
  const char* error_part;  // a fragment the one-line error must contain
};

std::ostream& operator<<(std::ostream& os, const bad_url_case& c) { return os << "url=\"" << c.url << "\""; }

class ParseProxyUrlBad : public ::testing::TestWithParam<bad_url_case> {};

TEST_P(ParseProxyUrlBad, RefusesWithOneLine) {
  const bad_url_case& c = GetParam();
  proxy_url_parts p;
  std::string error;
  ASSERT_FALSE(parse_proxy_url(c.url, p, error)) << c;
  EXPECT_NE(error.find(c.error_part), std::string::npos) << c << ": " << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  // Credentials never appear in the message.
  EXPECT_EQ(error.find("s3cret"), std::string::npos) << error;
}

const bad_url_case bad_urls[] = {
    {"https://proxy:3128", "TLS to the proxy is not supported; use an http:// proxy URL"},
    {"HTTPS://alice:s3cret@proxy", "TLS to the proxy is not supported"},
    {"socks5://proxy:1080", "SOCKS proxies are not supported"},
    {"socks5h://alice:s3cret@proxy", "SOCKS"},
    {"ftp://proxy:21", "scheme is not supported"},
    {"://proxy", "scheme is not supported"},
    {"", "empty"},
    {"   ", "empty"},
    {"http://", "no host"},
    {"http://:3128", "no host"},
    {"http://alice:s3cret@", "no host"},
    {"http://proxy:0", "port"},
    {"http://proxy:65536", "port"},
    {"http://proxy:99999999999999999999", "port"},
    {"http://proxy:3128/path", "without a path"},
    {"http://proxy:3128/?q=1", "without a path"},
    {"http://proxy:3128#frag", "without a path"},
    {"http://alice:s3cret@proxy:3128/x", "without a path"},
    {"http://alice:s3@cret@proxy:3128", "malformed"},
    {"http://proxy:31 28", "malformed"},
    {"http://pro xy:3128", "malformed"},
    {"http://[::1:3128", "malformed"},
    {"http://pr%6Fxy:3128", "percent-encoded"},
    {"http://a%3Ab:s3cret@proxy", "must not contain ':'"},
    {"http://\xff\xfe:1", "malformed"},
};
INSTANTIATE_TEST_SUITE_P(Bad, ParseProxyUrlBad, ::testing::ValuesIn(bad_urls));

TEST(ParseProxyUrl, AuthorityBracketsIpv6) {
  proxy_url_parts p;
  std::string error;
  ASSERT_TRUE(parse_proxy_url("http://u:p@[::1]:8080", p, error)) << error;
  EXPECT_EQ(p.authority(), "[::1]:8080");
  ASSERT_TRUE(parse_proxy_url("http://proxy.corp", p, error)) << error;
  EXPECT_EQ(p.authority(), "proxy.corp:1080");
}

TEST(ParseProxyUrl, FailureResetsEarlierParts) {
  proxy_url_parts p;
  std::string error;
  ASSERT_TRUE(parse_proxy_url("http://u:p@proxy:8080", p, error)) << error;
  ASSERT_FALSE(parse_proxy_url("https://other", p, error));
  EXPECT_FALSE(p.has_credentials);
  EXPECT_TRUE(p.password.empty());
}

}  // namespace
}  // namespace gtest_tms::detail

// The Beast transport through an HTTP CONNECT proxy (test/support/connect_proxy): tunnels, proxy
// credentials, refusals, NO_PROXY, and TLS verification of the target through the tunnel.
#include <gtest/gtest.h>

#include "support/connect_proxy.hpp"
#include "support/tls_fixture.hpp"

namespace gtest_tms::detail {
namespace {

using testing_support::connect_proxy;
using testing_support::connect_proxy_options;
using testing_support::get_request;
using testing_support::recording_server;
using testing_support::send_and_wait;
using testing_support::test_pki;

constexpr const char* proxy_password = "pr0xy-s3cret-9d2e";

connect_proxy_options with_credentials() {
  connect_proxy_options o;
  o.require_credentials = true;
  o.user = "alice";
  o.password = proxy_password;
  return o;
}

class ProxyTest : public ::testing::Test {
 protected:
  transport_options via(const std::string& proxy_url, const std::string& no_proxy = "") const {
    transport_options o = pki_.client_options();
    o.proxy_url = proxy_url;
    o.no_proxy = no_proxy;
    return o;
  }
  test_pki pki_;
};

TEST_F(ProxyTest, RequestsGoThroughOneTunnelPerConnection) {
  recording_server server(pki_.server_for());
  connect_proxy proxy;
  auto t = make_https_transport(via(proxy.url()));
  for (int i = 0; i < 3; ++i) {
    const http_response r = send_and_wait(*t, get_request(server.url("/v1/x?i=" + std::to_string(i))));
    ASSERT_EQ(r.error, net_error::none) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "ok");
  }
  t->stop();
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(proxy.tunnels(), 1u);  // keep-alive: the tunnel belongs to the pooled connection
  EXPECT_EQ(server.connections(), 1u);
  ASSERT_EQ(proxy.heads().size(), 1u);
  const std::string head = proxy.heads()[0];
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(head.rfind("CONNECT " + authority + " HTTP/1.1\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Host: " + authority + "\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Proxy-Authorization"), std::string::npos) << head;
}

TEST_F(ProxyTest, AuthenticatedProxyAcceptsTheRightCredentials) {
  recording_server server(pki_.server_for());
  connect_proxy proxy(with_credentials());
  auto t = make_https_transport(via(proxy.url("alice", proxy_password)));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  ASSERT_EQ(r.error, net_error::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(proxy.tunnels(), 1u);
  ASSERT_EQ(proxy.heads().size(), 1u);
  // "alice:pr0xy-s3cret-9d2e" in Base64 (computed independently, not by the code under test).
  EXPECT_NE(proxy.heads()[0].find("Proxy-Authorization: Basic YWxpY2U6cHIweHktczNjcmV0LTlkMmU=\r\n"), std::string::npos)
      << proxy.heads()[0];
}

TEST_F(ProxyTest, WrongCredentialsAreAClearProxyErrorWithoutThePassword) {
  recording_server server(pki_.server_for());
  connect_proxy proxy(with_credentials());
  const std::string wrong_password = "wr0ng-pa55-41c7";
  auto t = make_https_transport(via(proxy.url("alice", wrong_password)));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::proxy) << r.error_message;
  EXPECT_NE(r.error_message.find("credentials were refused (407)"), std::string::npos) << r.error_message;
  EXPECT_NE(r.error_message.find("127.0.0.1:" + std::to_string(proxy.port())), std::string::npos) << r.error_message;
  EXPECT_EQ(r.error_message.find(wrong_password), std::string::npos) << r.error_message;
  EXPECT_EQ(r.error_message.find('\n'), std::string::npos);
  EXPECT_EQ(proxy.tunnels(), 0u);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProxyTest, MissingCredentialsSayTheProxyRequiresThem) {
  recording_server server(pki_.server_for());
  connect_proxy proxy(with_credentials());
  auto t = make_https_transport(via(proxy.url()));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::proxy) << r.error_message;
  EXPECT_NE(r.error_message.find("proxy at 127.0.0.1:" + std::to_string(proxy.port()) + " requires credentials (407)"),
            std::string::npos)
      << r.error_message;
  EXPECT_EQ(proxy.connect_requests(), 1u);
  EXPECT_EQ(proxy.tunnels(), 0u);
}

TEST_F(ProxyTest, RefusingProxyIsAProxyErrorNamingTheStatus) {
  recording_server server(pki_.server_for());
  connect_proxy_options o;
  o.refuse_status = 403;
  connect_proxy proxy(o);
  auto t = make_https_transport(via(proxy.url("bob", proxy_password)));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::proxy) << r.error_message;
  EXPECT_NE(r.error_message.find("403"), std::string::npos) << r.error_message;
  EXPECT_EQ(r.error_message.find(proxy_password), std::string::npos) << r.error_message;
  EXPECT_EQ(proxy.connect_requests(), 1u);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProxyTest, BytesBeforeTheTlsHandshakeAreAProxyError) {
  recording_server server(pki_.server_for());
  connect_proxy_options o;
  o.junk_after_established = "HTTP/1.1 200 OK\r\n\r\n";
  connect_proxy proxy(o);
  auto t = make_https_transport(via(proxy.url()));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::proxy) << r.error_message;
  EXPECT_NE(r.error_message.find("unexpected bytes"), std::string::npos) << r.error_message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProxyTest, NoProxyMatchGoesDirect) {
  recording_server server(pki_.server_for());
  connect_proxy proxy;
  auto t = make_https_transport(via(proxy.url(), "example.com, 127.0.0.1"));
  const http_response r = send_and_wait(*t, get_request(server.url("/direct")));
  ASSERT_EQ(r.error, net_error::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(proxy.connect_requests(), 0u);
  EXPECT_EQ(proxy.tunnels(), 0u);
}

TEST_F(ProxyTest, ProxyThatIsNotListeningIsAConnectErrorNamingTheProxy) {
  recording_server server(pki_.server_for());
  unsigned short dead_port = 0;
  {
    connect_proxy gone;
    dead_port = gone.port();
  }
  auto t =
      make_https_transport(via("http://u:" + std::string(proxy_password) + "@127.0.0.1:" + std::to_string(dead_port)));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::connect) << r.error_message;
  EXPECT_NE(r.error_message.find("proxy at 127.0.0.1:" + std::to_string(dead_port)), std::string::npos)
      << r.error_message;
  EXPECT_EQ(r.error_message.find(proxy_password), std::string::npos);
}

TEST_F(ProxyTest, UnusableProxyUrlIsAProxyError) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(via("https://u:" + std::string(proxy_password) + "@127.0.0.1:3128"));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::proxy) << r.error_message;
  EXPECT_EQ(r.error_message.find(proxy_password), std::string::npos) << r.error_message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProxyTest, TargetCertificateIsStillVerifiedThroughTheTunnel) {
  pki::leaf_request other;
  other.common_name = "other.example";
  other.dns_names = {"other.example"};
  other.ip_addresses = {};
  const auto leaf = pki_.make_leaf(other);
  recording_server server(pki_.server_for(&leaf));
  connect_proxy proxy;
  auto t = make_https_transport(via(proxy.url()));
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::tls) << r.error_message;
  EXPECT_NE(r.error_message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << r.error_message;
  EXPECT_NE(r.error_message.find("another host name"), std::string::npos) << r.error_message;
  EXPECT_EQ(proxy.tunnels(), 1u);  // the tunnel was up; TLS refused the target
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(ProxyTest, UntrustedTargetThroughTheTunnelIsRefused) {
  recording_server server(pki_.server_for());
  connect_proxy proxy;
  transport_options o = via(proxy.url());
  o.ca_file.clear();  // the test CA is not trusted now
  auto t = make_https_transport(o);
  const http_response r = send_and_wait(*t, get_request(server.url("/ok")));
  EXPECT_EQ(r.error, net_error::tls) << r.error_message;
  EXPECT_NE(r.error_message.find("certificate verify failed"), std::string::npos) << r.error_message;
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace gtest_tms::detail

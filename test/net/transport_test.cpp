// The Beast HTTPS transport against a real TLS server on 127.0.0.1, with a CA made at test time.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <optional>
#include <thread>

#include "support/tls_fixture.hpp"

namespace gtest_tms::detail {
namespace {

using namespace std::chrono_literals;
using testing_support::get_request;
using testing_support::recording_server;
using testing_support::send_and_wait;
using testing_support::test_pki;
using clock_type = std::chrono::steady_clock;

std::chrono::milliseconds since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0);
}

/// Polls `cond` every 10 ms for at most `limit`.
template <typename F>
bool wait_until(F cond, std::chrono::milliseconds limit = 5s) {
  const auto end = clock_type::now() + limit;
  while (clock_type::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return cond();
}

server_reply fault_reply(server_fault f) {
  server_reply r;
  r.fault = f;
  r.body = R"({"status":true})";
  return r;
}

class TransportTest : public ::testing::Test {
 protected:
  test_pki pki_;
};

TEST_F(TransportTest, GetAndPostRoundTrip) {
  recording_server server(pki_.server_for(), [](const server_request& req) {
    server_reply r;
    r.status = req.method == "POST" ? 201 : 200;
    r.headers.push_back({"X-Request-Id", "abc-123"});
    r.body = req.method + " " + req.target + " " + req.body;
    return r;
  });
  auto t = make_https_transport(pki_.client_options());

  http_response get = send_and_wait(*t, get_request(server.url("/v1/project/DEMO?include=cases")));
  ASSERT_EQ(get.error, net_error::none) << get.error_message;
  EXPECT_TRUE(get.ok());
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "GET /v1/project/DEMO?include=cases ");
  EXPECT_EQ(get.header("x-request-id"), "abc-123");
  EXPECT_EQ(get.header("content-type"), "application/json");
  EXPECT_TRUE(get.request_sent);
  EXPECT_TRUE(get.response_started);

  http_request post;
  post.method = "POST";
  post.url = server.url("/v1/result/DEMO/7");
  post.headers.push_back({"Token", "secret-token-value"});
  post.content_type = "application/json";
  post.body = R"({"status":"passed"})";
  http_response created = send_and_wait(*t, post);
  ASSERT_EQ(created.error, net_error::none) << created.error_message;
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, R"(POST /v1/result/DEMO/7 {"status":"passed"})");

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].header("Token"), "secret-token-value");
  EXPECT_EQ(seen[1].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[1].header("Content-Length"), "19");
  EXPECT_EQ(seen[1].header("User-Agent"), "gtest-tms-reporter");
  EXPECT_EQ(seen[1].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_TRUE(seen[0].body.empty());
}

TEST_F(TransportTest, NonSuccessStatusIsNotATransportError) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply r;
    r.status = 429;
    r.headers.push_back({"Retry-After", "3"});
    return r;
  });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::none) << r.error_message;
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.header("Retry-After"), "3");
}

TEST_F(TransportTest, KeepAliveReusesOneConnection) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  for (int i = 0; i < 5; ++i) {
    http_response r = send_and_wait(*t, get_request(server.url("/n/" + std::to_string(i))));
    ASSERT_TRUE(r.ok()) << r.error_message;
  }
  EXPECT_EQ(server.requests().size(), 5u);
  EXPECT_EQ(server.connections(), 1u);
}

TEST_F(TransportTest, ConnectionCloseReplyOpensANewConnection) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply r;
    r.close = true;
    return r;
  });
  auto t = make_https_transport(pki_.client_options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(send_and_wait(*t, get_request(server.url("/"))).ok());
  EXPECT_EQ(server.connections(), 3u);
}

TEST_F(TransportTest, FourExchangesRunInParallel) {
  std::mutex m;
  std::vector<clock_type::time_point> arrivals;
  recording_server server(pki_.server_for(), [&](const server_request&) {
    {
      std::lock_guard lock(m);
      arrivals.push_back(clock_type::now());
    }
    server_reply r;
    r.delay = 1000ms;
    return r;
  });
  auto options = pki_.client_options();
  options.max_connections_per_host = 4;
  auto t = make_https_transport(options);
  const auto t0 = clock_type::now();
  std::vector<std::future<http_response>> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(std::async(std::launch::async, [&t, &server, i] {
      return send_and_wait(*t, get_request(server.url("/p/" + std::to_string(i))));
    }));
  }
  for (auto& f : results) {
    http_response r = f.get();
    EXPECT_TRUE(r.ok()) << r.error_message;
  }
  // All four reached the server before the first answer was due (serially: one per second).
  ASSERT_EQ(arrivals.size(), 4u);
  EXPECT_LT(arrivals.back() - arrivals.front(), 900ms);
  EXPECT_LT(since(t0), 3500ms);
  EXPECT_EQ(server.connections(), 4u);
}

TEST_F(TransportTest, ExchangesBeyondTheLimitWaitInOrder) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply r;
    r.delay = 150ms;
    return r;
  });
  auto options = pki_.client_options();
  options.max_connections_per_host = 2;
  auto t = make_https_transport(options);
  std::mutex m;
  std::vector<int> done_order;
  std::atomic<int> done{0};
  const auto t0 = clock_type::now();
  for (int i = 0; i < 6; ++i) {
    t->async_send(get_request(server.url("/q/" + std::to_string(i))), [&, i](http_response r) {
      EXPECT_TRUE(r.ok()) << r.error_message;
      std::lock_guard lock(m);
      done_order.push_back(i);
      ++done;
    });
  }
  ASSERT_TRUE(wait_until([&] { return done == 6; }, 10s));
  EXPECT_GE(since(t0), 400ms);  // three rounds of two
  EXPECT_LE(server.connections(), 2u);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 6u);
  // FIFO: the last two requests start only after the first four.
  EXPECT_TRUE(seen[4].target == "/q/4" || seen[4].target == "/q/5");
  EXPECT_TRUE(seen[5].target == "/q/4" || seen[5].target == "/q/5");
}

TEST_F(TransportTest, UntrustedCaIsRefused) {
  recording_server server(pki_.server_for());
  auto options = pki_.client_options();
  options.ca_file.clear();  // only the system store: our CA is not in it
  auto t = make_https_transport(options);
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::tls);
  EXPECT_NE(r.error_message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << r.error_message;
  EXPECT_NE(r.error_message.find("certificate verify failed (unable to get local issuer certificate)"),
            std::string::npos)
      << r.error_message;
  EXPECT_FALSE(r.request_sent);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TransportTest, CertificateForAnotherHostIsRefused) {
  pki::leaf_request other;
  other.common_name = "other.example";
  other.dns_names = {"other.example"};
  other.ip_addresses = {};
  const auto leaf = pki_.make_leaf(other);
  recording_server server(pki_.server_for(&leaf));
  auto t = make_https_transport(pki_.client_options());
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    http_response r = send_and_wait(*t, get_request("https://" + host + ":" + std::to_string(server.port()) + "/"));
    EXPECT_EQ(r.error, net_error::tls) << host;
    EXPECT_NE(r.error_message.find("certificate is for another host name"), std::string::npos) << r.error_message;
    EXPECT_NE(r.error_message.find(host + ":"), std::string::npos) << r.error_message;
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TransportTest, LocalhostNameMatchesTheDnsEntry) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request("https://localhost:" + std::to_string(server.port()) + "/x"));
  EXPECT_TRUE(r.ok()) << r.error_message;
}

TEST_F(TransportTest, ExpiredCertificateIsRefused) {
  pki::leaf_request expired;
  expired.not_before_days = -30;
  expired.not_after_days = -1;
  const auto leaf = pki_.make_leaf(expired);
  recording_server server(pki_.server_for(&leaf));
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::tls);
  EXPECT_NE(r.error_message.find("certificate has expired"), std::string::npos) << r.error_message;
}

TEST_F(TransportTest, LegacyTlsOnlyServerIsRefused) {
  auto options = pki_.server_for();
  options.min_tls_version = TLS1_VERSION;
  options.max_tls_version = TLS1_1_VERSION;
  recording_server server(options);
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::tls) << r.error_message;
  EXPECT_NE(r.error_message.find("TLS handshake with 127.0.0.1:"), std::string::npos) << r.error_message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(TransportTest, Tls12AndTls13ServersAreAccepted) {
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    auto options = pki_.server_for();
    options.min_tls_version = version;
    options.max_tls_version = version;
    recording_server server(options);
    auto t = make_https_transport(pki_.client_options());
    http_response r = send_and_wait(*t, get_request(server.url("/")));
    EXPECT_TRUE(r.ok()) << std::hex << version << ": " << r.error_message;
  }
}

TEST_F(TransportTest, PlainHttpIsRefusedWithoutConnecting) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request("http://127.0.0.1:" + std::to_string(server.port()) + "/v1/x"));
  EXPECT_EQ(r.error, net_error::bad_url);
  EXPECT_NE(r.error_message.find("http:// is refused"), std::string::npos) << r.error_message;
  EXPECT_NE(r.error_message.find("use https"), std::string::npos) << r.error_message;
  EXPECT_FALSE(r.request_sent);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(server.connections(), 0u);
}

TEST_F(TransportTest, MalformedUrlsAndHeadersAreRefused) {
  auto t = make_https_transport(pki_.client_options());
  for (const std::string url : {"not a url", "ftp://127.0.0.1/x", "https://127.0.0.1:99999/", "/relative"}) {
    http_response r = send_and_wait(*t, get_request(url));
    EXPECT_EQ(r.error, net_error::bad_url) << url;
    EXPECT_FALSE(r.error_message.empty());
  }
  http_request injected = get_request("https://127.0.0.1:1/");
  injected.headers.push_back({"Token", "abc\r\nX-Evil: 1"});
  http_response r = send_and_wait(*t, injected);
  EXPECT_EQ(r.error, net_error::bad_url);
  EXPECT_EQ(r.error_message.find("abc"), std::string::npos) << r.error_message;  // never echo values
}

TEST_F(TransportTest, ClosedPortIsAConnectError) {
  unsigned short port = 0;
  {
    recording_server server(pki_.server_for());
    port = server.port();
  }  // stopped: nothing listens there any more
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request("https://127.0.0.1:" + std::to_string(port) + "/"));
  EXPECT_EQ(r.error, net_error::connect) << r.error_message;
  EXPECT_NE(r.error_message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.error_message;
}

TEST_F(TransportTest, HangingServerTimesOutWithinTheRequestTimeout) {
  recording_server server(pki_.server_for(), [](const server_request&) { return fault_reply(server_fault::hang); });
  auto options = pki_.client_options();
  options.request_timeout = 500ms;
  auto t = make_https_transport(options);
  http_request req = get_request(server.url("/slow"));
  req.headers.push_back({"Authorization", "Bearer top-secret"});
  const auto t0 = clock_type::now();
  http_response r = send_and_wait(*t, req);
  const auto took = since(t0);
  EXPECT_EQ(r.error, net_error::timeout) << r.error_message;
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 2500ms);
  EXPECT_TRUE(r.request_sent);
  EXPECT_FALSE(r.response_started);
  EXPECT_NE(r.error_message.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << r.error_message;
  EXPECT_EQ(r.error_message.find("top-secret"), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1u);  // a timeout is never retried by the transport
}

TEST_F(TransportTest, ResetAfterReadReportsTheRequestAsSent) {
  recording_server server(pki_.server_for(),
                          [](const server_request&) { return fault_reply(server_fault::reset_after_read); });
  auto t = make_https_transport(pki_.client_options());
  http_request post = get_request(server.url("/v1/result"));
  post.method = "POST";
  post.body = "{}";
  http_response r = send_and_wait(*t, post);
  EXPECT_EQ(r.error, net_error::reset) << r.error_message;
  EXPECT_TRUE(r.request_sent);
  EXPECT_FALSE(r.response_started);
  EXPECT_EQ(server.requests().size(), 1u);  // fresh connection: no transparent retry
}

TEST_F(TransportTest, GarbageIsAProtocolError) {
  recording_server server(pki_.server_for(), [](const server_request&) { return fault_reply(server_fault::garbage); });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::protocol) << r.error_message;
  EXPECT_TRUE(r.response_started);
}

TEST_F(TransportTest, TruncatedResponseIsAReset) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply reply = fault_reply(server_fault::truncated);
    reply.body = std::string(2000, 'x');
    return reply;
  });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::reset) << r.error_message;
  EXPECT_TRUE(r.response_started);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(TransportTest, TrickledResponseArrivesWhole) {
  const std::string body(300, 'z');
  recording_server server(pki_.server_for(), [&body](const server_request&) {
    server_reply reply = fault_reply(server_fault::trickle);
    reply.body = body;
    reply.trickle_interval = 30ms;
    return reply;
  });
  auto t = make_https_transport(pki_.client_options());
  const auto t0 = clock_type::now();
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.body, body);
  EXPECT_GE(since(t0), 200ms);  // it really was trickled
}

TEST_F(TransportTest, OversizedBodyIsTooLarge) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply reply;
    reply.body = std::string(5000, 'b');
    return reply;
  });
  auto options = pki_.client_options();
  options.max_body_bytes = 1000;
  auto t = make_https_transport(options);
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::too_large) << r.error_message;
  EXPECT_NE(r.error_message.find("1000"), std::string::npos) << r.error_message;
}

TEST_F(TransportTest, OversizedHeaderIsTooLarge) {
  recording_server server(pki_.server_for(), [](const server_request&) {
    server_reply reply;
    // Beast caps one field at 64 KiB: two fields make a header larger than the client's 64 KiB cap.
    reply.headers.push_back({"X-Huge-1", std::string(40 * 1024, 'h')});
    reply.headers.push_back({"X-Huge-2", std::string(40 * 1024, 'h')});
    return reply;
  });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::too_large) << r.error_message;
}

TEST_F(TransportTest, SslCertFileEnvironmentVariableIsHonoured) {
  recording_server server(pki_.server_for());
  const char* old = std::getenv("SSL_CERT_FILE");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ASSERT_EQ(::setenv("SSL_CERT_FILE", pki_.ca_file().c_str(), 1), 0);
  auto options = pki_.client_options();
  options.ca_file.clear();
  auto t = make_https_transport(options);
  if (saved) {
    ::setenv("SSL_CERT_FILE", saved->c_str(), 1);
  } else {
    ::unsetenv("SSL_CERT_FILE");
  }
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_TRUE(r.ok()) << r.error_message;
}

TEST_F(TransportTest, UnreadableCaFileFailsEveryRequestClearly) {
  auto options = pki_.client_options();
  options.ca_file = pki_.dir() + "/does-not-exist.pem";
  auto t = make_https_transport(options);
  http_response r = send_and_wait(*t, get_request("https://127.0.0.1:1/"));
  EXPECT_EQ(r.error, net_error::tls);
  EXPECT_NE(r.error_message.find("does-not-exist.pem"), std::string::npos) << r.error_message;
}

TEST_F(TransportTest, StaleKeepAliveConnectionIsRetriedOnceOnAFreshOne) {
  std::atomic<int> calls{0};
  recording_server server(pki_.server_for(), [&calls](const server_request&) {
    // The second request meets a connection the server drops (like an idle-timeout race).
    return ++calls == 2 ? fault_reply(server_fault::reset_before_read) : server_reply{};
  });
  auto t = make_https_transport(pki_.client_options());
  ASSERT_TRUE(send_and_wait(*t, get_request(server.url("/1"))).ok());
  http_response r = send_and_wait(*t, get_request(server.url("/2")));
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(server.connections(), 2u);
}

TEST_F(TransportTest, FailureOnAFreshConnectionIsNotRetried) {
  recording_server server(pki_.server_for(),
                          [](const server_request&) { return fault_reply(server_fault::reset_before_read); });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.error, net_error::reset) << r.error_message;
  EXPECT_FALSE(r.response_started);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(TransportTest, ServerRestartBetweenRequestsIsTransparent) {
  auto server = std::make_unique<recording_server>(pki_.server_for());
  const unsigned short port = server->port();
  auto t = make_https_transport(pki_.client_options());
  ASSERT_TRUE(send_and_wait(*t, get_request(server->url("/a"))).ok());
  server.reset();  // closes the idle keep-alive connection
  auto options = pki_.server_for();
  options.port = port;
  server = std::make_unique<recording_server>(options);
  http_response r = send_and_wait(*t, get_request(server->url("/b")));
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(server->requests().size(), 1u);
}

TEST_F(TransportTest, StopCancelsInFlightAndQueuedExchangesExactlyOnce) {
  recording_server server(pki_.server_for(), [](const server_request&) { return fault_reply(server_fault::hang); });
  auto options = pki_.client_options();
  options.max_connections_per_host = 2;
  auto t = make_https_transport(options);
  constexpr int n = 4;  // two in flight, two queued
  std::atomic<int> calls[n] = {};
  std::atomic<int> cancelled{0};
  std::atomic<bool> on_io_thread_only{true};
  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < n; ++i) {
    t->async_send(get_request(server.url("/h")), [&, i](http_response r) {
      ++calls[i];
      if (r.error == net_error::cancelled) ++cancelled;
      if (std::this_thread::get_id() == caller) on_io_thread_only = false;
    });
  }
  ASSERT_TRUE(wait_until([&] { return server.requests().size() == 2; }));
  const auto t0 = clock_type::now();
  t->stop();
  EXPECT_LT(since(t0), 2000ms);
  for (int i = 0; i < n; ++i) EXPECT_EQ(calls[i], 1) << i;
  EXPECT_EQ(cancelled, n);
  EXPECT_TRUE(on_io_thread_only);
  t->stop();  // idempotent
  std::this_thread::sleep_for(50ms);
  for (int i = 0; i < n; ++i) EXPECT_EQ(calls[i], 1) << i;

  // After stop: cancelled at once, and posted work does not run.
  std::atomic<int> late{0};
  http_response r = send_and_wait(*t, get_request(server.url("/late")), 1s);
  EXPECT_EQ(r.error, net_error::cancelled);
  t->post([&late] { ++late; });
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(late, 0);
}

TEST_F(TransportTest, StopIsBoundedWithIdleAndConnectingWork) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  ASSERT_TRUE(send_and_wait(*t, get_request(server.url("/"))).ok());  // leaves an idle connection
  std::atomic<int> calls{0};
  t->async_send(get_request(server.url("/")), [&calls](http_response) { ++calls; });
  const auto t0 = clock_type::now();
  t->stop();
  EXPECT_LT(since(t0), 2000ms);
  EXPECT_EQ(calls, 1);
}

TEST_F(TransportTest, PostAndPostAfterRunOnTheIoThread) {
  auto t = make_https_transport(pki_.client_options());
  std::promise<std::thread::id> posted;
  t->post([&posted] { posted.set_value(std::this_thread::get_id()); });
  auto f = posted.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  const auto io_thread = f.get();
  EXPECT_NE(io_thread, std::this_thread::get_id());

  std::promise<std::thread::id> timed;
  const auto t0 = t->now();
  t->post_after(120ms, [&timed] { timed.set_value(std::this_thread::get_id()); });
  auto g = timed.get_future();
  ASSERT_EQ(g.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(g.get(), io_thread);
  EXPECT_GE(t->now() - t0, 120ms);

  std::atomic<int> never{0};
  t->post_after(10s, [&never] { ++never; });
  const auto s0 = clock_type::now();
  t->stop();  // cancels the pending timer instead of waiting for it
  EXPECT_LT(since(s0), 2000ms);
  EXPECT_EQ(never, 0);
}

TEST_F(TransportTest, ThrowingCallbacksDoNotKillTheIoThread) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  t->post([] { throw std::runtime_error("boom"); });
  t->async_send(get_request(server.url("/")), [](http_response) { throw std::runtime_error("boom"); });
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_TRUE(r.ok()) << r.error_message;
}

TEST_F(TransportTest, DestructorInAForkedChildDoesNothing) {
  recording_server server(pki_.server_for());
  auto t = make_https_transport(pki_.client_options());
  ASSERT_TRUE(send_and_wait(*t, get_request(server.url("/"))).ok());
  // In the child there is no io thread: a join would hang; the destructor must just leak.
  EXPECT_EXIT(
      {
        t.reset();
        std::_Exit(7);
      },
      ::testing::ExitedWithCode(7), "");
  EXPECT_TRUE(send_and_wait(*t, get_request(server.url("/"))).ok());
  EXPECT_EQ(server.connections(), 1u);  // the child did not close or reuse the parent's connection
}

}  // namespace
}  // namespace gtest_tms::detail

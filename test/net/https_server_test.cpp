// The loopback HTTPS server used by the emulator: concurrency, delays, limits, stop(), errors.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
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

class HttpsServerTest : public ::testing::Test {
 protected:
  test_pki pki_;
};

TEST_F(HttpsServerTest, BindsAnEphemeralLoopbackPort) {
  recording_server a(pki_.server_for());
  recording_server b(pki_.server_for());
  EXPECT_NE(a.port(), 0);
  EXPECT_NE(b.port(), 0);
  EXPECT_NE(a.port(), b.port());
}

TEST_F(HttpsServerTest, InvalidKeyOrBusyPortThrows) {
  auto options = pki_.server_for();
  options.cert_pem = "not a certificate";
  EXPECT_THROW(start_https_server(options, [](const server_request&) { return server_reply{}; }), std::runtime_error);

  recording_server busy(pki_.server_for());
  auto same_port = pki_.server_for();
  same_port.port = busy.port();
  EXPECT_THROW(start_https_server(same_port, [](const server_request&) { return server_reply{}; }), std::runtime_error);
}

TEST_F(HttpsServerTest, HandlerSeesTheParsedRequestAndRepliesWithItsHeaders) {
  recording_server server(pki_.server_for(), [](const server_request& req) {
    server_reply r;
    r.status = 202;
    r.content_type = "text/plain";
    r.headers.push_back({"Retry-After", "7"});
    r.body = req.header("x-custom") + "|" + req.body;
    return r;
  });
  auto t = make_https_transport(pki_.client_options());
  http_request req = get_request(server.url("/v2/result/DEMO/1?x=1"));
  req.method = "PATCH";
  req.headers.push_back({"X-Custom", "hello"});
  req.body = "payload";
  http_response r = send_and_wait(*t, req);
  ASSERT_EQ(r.error, net_error::none) << r.error_message;
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "hello|payload");
  EXPECT_EQ(r.header("Retry-After"), "7");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].target, "/v2/result/DEMO/1?x=1");
}

TEST_F(HttpsServerTest, DelaysDoNotBlockOtherConnections) {
  recording_server server(pki_.server_for(), [](const server_request& req) {
    server_reply r;
    if (req.target == "/slow") r.delay = 2000ms;
    return r;
  });
  auto options = pki_.client_options();
  options.max_connections_per_host = 4;
  auto t = make_https_transport(options);
  auto slow = std::async(std::launch::async, [&] { return send_and_wait(*t, get_request(server.url("/slow"))); });
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && server.requests().empty(); ++i) std::this_thread::sleep_for(5ms);
    return !server.requests().empty();
  }());
  const auto t0 = clock_type::now();
  http_response fast = send_and_wait(*t, get_request(server.url("/fast")));
  EXPECT_TRUE(fast.ok()) << fast.error_message;
  EXPECT_LT(since(t0), 1500ms);  // answered while /slow was still waiting
  EXPECT_TRUE(slow.get().ok());
}

TEST_F(HttpsServerTest, ManyConcurrentConnections) {
  recording_server server(pki_.server_for(), [](const server_request& req) {
    server_reply r;
    r.delay = 100ms;
    r.body = req.target;
    return r;
  });
  constexpr int clients = 4;
  constexpr int per_client = 12;
  std::vector<std::future<int>> results;
  for (int c = 0; c < clients; ++c) {
    results.push_back(std::async(std::launch::async, [&, c] {
      auto options = pki_.client_options();
      options.max_connections_per_host = per_client;
      auto t = make_https_transport(options);
      std::vector<std::future<http_response>> mine;
      for (int i = 0; i < per_client; ++i) {
        auto p = std::make_shared<std::promise<http_response>>();
        mine.push_back(p->get_future());
        t->async_send(get_request(server.url("/c" + std::to_string(c) + "/" + std::to_string(i))),
                      [p](http_response r) { p->set_value(std::move(r)); });
      }
      int ok = 0;
      for (int i = 0; i < per_client; ++i) {
        if (mine[i].wait_for(20s) != std::future_status::ready) continue;
        http_response r = mine[i].get();
        if (r.ok() && r.body == "/c" + std::to_string(c) + "/" + std::to_string(i)) ++ok;
      }
      return ok;
    }));
  }
  for (auto& f : results) EXPECT_EQ(f.get(), per_client);
  EXPECT_EQ(server.requests().size(), static_cast<std::size_t>(clients * per_client));
  EXPECT_EQ(server.connections(), static_cast<std::size_t>(clients * per_client));
}

TEST_F(HttpsServerTest, OversizedRequestBodyGets413) {
  auto options = pki_.server_for();
  options.max_body_bytes = 100;
  recording_server server(options);
  auto t = make_https_transport(pki_.client_options());
  http_request req = get_request(server.url("/"));
  req.method = "POST";
  req.body = std::string(1000, 'x');
  http_response r = send_and_wait(*t, req);
  EXPECT_EQ(r.status, 413) << r.error_message;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpsServerTest, ThrowingHandlerAnswers500) {
  recording_server server(pki_.server_for(),
                          [](const server_request&) -> server_reply { throw std::runtime_error("bad fixture"); });
  auto t = make_https_transport(pki_.client_options());
  http_response r = send_and_wait(*t, get_request(server.url("/")));
  EXPECT_EQ(r.status, 500) << r.error_message;
  EXPECT_NE(r.body.find("bad fixture"), std::string::npos);
}

TEST_F(HttpsServerTest, StopClosesHangingConnectionsAndIsBounded) {
  std::atomic<int> seen{0};
  auto server = start_https_server(pki_.server_for(), [&seen](const server_request&) {
    ++seen;
    server_reply r;
    r.fault = server_fault::hang;
    return r;
  });
  auto options = pki_.client_options();
  options.request_timeout = 30s;
  auto t = make_https_transport(options);
  std::vector<std::future<http_response>> pending;
  for (int i = 0; i < 3; ++i) {
    auto p = std::make_shared<std::promise<http_response>>();
    pending.push_back(p->get_future());
    t->async_send(get_request("https://127.0.0.1:" + std::to_string(server->port()) + "/"),
                  [p](http_response r) { p->set_value(std::move(r)); });
  }
  for (int i = 0; i < 500 && seen < 3; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(seen, 3);
  const auto t0 = clock_type::now();
  server->stop();
  EXPECT_LT(since(t0), 2000ms);
  server->stop();  // idempotent
  for (auto& f : pending) {
    ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
    http_response r = f.get();
    EXPECT_EQ(r.error, net_error::reset) << r.error_message;  // closed by the server, long before 30 s
    EXPECT_TRUE(r.request_sent);
  }
}

}  // namespace
}  // namespace gtest_tms::detail

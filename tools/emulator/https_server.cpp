// A loopback HTTPS/1.1 server (Beast, C++20 coroutines, one io thread) for the emulator and the
// transport tests. Each connection is one coroutine: TLS handshake, then read request -> call the
// handler -> apply the reply's delay and fault -> answer, for as long as keep-alive lasts.
// stop() closes the listener and every connection (including hanging ones), then joins, bounded.
#include "emulator/https_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "util/text.hpp"

namespace gtest_tms::detail {

std::string server_request::header(const std::string& name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds handshake_timeout{10};
constexpr std::chrono::seconds idle_timeout{60};  // keep-alive connections idle longer are closed
constexpr std::chrono::seconds shutdown_grace{1};
constexpr std::chrono::seconds stop_join_limit{3};

struct session {
  session(tcp::socket socket, ssl::context& tls) : stream(std::move(socket), tls), timer(stream.get_executor()) {}
  void close() noexcept {
    timer.cancel();
    beast::get_lowest_layer(stream).close();
  }
  /// Closes with a TCP RST (SO_LINGER 0) instead of a FIN.
  void reset() noexcept {
    beast::error_code ec;
    beast::get_lowest_layer(stream).socket().set_option(tcp::socket::linger(true, 0), ec);
    close();
  }
  ssl::stream<beast::tcp_stream> stream;
  net::steady_timer timer;  // delays, trickle pauses, hangs: cancelled by stop()
  beast::flat_buffer buffer;
};
using session_ptr = std::shared_ptr<session>;

class server final : public https_server {
 public:
  server(const server_options& options, handler h);
  ~server() override { stop(); }
  unsigned short port() const override { return port_; }
  std::size_t connections_accepted() const override { return accepted_.load(); }
  void stop() override;

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(session_ptr s);
  net::awaitable<void> serve_requests(session& s);
  net::awaitable<bool> pause(session& s, std::chrono::milliseconds d);
  net::awaitable<void> shutdown_tls(session& s);
  server_reply call_handler(const server_request& req) noexcept;

  const server_options options_;
  const handler handler_;
  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_server};
  tcp::acceptor acceptor_{ioc_};
  unsigned short port_ = 0;
  std::atomic<std::size_t> accepted_{0};
  std::thread thread_;
  std::future<void> thread_done_;
  std::mutex stop_mutex_;
  bool joined_ = false;

  // io thread
  bool stopping_ = false;
  std::set<session_ptr> sessions_;
};

server::server(const server_options& options, handler h) : options_(options), handler_(std::move(h)) {
  beast::error_code ec;
  tls_.use_certificate_chain(net::buffer(options_.cert_pem), ec);
  if (ec) throw std::runtime_error("https server: invalid certificate: " + ec.message());
  tls_.use_private_key(net::buffer(options_.key_pem), ssl::context::pem, ec);
  if (ec) throw std::runtime_error("https server: invalid private key: " + ec.message());
  SSL_CTX* ctx = tls_.native_handle();
  if (options_.min_tls_version != 0) SSL_CTX_set_min_proto_version(ctx, options_.min_tls_version);
  if (options_.max_tls_version != 0) SSL_CTX_set_max_proto_version(ctx, options_.max_tls_version);
  // OpenSSL 3 allows TLS 1.0/1.1 only at security level 0; a test server asked for them must offer them.
  const bool legacy = (options_.min_tls_version != 0 && options_.min_tls_version < TLS1_2_VERSION) ||
                      (options_.max_tls_version != 0 && options_.max_tls_version < TLS1_2_VERSION);
  if (legacy) SSL_CTX_set_security_level(ctx, 0);

  const tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), options_.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("https server: cannot listen on 127.0.0.1:" + std::to_string(options_.port) + ": " +
                             ec.message());
  port_ = acceptor_.local_endpoint().port();

  net::co_spawn(ioc_, accept_loop(), net::detached);
  std::promise<void> done;
  thread_done_ = done.get_future();
  thread_ = std::thread([this, done = std::move(done)]() mutable {
    for (;;) {
      try {
        ioc_.run();
        break;
      } catch (...) {  // coroutines catch their own errors; this is a last resort
      }
    }
    done.set_value();
  });
}

void server::stop() {
  std::lock_guard lock(stop_mutex_);
  if (joined_ || !thread_.joinable()) return;
  net::post(ioc_, [this] {
    stopping_ = true;
    beast::error_code ec;
    acceptor_.close(ec);
    for (const auto& s : sessions_) s->close();
  });
  if (std::this_thread::get_id() == thread_.get_id()) return;  // from a handler: cannot join ourselves
  if (thread_done_.wait_for(stop_join_limit) != std::future_status::ready) ioc_.stop();
  thread_.join();
  joined_ = true;
}

net::awaitable<void> server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopping_ || ec == net::error::operation_aborted) break;
    if (ec) {  // e.g. out of descriptors: back off a little instead of spinning
      net::steady_timer backoff(ioc_, std::chrono::milliseconds(20));
      co_await backoff.async_wait(use_tuple);
      continue;
    }
    ++accepted_;
    auto s = std::make_shared<session>(std::move(socket), tls_);
    sessions_.insert(s);
    net::co_spawn(ioc_, serve(std::move(s)), net::detached);
  }
}

net::awaitable<void> server::serve(session_ptr s) {
  try {
    co_await serve_requests(*s);
  } catch (...) {  // e.g. an invalid status from the handler: drop the connection
  }
  s->close();
  sessions_.erase(s);
}

/// Waits d on the session timer; false when stopping.
net::awaitable<bool> server::pause(session& s, std::chrono::milliseconds d) {
  if (stopping_) co_return false;
  s.timer.expires_after(d);
  co_await s.timer.async_wait(use_tuple);
  co_return !stopping_;
}

net::awaitable<void> server::shutdown_tls(session& s) {
  if (stopping_) co_return;
  beast::get_lowest_layer(s.stream).expires_after(shutdown_grace);
  [[maybe_unused]] auto [ec] = co_await s.stream.async_shutdown(use_tuple);
}

server_reply server::call_handler(const server_request& req) noexcept {
  try {
    return handler_(req);
  } catch (const std::exception& e) {
    server_reply r;
    r.status = 500;
    r.content_type = "text/plain";
    r.body = std::string("emulator handler failed: ") + e.what();
    r.close = true;
    return r;
  } catch (...) {
    server_reply r;
    r.status = 500;
    r.content_type = "text/plain";
    r.body = "emulator handler failed";
    r.close = true;
    return r;
  }
}

net::awaitable<void> server::serve_requests(session& s) {
  auto& tcp_layer = beast::get_lowest_layer(s.stream);
  tcp_layer.expires_after(handshake_timeout);
  auto [hec] = co_await s.stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (hec || stopping_) co_return;

  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options_.max_body_bytes);
    tcp_layer.expires_after(idle_timeout);
    auto [rec, n] = co_await http::async_read(s.stream, s.buffer, parser, use_tuple);
    if (stopping_) co_return;
    if (rec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "text/plain");
      res.body() = "request body too large";
      res.keep_alive(false);
      res.prepare_payload();
      tcp_layer.expires_after(idle_timeout);
      co_await http::async_write(s.stream, res, use_tuple);
      co_await shutdown_tls(s);
      co_return;
    }
    if (rec) co_return;  // closed by the client, idle timeout, or not HTTP
    tcp_layer.expires_never();

    const auto& msg = parser.get();
    server_request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) req.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    req.body = msg.body();
    const bool client_keep_alive = msg.keep_alive();
    const unsigned version = msg.version();

    const server_reply reply = call_handler(req);
    // The handler has to see the request to choose a fault, so both reset faults happen after the
    // request was read: reset_before_read aborts with a TCP RST right away (before any delay), like a
    // server dropping a connection it considers idle; reset_after_read closes normally (FIN).
    if (reply.fault == server_fault::reset_before_read) {
      s.reset();
      co_return;
    }
    if (reply.delay.count() > 0 && !co_await pause(s, reply.delay)) co_return;

    switch (reply.fault) {
      case server_fault::reset_after_read:  // request consumed, connection closed (FIN) without a reply
        s.close();
        co_return;
      case server_fault::hang:  // until stop() closes the session
        co_await pause(s, std::chrono::hours(24 * 365));
        co_return;
      case server_fault::garbage: {
        static const std::string junk = "this is not HTTP at all\r\n\r\n\x01\x02\x03";
        tcp_layer.expires_after(idle_timeout);
        co_await net::async_write(s.stream, net::buffer(junk), use_tuple);
        co_await shutdown_tls(s);
        co_return;
      }
      default:
        break;
    }

    const bool keep_alive = client_keep_alive && !reply.close;
    http::response<http::string_body> res;
    res.version(version);
    res.result(static_cast<unsigned>(reply.status));
    res.set(http::field::server, "gtest-tms-emulator");
    if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
    for (const auto& h : reply.headers) res.insert(h.name, h.value);
    res.body() = reply.body;
    res.keep_alive(keep_alive);
    res.prepare_payload();

    tcp_layer.expires_after(idle_timeout);
    if (reply.fault == server_fault::trickle || reply.fault == server_fault::truncated) {
      std::ostringstream os;
      os << res;
      const std::string wire = os.str();
      if (reply.fault == server_fault::truncated) {
        co_await net::async_write(s.stream, net::buffer(wire.data(), wire.size() / 2), use_tuple);
        s.close();  // TCP close without TLS close_notify
        co_return;
      }
      // About ten pieces, at least 16 bytes each, with a pause between them.
      const std::size_t piece = std::max<std::size_t>(16, (wire.size() + 9) / 10);
      for (std::size_t at = 0; at < wire.size(); at += piece) {
        if (at > 0 && !co_await pause(s, reply.trickle_interval)) co_return;
        tcp_layer.expires_after(idle_timeout);
        auto [wec, wn] = co_await net::async_write(
            s.stream, net::buffer(wire.data() + at, std::min(piece, wire.size() - at)), use_tuple);
        if (wec) co_return;
      }
    } else {
      auto [wec, wn] = co_await http::async_write(s.stream, res, use_tuple);
      if (wec) co_return;
    }
    if (stopping_) co_return;
    if (!keep_alive) {
      co_await shutdown_tls(s);
      co_return;
    }
  }
}

}  // namespace

std::unique_ptr<https_server> start_https_server(const server_options& options, https_server::handler handler) {
  return std::make_unique<server>(options, std::move(handler));
}

}  // namespace gtest_tms::detail

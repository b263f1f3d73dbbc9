// The Beast HTTPS client behind transport.hpp.
//
// One io_context runs on one background thread (an implicit strand: every member below marked
// "io thread" is touched only there). Each async_send becomes an `exchange`, queued FIFO in the
// `host_pool` of its host:port; at most max_connections_per_host exchanges of a pool run at once,
// each as one C++20 coroutine that borrows an idle keep-alive connection or opens a new one.
//
// Proxy: when select_proxy() picks one for the target, the TCP connection goes to the proxy, a
// CONNECT request opens a tunnel, and the TLS session (SNI, certificate and host-name checks: the
// target's) runs inside it. The tunnel belongs to its connection, so pooling stays keyed by target.
//
// Deadlines: resolve + connect + proxy CONNECT + TLS handshake share connect_timeout (the resolver cannot be
// cancelled, so it is raced against a timer and abandoned); write + read share request_timeout
// (beast::tcp_stream expiry). Graceful TLS shutdowns get one second.
//
// stop() completes every unfinished exchange with net_error::cancelled exactly once, closes all
// sockets, waits (bounded) for the io thread and joins it. In a fork()ed child (gtest death tests)
// the destructor does nothing network-related and leaks the state on purpose.
#include "net/transport.hpp"

#include "net/no_proxy.hpp"
#include "platform/process.hpp"
#include "platform/socket.hpp"
#include "util/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace gtest_tms::detail {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::chrono::seconds shutdown_grace{1};     // TLS close_notify exchange
constexpr std::chrono::seconds stop_join_limit{3};    // then the io_context is stopped hard
constexpr std::chrono::seconds idle_reuse_limit{30};  // older idle connections are not reused
constexpr std::chrono::seconds fresh_reuse_limit{2};  // the same for requests that must not be resent
constexpr std::uint32_t header_limit = 64 * 1024;

// ---- URL ----------------------------------------------------------------------------------------

struct endpoint_url {
  std::string host;  // DNS name (lower case) or IP literal without brackets
  std::string port;
  std::string target;  // path and query, at least "/"
  bool ip_literal = false;
  bool ipv6 = false;

  std::string authority() const { return (ipv6 ? "[" + host + "]" : host) + ":" + port; }
  std::string host_header() const {
    std::string h = ipv6 ? "[" + host + "]" : host;
    return port == "443" ? h : h + ":" + port;
  }
};

/// Parses an absolute https URL; on failure fills `error` with one line (the URL's query and user
/// info are never echoed: they may carry secrets).
bool parse_url(const std::string& url, endpoint_url& out, std::string& error) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    error = "cannot parse the URL (" + parsed.error().message() + ")";
    return false;
  }
  const auto& u = *parsed;
  switch (u.host_type()) {
    case boost::urls::host_type::name:
      out.host = to_lower(u.host());
      break;
    case boost::urls::host_type::ipv4:
      out.host = u.host_ipv4_address().to_string();
      out.ip_literal = true;
      break;
    case boost::urls::host_type::ipv6:
      out.host = u.host_ipv6_address().to_string();
      out.ip_literal = out.ipv6 = true;
      break;
    default:
      break;
  }
  out.port = u.has_port() ? std::string(u.port()) : "443";
  const std::string scheme = to_lower(u.scheme());
  if (scheme == "http") {
    error = "http:// is refused (http://" + out.authority() +
            "): requests carry API tokens and must not travel in clear text, use https";
    return false;
  }
  if (scheme != "https") {
    error = "unsupported URL scheme '" + scheme + "': use https";
    return false;
  }
  if (out.host.empty()) {
    error = "the URL has no host";
    return false;
  }
  if (u.has_port() && !parse_port(out.port)) {
    error = "the URL has an invalid port '" + out.port + "'";
    return false;
  }
  out.target = std::string(u.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (u.has_query()) out.target += "?" + std::string(u.encoded_query());
  return true;
}

bool is_token(const std::string& s) {
  static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
  });
}

bool is_field_value(const std::string& s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

// ---- TLS helpers --------------------------------------------------------------------------------

/// Asio's RFC 6125 check, plus an X.509 error code so the failure can be reported precisely.
struct host_verifier {
  ssl::host_name_verification check;
  bool ip;
  bool operator()(bool preverified, ssl::verify_context& ctx) const {
    const bool ok = check(preverified, ctx);
    if (preverified && !ok) {
      X509_STORE_CTX_set_error(ctx.native_handle(), ip ? X509_V_ERR_IP_ADDRESS_MISMATCH : X509_V_ERR_HOSTNAME_MISMATCH);
    }
    return ok;
  }
};

/// Cause of a failed handshake, in words.
std::string tls_cause(SSL* ssl, const beast::error_code& ec) {
  const long vr = SSL_get_verify_result(ssl);
  if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return "certificate is for another host name (" + std::string(X509_verify_cert_error_string(vr)) + ")";
  }
  if (vr != X509_V_OK) {
    return "certificate verify failed (" + std::string(X509_verify_cert_error_string(vr)) + ")";
  }
  if (ec == net::error::eof || ec == ssl::error::stream_truncated || ec == net::error::connection_reset) {
    return "the server closed the connection during the handshake (" + ec.message() + ")";
  }
  std::string cause = ec.message();
  if (cause.find("wrong version number") != std::string::npos) cause += "; is this port serving TLS?";
  if (cause.find("protocol version") != std::string::npos || cause.find("unsupported protocol") != std::string::npos) {
    cause += "; the server offers no TLS 1.2 or 1.3";
  }
  return cause;
}

// ---- state --------------------------------------------------------------------------------------

struct connection {
  connection(net::io_context& ioc, ssl::context& tls) : stream(ioc, tls) {}
  void close() noexcept { beast::get_lowest_layer(stream).close(); }
  bool looks_alive() noexcept;

  ssl::stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  clock_type::time_point idle_since{};
};

/// A cheap check before reusing an idle connection: a FIN already received means the server closed
/// it. Pending bytes (a TLS session ticket or close_notify) are left to the exchange to discover.
bool connection::looks_alive() noexcept {
  auto& sock = beast::get_lowest_layer(stream).socket();
  if (!sock.is_open()) return false;
  return !socket_peer_closed(static_cast<std::intptr_t>(sock.native_handle()));
}

struct resolve_wait {
  explicit resolve_wait(net::io_context& ioc) : timer(ioc), resolver(ioc) {}
  net::steady_timer timer;  // cancelled by the resolve handler, or fires at the deadline
  tcp::resolver resolver;
  bool done = false;
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
};

struct exchange {
  http_request req;
  response_handler handler;
  endpoint_url where;
  bool done = false;                        // handler called (io thread, or stop() after the join)
  std::shared_ptr<connection> conn;         // current connection: stop() closes it
  std::shared_ptr<resolve_wait> resolving;  // current lookup: stop() cancels its timer
};
using exchange_ptr = std::shared_ptr<exchange>;

struct host_pool {
  std::deque<exchange_ptr> waiting;
  std::vector<std::shared_ptr<connection>> idle;
  std::size_t active = 0;
  std::vector<tcp::endpoint> endpoints;        // cached lookup; cleared when connecting fails
  std::vector<tcp::endpoint> proxy_endpoints;  // same for this target's proxy (if any)
};
using pool_ptr = std::shared_ptr<host_pool>;

http_response failure(net_error e, std::string message) {
  http_response r;
  r.error = e;
  r.error_message = std::move(message);
  return r;
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool is_stale_error(const beast::error_code& ec) {
  return ec == net::error::eof || ec == http::error::end_of_stream || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

void call_safely(const std::function<void()>& fn) noexcept {
  try {
    if (fn) fn();
  } catch (...) {  // a throwing callback must not take the io thread down
  }
}

// ---- the client ---------------------------------------------------------------------------------

class client {
 public:
  explicit client(const transport_options& options);
  void async_send(http_request req, response_handler handler);
  void post(std::function<void()> fn);
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn);
  void stop();

 private:
  void start(const exchange_ptr& ex);  // io thread
  void pump(const pool_ptr& pool);     // io thread
  void finish(const exchange_ptr& ex, http_response res) noexcept;
  void shutdown_now();  // io thread
  void close_gracefully(std::shared_ptr<connection> conn);
  std::shared_ptr<connection> take_idle(host_pool& pool, bool idempotent);

  net::awaitable<void> run(pool_ptr pool, exchange_ptr ex);
  net::awaitable<void> run_attempts(host_pool& pool, exchange_ptr ex);
  net::awaitable<std::shared_ptr<connection>> open(host_pool& pool, exchange& ex, http_response& res);
  net::awaitable<bool> resolve(std::vector<tcp::endpoint>& cache, const std::string& host, const std::string& port,
                               exchange& ex, clock_type::time_point deadline, http_response& res);
  net::awaitable<bool> tunnel(connection& conn, const proxy_url_parts& proxy, exchange& ex,
                              clock_type::time_point deadline, http_response& res);
  net::awaitable<bool> roundtrip(connection& conn, exchange& ex, http_response& res, bool& keep_alive,
                                 beast::error_code& io_error);
  http_response io_failure(const exchange& ex, const beast::error_code& ec, bool writing,
                           clock_type::time_point deadline) const;

  const transport_options options_;
  net::io_context ioc_;
  ssl::context tls_{ssl::context::tls_client};
  std::string setup_error_;  // a CA file that cannot be loaded fails every request with this
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
  std::future<void> thread_done_;

  std::mutex stop_mutex_;  // serialises stop()
  bool joined_ = false;
  std::atomic<bool> stopping_{false};

  std::mutex live_mutex_;        // guards live_ and the stopping_ check in async_send
  std::set<exchange_ptr> live_;  // submitted, handler not yet called

  // io thread
  std::map<std::string, pool_ptr> pools_;
  std::set<std::shared_ptr<net::steady_timer>> timers_;
};

client::client(const transport_options& options) : options_(options), work_(net::make_work_guard(ioc_)) {
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);  // TLS 1.3 stays enabled
  tls_.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  tls_.set_default_verify_paths(ec);  // honours SSL_CERT_FILE / SSL_CERT_DIR
  if (!options_.ca_file.empty()) {
    tls_.load_verify_file(options_.ca_file, ec);
    if (ec) setup_error_ = "cannot load the CA file '" + options_.ca_file + "': " + ec.message();
  }
  if (!options_.ca_dir.empty() && setup_error_.empty()) {
    tls_.add_verify_path(options_.ca_dir, ec);
    if (ec) setup_error_ = "cannot use the CA directory '" + options_.ca_dir + "': " + ec.message();
  }
  std::promise<void> done;
  thread_done_ = done.get_future();
  thread_ = std::thread([this, done = std::move(done)]() mutable {
    for (;;) {
      try {
        ioc_.run();
        break;
      } catch (...) {  // every handler catches its own errors; this is a last resort
      }
    }
    done.set_value();
  });
}

void client::async_send(http_request req, response_handler handler) {
  auto ex = std::make_shared<exchange>();
  ex->req = std::move(req);
  ex->handler = std::move(handler);
  {
    std::lock_guard lock(live_mutex_);
    if (!stopping_) {
      live_.insert(ex);
      net::post(ioc_, [this, ex] { start(ex); });
      return;
    }
  }
  // Stopped: there is no io thread any more, so the caller hears it right away.
  ex->done = true;
  try {
    ex->handler(failure(net_error::cancelled, "the HTTPS transport is stopped"));
  } catch (...) {
  }
}

void client::post(std::function<void()> fn) {
  if (stopping_) return;
  net::post(ioc_, [this, fn = std::move(fn)] {
    if (!stopping_) call_safely(fn);
  });
}

void client::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (stopping_) return;
  net::post(ioc_, [this, delay, fn = std::move(fn)]() mutable {
    if (stopping_) return;
    auto timer = std::make_shared<net::steady_timer>(ioc_, delay);
    timers_.insert(timer);
    timer->async_wait([this, timer, fn = std::move(fn)](const beast::error_code& ec) {
      timers_.erase(timer);
      if (!ec && !stopping_) call_safely(fn);
    });
  });
}

void client::stop() {
  std::lock_guard stop_lock(stop_mutex_);
  if (joined_) return;
  {
    std::lock_guard lock(live_mutex_);
    stopping_ = true;
  }
  if (std::this_thread::get_id() == thread_.get_id()) {
    // Misuse (the interface forbids it): cannot join ourselves; cancel and let the thread end.
    shutdown_now();
    work_.reset();
    ioc_.stop();
    return;
  }
  net::post(ioc_, [this] { shutdown_now(); });
  work_.reset();
  // Graceful TLS shutdowns need up to shutdown_grace; an abandoned DNS lookup may need longer.
  if (thread_done_.wait_for(stop_join_limit) != std::future_status::ready) ioc_.stop();
  thread_.join();
  joined_ = true;
  // Anything the io thread did not reach (a hard stop) is completed here, after the join.
  std::set<exchange_ptr> rest;
  {
    std::lock_guard lock(live_mutex_);
    rest.swap(live_);
  }
  for (const auto& ex : rest) finish(ex, failure(net_error::cancelled, "the HTTPS transport was stopped"));
}

void client::shutdown_now() {
  for (const auto& t : timers_) t->cancel();
  timers_.clear();
  std::set<exchange_ptr> live;
  {
    std::lock_guard lock(live_mutex_);
    live = live_;
  }
  for (const auto& ex : live) {
    if (ex->conn) ex->conn->close();
    if (ex->resolving) {
      ex->resolving->timer.cancel();
      ex->resolving->resolver.cancel();
    }
    finish(ex, failure(net_error::cancelled,
                       ex->where.host.empty()
                           ? "the request was cancelled: the HTTPS transport is stopping"
                           : "request to " + ex->where.authority() + " cancelled: the HTTPS transport is stopping"));
  }
  for (auto& [key, pool] : pools_) {
    pool->waiting.clear();
    for (auto& conn : pool->idle) close_gracefully(conn);
    pool->idle.clear();
  }
  pools_.clear();
}

void client::finish(const exchange_ptr& ex, http_response res) noexcept {
  if (ex->done) return;
  ex->done = true;
  {
    std::lock_guard lock(live_mutex_);
    live_.erase(ex);
  }
  ex->conn.reset();
  ex->resolving.reset();
  auto handler = std::move(ex->handler);
  try {
    if (handler) handler(std::move(res));
  } catch (...) {  // the handler's own business; the io thread goes on
  }
}

void client::start(const exchange_ptr& ex) {
  if (stopping_) {
    finish(ex, failure(net_error::cancelled, "the request was cancelled: the HTTPS transport is stopping"));
    return;
  }
  std::string error;
  if (!parse_url(ex->req.url, ex->where, error)) {
    finish(ex, failure(net_error::bad_url, error));
    return;
  }
  const std::string where = ex->where.authority();
  if (!setup_error_.empty()) {
    finish(ex, failure(net_error::tls, "TLS setup for " + where + " failed: " + setup_error_));
    return;
  }
  if (!is_token(ex->req.method)) {
    finish(ex, failure(net_error::bad_url, "request to " + where + ": invalid HTTP method"));
    return;
  }
  for (const auto& h : ex->req.headers) {
    if (!is_token(h.name) || !is_field_value(h.value)) {
      // The value may be a token: name only the header.
      finish(ex, failure(net_error::bad_url, "request to " + where + ": invalid header '" +
                                                 (is_token(h.name) ? h.name : std::string("?")) + "'"));
      return;
    }
  }
  if (!is_field_value(ex->req.content_type)) {
    finish(ex, failure(net_error::bad_url, "request to " + where + ": invalid Content-Type"));
    return;
  }
  auto& pool = pools_[where];
  if (!pool) pool = std::make_shared<host_pool>();
  pool->waiting.push_back(ex);
  pump(pool);
}

void client::pump(const pool_ptr& pool) {
  const std::size_t limit = std::max<std::size_t>(1, options_.max_connections_per_host);
  while (!stopping_ && pool->active < limit && !pool->waiting.empty()) {
    exchange_ptr ex = std::move(pool->waiting.front());
    pool->waiting.pop_front();
    if (ex->done) continue;
    ++pool->active;
    net::co_spawn(ioc_, run(pool, std::move(ex)), net::detached);
  }
}

std::shared_ptr<connection> client::take_idle(host_pool& pool, bool idempotent) {
  // A request that cannot be resent after a stale connection only takes one that was busy moments
  // ago: servers close idle keep-alive connections after many seconds, not within this.
  const auto limit = idempotent ? idle_reuse_limit : fresh_reuse_limit;
  while (!pool.idle.empty()) {
    auto conn = std::move(pool.idle.back());  // most recently used first: least likely to be stale
    pool.idle.pop_back();
    if (clock_type::now() - conn->idle_since < limit && conn->looks_alive()) return conn;
    conn->close();
  }
  return nullptr;
}

void client::close_gracefully(std::shared_ptr<connection> conn) {
  net::co_spawn(
      ioc_,
      [conn]() -> net::awaitable<void> {
        beast::get_lowest_layer(conn->stream).expires_after(shutdown_grace);
        // eof / stream_truncated / timeout all end the same way: HTTP is self-delimiting.
        [[maybe_unused]] auto [ec] = co_await conn->stream.async_shutdown(use_tuple);
        conn->close();
      },
      net::detached);
}

net::awaitable<void> client::run(pool_ptr pool, exchange_ptr ex) {
  try {
    co_await run_attempts(*pool, ex);
  } catch (const std::exception& e) {
    finish(ex, failure(net_error::protocol,
                       "request to " + ex->where.authority() + " failed: internal error: " + e.what()));
  } catch (...) {
    finish(ex, failure(net_error::protocol, "request to " + ex->where.authority() + " failed: internal error"));
  }
  --pool->active;
  pump(pool);
}

net::awaitable<void> client::run_attempts(host_pool& pool, exchange_ptr ex) {
  http_response res;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The retry always uses a fresh connection: other idle ones are as old as the stale one.
    std::shared_ptr<connection> conn = attempt == 0 ? take_idle(pool, ex->req.idempotent) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = co_await open(pool, *ex, res);
      if (!conn) break;
    }
    if (ex->done) {  // cancelled while connecting
      conn->close();
      co_return;
    }
    ex->conn = conn;
    bool keep_alive = false;
    beast::error_code io_error;
    res = http_response{};
    const bool ok = co_await roundtrip(*conn, *ex, res, keep_alive, io_error);
    ex->conn.reset();
    if (ok) {
      if (keep_alive && !stopping_) {
        conn->idle_since = clock_type::now();
        pool.idle.push_back(std::move(conn));
      } else {
        close_gracefully(std::move(conn));
      }
      break;
    }
    conn->close();
    // eof/reset/truncation on a reused connection before any response byte is the signature of a
    // keep-alive connection the server closed while it sat idle: retry once on a fresh connection.
    // Not for a request that must not be sent twice: a server that processed it and then lost the
    // connection looks the same. Its fate stays unknown (request_sent) for the backend to settle.
    const bool stale = reused && !res.response_started && is_stale_error(io_error);
    if (stale) {  // the other idle connections are as old as this one
      for (auto& old : pool.idle) old->close();
      pool.idle.clear();
    }
    if (!stale || !ex->req.idempotent || ex->done || stopping_) break;
  }
  finish(ex, std::move(res));
}

net::awaitable<bool> client::resolve(std::vector<tcp::endpoint>& cache, const std::string& host,
                                     const std::string& port, exchange& ex, clock_type::time_point deadline,
                                     http_response& res) {
  beast::error_code literal_ec;
  const auto literal = net::ip::make_address(host, literal_ec);
  if (!literal_ec) {
    cache = {tcp::endpoint(literal, parse_port(port).value_or(0))};  // parse_url checked the port
    co_return true;
  }
  if (!cache.empty()) co_return true;
  // getaddrinfo runs on Asio's resolver thread and cannot be interrupted: race it against a timer
  // and abandon it when the deadline comes first.
  auto wait = std::make_shared<resolve_wait>(ioc_);
  ex.resolving = wait;
  wait->resolver.async_resolve(host, port,
                               [wait](const beast::error_code& ec, const tcp::resolver::results_type& results) {
                                 if (wait->done) return;
                                 wait->done = true;
                                 wait->ec = ec;
                                 for (const auto& entry : results) wait->endpoints.push_back(entry.endpoint());
                                 wait->timer.cancel();
                               });
  wait->timer.expires_at(deadline);
  [[maybe_unused]] auto [ec] = co_await wait->timer.async_wait(use_tuple);
  ex.resolving.reset();
  if (ex.done) co_return false;
  if (!wait->done) {
    wait->done = true;
    res = failure(net_error::timeout, "resolving " + host + " timed out after " + ms_text(options_.connect_timeout));
    co_return false;
  }
  if (wait->ec || wait->endpoints.empty()) {
    res = failure(net_error::resolve,
                  "cannot resolve host " + host + ": " + (wait->ec ? wait->ec.message() : std::string("no addresses")));
    co_return false;
  }
  cache = std::move(wait->endpoints);
  co_return true;
}

net::awaitable<std::shared_ptr<connection>> client::open(host_pool& pool, exchange& ex, http_response& res) {
  const auto deadline = clock_type::now() + options_.connect_timeout;
  const std::string where = ex.where.authority();

  // HTTPS_PROXY & co.: the TCP connection goes to the proxy, a CONNECT tunnel carries the TLS session
  // to the target. SNI and certificate verification below still use the target's name.
  proxy_url_parts proxy;
  const std::string proxy_url =
      select_proxy(options_.proxy_url, options_.no_proxy, ex.where.host, parse_port(ex.where.port).value_or(0));
  const bool via_proxy = !proxy_url.empty();
  if (via_proxy) {
    std::string error;
    if (!parse_proxy_url(proxy_url, proxy, error)) {  // the error never contains the credentials
      res = failure(net_error::proxy, "request to " + where + ": unusable proxy URL: " + error);
      co_return nullptr;
    }
  }
  std::vector<tcp::endpoint>& cache = via_proxy ? pool.proxy_endpoints : pool.endpoints;
  const std::string peer = via_proxy ? "proxy at " + proxy.authority() : where;
  // Named locals, not temporaries: g++ 12 mis-destroys temporaries of a ?: inside a co_await call.
  const std::string connect_host = via_proxy ? proxy.host : ex.where.host;
  const std::string connect_port = via_proxy ? std::to_string(proxy.port) : ex.where.port;
  const bool resolved = co_await resolve(cache, connect_host, connect_port, ex, deadline, res);
  if (!resolved) {
    if (via_proxy && !res.error_message.empty()) res.error_message += " (the proxy for " + where + ")";
    co_return nullptr;
  }

  auto conn = std::make_shared<connection>(ioc_, tls_);
  ex.conn = conn;
  auto& tcp_layer = beast::get_lowest_layer(conn->stream);
  tcp_layer.expires_at(deadline);
  const std::vector<tcp::endpoint> endpoints = cache;  // the pool's list may change meanwhile
  auto [cec, endpoint] = co_await tcp_layer.async_connect(endpoints, use_tuple);
  if (ex.done) co_return nullptr;
  if (cec) {
    cache.clear();  // look the name up again next time
    if (cec == beast::error::timeout || clock_type::now() >= deadline) {
      res = failure(net_error::timeout,
                    "connecting to " + peer + " timed out after " + ms_text(options_.connect_timeout));
    } else {
      res = failure(net_error::connect, "cannot connect to " + peer + ": " + cec.message());
    }
    co_return nullptr;
  }
  // Small requests must not wait for the peer's delayed ACK (Nagle's algorithm), as curl does.
  boost::system::error_code nec;
  tcp_layer.socket().set_option(tcp::no_delay(true), nec);  // best effort: a failure only costs time
  if (via_proxy) {
    const bool tunnelled = co_await tunnel(*conn, proxy, ex, deadline, res);
    if (!tunnelled) {
      conn->close();
      co_return nullptr;
    }
  }

  // SNI (not for IP literals, RFC 6066) and RFC 6125 host-name verification, before the handshake.
  if (!ex.where.ip_literal && !SSL_set_tlsext_host_name(conn->stream.native_handle(), ex.where.host.c_str())) {
    conn->close();
    res = failure(net_error::tls, "TLS handshake with " + where + " failed: cannot set the server name (SNI)");
    co_return nullptr;
  }
  conn->stream.set_verify_callback(host_verifier{ssl::host_name_verification(ex.where.host), ex.where.ip_literal});
  tcp_layer.expires_at(deadline);
  auto [hec] = co_await conn->stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (ex.done) co_return nullptr;
  if (hec) {
    conn->close();
    if (hec == beast::error::timeout || clock_type::now() >= deadline) {
      res = failure(net_error::timeout,
                    "TLS handshake with " + where + " timed out after " + ms_text(options_.connect_timeout));
    } else {
      res = failure(net_error::tls,
                    "TLS handshake with " + where + " failed: " + tls_cause(conn->stream.native_handle(), hec));
    }
    co_return nullptr;
  }
  tcp_layer.expires_never();
  co_return conn;
}

/// "user:password" in Base64 (RFC 7617), by OpenSSL.
std::string basic_credentials(const proxy_url_parts& proxy) {
  const std::string plain = proxy.user + ":" + proxy.password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

net::awaitable<bool> client::tunnel(connection& conn, const proxy_url_parts& proxy, exchange& ex,
                                    clock_type::time_point deadline, http_response& res) {
  const std::string target = ex.where.authority();
  const std::string what = "CONNECT to " + target + " through the proxy at " + proxy.authority() + " failed: ";
  auto& tcp_layer = beast::get_lowest_layer(conn.stream);
  tcp_layer.expires_at(deadline);
  http::request<http::empty_body> req{http::verb::connect, target, 11};
  req.set(http::field::host, target);
  if (!options_.user_agent.empty()) req.set(http::field::user_agent, options_.user_agent);
  if (proxy.has_credentials) req.set(http::field::proxy_authorization, "Basic " + basic_credentials(proxy));
  auto [wec, written] = co_await http::async_write(tcp_layer, req, use_tuple);
  if (ex.done) co_return false;
  if (wec) {
    res = failure(wec == beast::error::timeout ? net_error::timeout : net_error::proxy,
                  what + "sending: " + wec.message());
    co_return false;
  }
  // A reply to CONNECT has no body we want (RFC 9110 9.3.6); skip(true) also keeps a 2xx from being
  // read "until close".
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  parser.header_limit(header_limit);
  beast::flat_buffer buffer;
  auto [rec, read] = co_await http::async_read(tcp_layer, buffer, parser, use_tuple);
  if (ex.done) co_return false;
  if (rec) {
    if (rec == beast::error::timeout || clock_type::now() >= deadline) {
      res = failure(net_error::timeout, what + "no reply within " + ms_text(options_.connect_timeout));
    } else {
      res = failure(net_error::proxy, what + "bad reply (" + rec.message() + ")");
    }
    co_return false;
  }
  const unsigned status = parser.get().result_int();
  const std::string status_text = std::to_string(status) + " " + std::string(parser.get().reason());
  if (status == 407) {
    res = failure(
        net_error::proxy,
        what + (proxy.has_credentials ? "the proxy credentials were refused (407)"
                                      : "the proxy at " + proxy.authority() +
                                            " requires credentials (407): put user:password@ in the proxy URL"));
    co_return false;
  }
  if (status < 200 || status > 299) {
    res = failure(net_error::proxy, what + "the proxy answered " + status_text);
    co_return false;
  }
  if (buffer.size() != 0) {  // the target speaks only after our ClientHello: these bytes are not TLS
    res = failure(net_error::proxy, what + "the proxy sent unexpected bytes after " + status_text);
    co_return false;
  }
  co_return true;
}

net::awaitable<bool> client::roundtrip(connection& conn, exchange& ex, http_response& res, bool& keep_alive,
                                       beast::error_code& io_error) {
  http::request<http::string_body> msg;
  msg.version(11);
  if (const auto verb = http::string_to_verb(ex.req.method); verb != http::verb::unknown) {
    msg.method(verb);
  } else {
    msg.method_string(ex.req.method);
  }
  msg.target(ex.where.target);
  msg.set(http::field::host, ex.where.host_header());
  if (!options_.user_agent.empty()) msg.set(http::field::user_agent, options_.user_agent);
  for (const auto& h : ex.req.headers) msg.set(h.name, h.value);
  if (!ex.req.content_type.empty()) msg.set(http::field::content_type, ex.req.content_type);
  msg.body() = ex.req.body;  // a copy: a retry needs it again
  msg.keep_alive(true);
  msg.prepare_payload();

  auto& tcp_layer = beast::get_lowest_layer(conn.stream);
  const auto deadline = clock_type::now() + options_.request_timeout;
  tcp_layer.expires_at(deadline);  // one deadline for write + read
  auto [wec, written] = co_await http::async_write(conn.stream, msg, use_tuple);
  if (wec) {
    io_error = wec;
    res = io_failure(ex, wec, true, deadline);
    co_return false;
  }
  res.request_sent = true;

  http::response_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(options_.max_body_bytes);
  if (msg.method() == http::verb::head) parser.skip(true);
  auto [rec, read] = co_await http::async_read(conn.stream, conn.buffer, parser, use_tuple);
  res.response_started = parser.got_some() || conn.buffer.size() > 0;
  if (rec) {
    io_error = rec;
    res = io_failure(ex, rec, false, deadline);
    res.request_sent = true;
    res.response_started = parser.got_some() || conn.buffer.size() > 0;
    co_return false;
  }
  tcp_layer.expires_never();
  auto& reply = parser.get();
  res.status = static_cast<int>(reply.result_int());
  for (const auto& field : reply) res.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  res.body = std::move(reply.body());
  keep_alive = reply.keep_alive();
  co_return true;
}

http_response client::io_failure(const exchange& ex, const beast::error_code& ec, bool writing,
                                 clock_type::time_point deadline) const {
  // Names the request line's host, port and path (never the query or headers: they may hold secrets).
  std::string what = ex.req.method + " https://" + ex.where.authority() +
                     ex.where.target.substr(0, ex.where.target.find('?')) + " failed: ";
  if (stopping_ && ec == net::error::operation_aborted) {
    return failure(net_error::cancelled, what + "the HTTPS transport is stopping");
  }
  if (ec == beast::error::timeout || clock_type::now() >= deadline) {
    return failure(net_error::timeout, what + "no complete response within " + ms_text(options_.request_timeout));
  }
  if (ec == http::error::body_limit) {
    return failure(net_error::too_large,
                   what + "the response body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return failure(net_error::too_large,
                   what + "the response header exceeds " + std::to_string(header_limit) + " bytes");
  }
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == ssl::error::stream_truncated) {
    return failure(net_error::reset, what + "the server closed the connection " +
                                         (writing ? "while the request was sent" : "before the response was complete") +
                                         " (" + ec.message() + ")");
  }
  if (ec == http::error::partial_message) {
    return failure(net_error::reset, what + "the connection closed in the middle of the response");
  }
  if (ec.category() == beast::error_code(http::error::bad_version).category()) {
    return failure(net_error::protocol, what + "the response is not valid HTTP (" + ec.message() + ")");
  }
  return failure(net_error::reset,
                 what + (writing ? "sending the request: " : "reading the response: ") + ec.message());
}

// ---- the public object: owns the client, knows about fork() ------------------------------------

class https_transport final : public transport {
 public:
  explicit https_transport(const transport_options& options)
      : owner_pid_(current_pid()), client_(std::make_unique<client>(options)) {}

  ~https_transport() override {
    if (current_pid() != owner_pid_) {
      // A fork()ed child (death test) has no io thread: joining would hang and a TLS shutdown would
      // write on the parent's connections. Leak everything on purpose.
      (void)client_.release();
      return;
    }
    client_->stop();
  }

  void async_send(http_request req, response_handler handler) override {
    client_->async_send(std::move(req), std::move(handler));
  }
  void post(std::function<void()> fn) override { client_->post(std::move(fn)); }
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    client_->post_after(delay, std::move(fn));
  }
  std::chrono::steady_clock::time_point now() const override { return clock_type::now(); }
  void stop() override {
    if (current_pid() == owner_pid_) client_->stop();
  }

 private:
  const std::int64_t owner_pid_;
  std::unique_ptr<client> client_;
};

}  // namespace

std::unique_ptr<transport> make_https_transport(const transport_options& options) {
  return std::make_unique<https_transport>(options);
}

}  // namespace gtest_tms::detail

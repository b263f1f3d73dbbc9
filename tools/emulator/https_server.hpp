#pragma once
// A small HTTPS/1.1 server on loopback (Beast, own io thread) for the local TMS emulator and the
// transport tests. The handler is plain C++: it sees a parsed request and returns a reply that can
// also describe a fault (reset, hang, trickle, garbage) to exercise the client's error paths.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/transport.hpp"

namespace gtest_tms::detail {

struct server_request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, e.g. "/v1/run/DEMO"
  std::vector<http_header> headers;
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive, empty if absent
};

enum class server_fault {
  none,
  reset_before_read,  // close the connection as soon as the request head arrives, nothing read
  reset_after_read,   // read the whole request, then close without answering
  hang,               // read the request, never answer (until stop)
  trickle,            // send the reply a few bytes at a time with pauses (trickle_interval)
  garbage,            // answer bytes that are not HTTP, then close
  truncated,          // send half of the reply, then close the TCP connection without TLS close_notify
};

struct server_reply {
  int status = 200;
  std::vector<http_header> headers;  // e.g. Retry-After
  std::string content_type = "application/json";
  std::string body;
  server_fault fault = server_fault::none;
  std::chrono::milliseconds delay{0};  // wait before answering (latency injection)
  std::chrono::milliseconds trickle_interval{200};
  bool close = false;  // answer with Connection: close and close afterwards
};

struct server_options {
  std::string key_pem;  // server key and certificate chain (PEM)
  std::string cert_pem;
  unsigned short port = 0;  // 0: any free port on 127.0.0.1
  int min_tls_version = 0;  // OpenSSL constants (TLS1_VERSION, ...); 0: library default
  int max_tls_version = 0;
  std::size_t max_body_bytes = std::size_t{64} * 1024 * 1024;
};

class https_server {
 public:
  using handler = std::function<server_reply(const server_request&)>;
  virtual ~https_server() = default;
  /// The bound port on 127.0.0.1.
  virtual unsigned short port() const = 0;
  /// TCP connections accepted so far (tests use it to see keep-alive reuse).
  virtual std::size_t connections_accepted() const = 0;
  /// Closes the listener and all connections, joins the io thread. Idempotent.
  virtual void stop() = 0;
};

/// Binds 127.0.0.1 and starts serving on its own io thread; the handler runs on that thread.
/// Throws std::runtime_error when the port cannot be bound or the key/certificate are invalid.
std::unique_ptr<https_server> start_https_server(const server_options& options, https_server::handler handler);

}  // namespace gtest_tms::detail

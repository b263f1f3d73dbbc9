#pragma once
// The network seam. Everything above this header (pipeline, backends) is plain C++ and is tested
// with a fake; https_transport.cpp implements it with Boost.Beast on one io thread.
// All callbacks (response handlers, posted and timed functions) run on that one thread.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gtest_tms::detail {

struct http_header {
  std::string name;
  std::string value;
};

struct http_request {
  std::string method = "GET";        // GET, POST, PATCH
  std::string url;                   // absolute https:// URL, path and query included
  std::vector<http_header> headers;  // secrets included; never logged unredacted
  std::string content_type;          // empty: no Content-Type header
  std::string body;
  /// Sending it twice duplicates nothing. False (run creation, QA Sphere results): the transport
  /// never resends it on its own, not even after a reused connection turned out to be closed.
  bool idempotent = true;
};

enum class net_error {
  none,
  bad_url,    // not an https URL (http:// is refused), unparsable
  resolve,    // DNS
  connect,    // TCP connect refused / unreachable
  tls,        // handshake or certificate verification failed
  proxy,      // the proxy refused the CONNECT or needs credentials
  timeout,    // any step exceeded its timeout
  reset,      // connection closed or reset while writing or reading
  protocol,   // the response was not valid HTTP
  too_large,  // the response exceeded the body/header cap
  cancelled,  // the transport was stopped
};

const char* to_string(net_error e) noexcept;

struct http_response {
  net_error error = net_error::none;
  std::string error_message;         // one line naming the host and the cause; empty when error == none
  bool request_sent = false;         // the whole request was written before the failure
  bool response_started = false;     // some response bytes were read before the failure
  int status = 0;                    // HTTP status, 0 on a transport error
  std::vector<http_header> headers;  // response headers (names as sent)
  std::string body;                  // capped at transport_options::max_body_bytes
  /// A 2xx whose body is not the documented success answer (set by the pipeline's requester, never
  /// by the transport): a proxy's HTML page or `"status": false` confirms nothing.
  bool unconfirmed = false;

  bool ok() const { return error == net_error::none && status >= 200 && status < 300 && !unconfirmed; }
  /// A 2xx status, confirmed or not.
  bool success_status() const { return error == net_error::none && status >= 200 && status < 300; }
  /// First header with that name (case-insensitive), or empty.
  std::string header(const std::string& name) const;
};

using response_handler = std::function<void(http_response)>;

struct transport_options {
  std::chrono::milliseconds connect_timeout{10000};  // resolve + connect + proxy + TLS handshake
  std::chrono::milliseconds request_timeout{30000};  // write + read of one exchange
  std::size_t max_connections_per_host = 8;
  std::size_t max_body_bytes = std::size_t{8} * 1024 * 1024;
  std::string ca_file;  // extra CA bundle (besides the system store, SSL_CERT_FILE, SSL_CERT_DIR)
  std::string ca_dir;
  std::string user_agent = "gtest-tms-reporter";
  // Proxy (HTTPS_PROXY & co. are read by the caller and passed here); empty: direct.
  std::string proxy_url;  // http://[user:pass@]host:port
  std::string no_proxy;   // curl's NO_PROXY syntax
};

class transport {
 public:
  virtual ~transport() = default;
  /// Sends one request; the handler is called exactly once, on the io thread, unless the
  /// transport is destroyed first. Keep-alive connections are reused; up to
  /// max_connections_per_host exchanges run in parallel per host, further ones wait.
  virtual void async_send(http_request req, response_handler handler) = 0;
  /// Runs fn on the io thread. Safe from any thread.
  virtual void post(std::function<void()> fn) = 0;
  /// Runs fn on the io thread after the delay. Safe from any thread.
  virtual void post_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  /// Monotonic now, as the transport sees it (fakes move it by hand).
  virtual std::chrono::steady_clock::time_point now() const = 0;
  /// Cancels all I/O and timers (handlers see net_error::cancelled), then joins the io thread.
  /// Never call from the io thread. Idempotent.
  virtual void stop() = 0;
};

/// The Beast implementation: starts its io thread at construction. Defined in https_transport.cpp.
std::unique_ptr<transport> make_https_transport(const transport_options& options);

}  // namespace gtest_tms::detail

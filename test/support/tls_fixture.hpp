#pragma once
// TLS test helpers: a CA made at test time (written as a PEM file in a temp dir), leaves signed by
// it, a loopback HTTPS server with a recording handler, and a blocking wrapper around async_send.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/https_server.hpp"
#include "emulator/pki.hpp"
#include "net/transport.hpp"
#include "process.hpp"

namespace gtest_tms::detail::testing_support {

/// A private CA for one test, its certificate written to ca_file(), and a default leaf for
/// localhost / 127.0.0.1.
class test_pki {
 public:
  test_pki();
  const pki::key_and_cert& ca() const { return ca_; }
  const pki::key_and_cert& leaf() const { return leaf_; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_.path(); }
  pki::key_and_cert make_leaf(const pki::leaf_request& request) const { return pki::make_leaf(ca_, request); }
  /// Server options with this leaf (default: the localhost leaf).
  server_options server_for(const pki::key_and_cert* leaf = nullptr) const;
  /// Transport options trusting this CA via options.ca_file, with short test timeouts.
  transport_options client_options() const;

 private:
  temp_dir dir_;
  pki::key_and_cert ca_;
  pki::key_and_cert leaf_;
  std::string ca_file_;
};

/// Runs a server whose handler records every request and answers with `reply_fn` (default: 200 "ok").
class recording_server {
 public:
  using reply_fn = std::function<server_reply(const server_request&)>;
  explicit recording_server(const server_options& options, reply_fn fn = {});
  ~recording_server();
  unsigned short port() const { return server_->port(); }
  std::string url(const std::string& path = "/") const;  // https://127.0.0.1:PORT/path
  std::vector<server_request> requests() const;
  std::size_t connections() const { return server_->connections_accepted(); }
  https_server& server() { return *server_; }

 private:
  mutable std::mutex mutex_;
  std::vector<server_request> requests_;
  reply_fn fn_;
  std::unique_ptr<https_server> server_;
};

/// Sends one request and waits for its response (bounded: a missing callback fails with a
/// net_error::timeout response whose message says so).
http_response send_and_wait(transport& t, http_request req, std::chrono::milliseconds limit = std::chrono::seconds(20));

http_request get_request(const std::string& url);

}  // namespace gtest_tms::detail::testing_support

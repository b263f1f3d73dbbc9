#pragma once
// A small HTTP CONNECT proxy for tests (plain TCP on 127.0.0.1, own io thread). It only tunnels to
// 127.0.0.1 / localhost / ::1 targets, so a test can never reach the outside through it.

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gtest_tms::detail::testing_support {

struct connect_proxy_options {
  bool require_credentials = false;  // answer 407 unless Proxy-Authorization is Basic user:password
  std::string user;
  std::string password;
  int refuse_status = 0;               // non-zero (e.g. 403): refuse every CONNECT with this status
  std::string junk_after_established;  // sent in the same write as the 200 (a broken proxy)
};

class connect_proxy {
 public:
  explicit connect_proxy(connect_proxy_options options = {});
  ~connect_proxy();
  connect_proxy(const connect_proxy&) = delete;
  connect_proxy& operator=(const connect_proxy&) = delete;

  unsigned short port() const;
  /// http://127.0.0.1:PORT, or http://user:password@127.0.0.1:PORT.
  std::string url() const;
  std::string url(const std::string& user, const std::string& password) const;
  /// CONNECT requests seen and tunnels established (2xx sent and relaying started).
  std::size_t connect_requests() const { return connect_requests_; }
  std::size_t tunnels() const { return tunnels_; }
  /// Request heads received (for checks such as "the Host header was sent").
  std::vector<std::string> heads() const;
  void stop();

  struct impl;

 private:
  std::atomic<std::size_t> connect_requests_{0};
  std::atomic<std::size_t> tunnels_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
  std::unique_ptr<impl> impl_;
};

}  // namespace gtest_tms::detail::testing_support

#pragma once
// A transport for pipeline and listener tests: a real event-loop thread with real timers, and a
// plain function standing in for the server. No sockets.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "net/transport.hpp"

namespace gtest_tms::detail::testing_support {

class loop_transport final : public transport {
 public:
  /// Called on the loop thread for every request; returns the response to deliver.
  using server_fn = std::function<http_response(const http_request&)>;

  explicit loop_transport(server_fn server, std::chrono::milliseconds latency = std::chrono::milliseconds(0));
  ~loop_transport() override;

  void async_send(http_request req, response_handler handler) override;
  void post(std::function<void()> fn) override;
  void post_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  void stop() override;

  std::vector<http_request> requests() const;
  std::size_t max_concurrent() const;

 private:
  struct task {
    std::chrono::steady_clock::time_point when;
    std::uint64_t seq;
    std::function<void()> fn;
  };
  void schedule(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  void run();

  server_fn server_;
  std::chrono::milliseconds latency_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::multimap<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>, std::function<void()>> tasks_;
  std::map<std::uint64_t, response_handler> open_requests_;
  std::vector<http_request> requests_;
  std::uint64_t seq_ = 0;
  std::size_t concurrent_ = 0;
  std::size_t max_concurrent_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

/// A JSON response with that status and body.
http_response json_response(int status, std::string body, std::vector<http_header> headers = {});

}  // namespace gtest_tms::detail::testing_support

#include "loop_transport.hpp"

namespace gtest_tms::detail::testing_support {

loop_transport::loop_transport(server_fn server, std::chrono::milliseconds latency)
    : server_(std::move(server)), latency_(latency), thread_([this] { run(); }) {}

loop_transport::~loop_transport() { stop(); }

void loop_transport::schedule(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    tasks_.emplace(std::make_pair(when, seq_++), std::move(fn));
  }
  cv_.notify_one();
}

void loop_transport::async_send(http_request req, response_handler handler) {
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    id = seq_++;
    open_requests_.emplace(id, std::move(handler));
    requests_.push_back(req);
    max_concurrent_ = std::max(max_concurrent_, ++concurrent_);
  }
  schedule(now() + latency_, [this, id, req = std::move(req)] {
    http_response r = server_(req);
    response_handler h;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = open_requests_.find(id);
      if (it == open_requests_.end()) return;
      h = std::move(it->second);
      open_requests_.erase(it);
      --concurrent_;
    }
    h(std::move(r));
  });
}

void loop_transport::post(std::function<void()> fn) { schedule(now(), std::move(fn)); }

void loop_transport::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  schedule(now() + delay, std::move(fn));
}

void loop_transport::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stopping_) break;
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto it = tasks_.begin();
    if (it->first.first > now()) {
      cv_.wait_until(lock, it->first.first);
      continue;
    }
    auto fn = std::move(it->second);
    tasks_.erase(it);
    lock.unlock();
    fn();
    lock.lock();
  }
  // Stop semantics of the real transport: open requests complete once with `cancelled`.
  auto open = std::move(open_requests_);
  open_requests_.clear();
  tasks_.clear();
  lock.unlock();
  for (auto& [id, h] : open) {
    http_response r;
    r.error = net_error::cancelled;
    r.error_message = "cancelled";
    h(std::move(r));
  }
}

void loop_transport::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::vector<http_request> loop_transport::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

std::size_t loop_transport::max_concurrent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_concurrent_;
}

http_response json_response(int status, std::string body, std::vector<http_header> headers) {
  http_response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.request_sent = true;
  r.response_started = true;
  return r;
}

}  // namespace gtest_tms::detail::testing_support

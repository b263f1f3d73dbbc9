#pragma once
// A scripted `requester` for backend tests: records every request and answers from a script
// (in order), or from `responder`, or with `fallback`. Answers synchronously inside send()
// unless `deferred` is set, in which case answer_next() delivers them one at a time.

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "delivery/backend.hpp"
#include "net/transport.hpp"

namespace gtest_tms::detail::fakes {

inline http_response make_response(int status, std::string body = {}, std::vector<http_header> headers = {}) {
  http_response r;
  r.status = status;
  r.request_sent = true;
  r.response_started = true;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

inline http_response make_transport_error(net_error e, std::string message, bool request_sent = false) {
  http_response r;
  r.error = e;
  r.error_message = std::move(message);
  r.request_sent = request_sent;
  return r;
}

/// First header value with that name (case-insensitive), or nullopt.
inline std::optional<std::string> find_header(const http_request& req, const std::string& name) {
  const auto eq = [](const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  };
  for (const auto& h : req.headers) {
    if (eq(h.name, name)) return h.value;
  }
  return std::nullopt;
}

class fake_requester final : public requester {
 public:
  struct sent_request {
    http_request request;
    bool idempotent = false;
  };

  /// Appends a scripted answer (used in order, one per request).
  void push(http_response r) { script_.push_back(std::move(r)); }
  void push(int status, std::string body = {}) { push(make_response(status, std::move(body))); }

  /// Consulted before the script; returning a value answers the request.
  std::function<std::optional<http_response>(const http_request&)> responder;
  /// Answer when neither the responder nor the script has one.
  http_response fallback = make_response(200, R"({"status":true})");
  /// When true, send() only queues; call answer_next() to deliver.
  bool deferred = false;

  std::vector<sent_request> requests;

  /// Like the pipeline: a 2xx the backend's check refuses arrives unconfirmed.
  void send(http_request req, bool idempotent, confirm_check confirms, response_handler done) override {
    requests.push_back({req, idempotent});
    http_response answer = pick(req);
    if (answer.success_status() && confirms && !confirms(req, answer)) answer.unconfirmed = true;
    if (deferred) {
      pending_.emplace_back(std::move(answer), std::move(done));
      return;
    }
    done(std::move(answer));
  }

  std::size_t pending() const { return pending_.size(); }

  /// Delivers the oldest queued answer; false when nothing is queued.
  bool answer_next() {
    if (pending_.empty()) return false;
    auto [answer, done] = std::move(pending_.front());
    pending_.pop_front();
    done(std::move(answer));
    return true;
  }

  std::size_t scripted_left() const { return script_.size(); }

 private:
  http_response pick(const http_request& req) {
    if (responder) {
      if (auto r = responder(req)) return std::move(*r);
    }
    if (!script_.empty()) {
      http_response r = std::move(script_.front());
      script_.pop_front();
      return r;
    }
    return fallback;
  }

  std::deque<http_response> script_;
  std::deque<std::pair<http_response, response_handler>> pending_;
};

}  // namespace gtest_tms::detail::fakes

#include "tls_fixture.hpp"

#include <future>

namespace gtest_tms::detail::testing_support {

test_pki::test_pki()
    : ca_(pki::make_ca("gtest-tms transport test CA")), leaf_(pki::make_leaf(ca_, pki::leaf_request{})) {
  ca_file_ = dir_.path() + "/ca.pem";
  write_file(ca_file_, ca_.cert_pem);
}

server_options test_pki::server_for(const pki::key_and_cert* leaf) const {
  server_options o;
  o.key_pem = (leaf ? *leaf : leaf_).key_pem;
  o.cert_pem = (leaf ? *leaf : leaf_).cert_pem;
  return o;
}

transport_options test_pki::client_options() const {
  transport_options o;
  o.ca_file = ca_file_;
  o.connect_timeout = std::chrono::seconds(5);
  o.request_timeout = std::chrono::seconds(5);
  return o;
}

namespace {

// Built here rather than in the handler lambda: there GCC 12 -O3 inlines the reply's std::string
// moves into std::function's invoker and reports a false -Wmaybe-uninitialized.
server_reply plain_ok() {
  server_reply r;
  r.content_type = "text/plain";
  r.body = "ok";
  return r;
}

}  // namespace

recording_server::recording_server(const server_options& options, reply_fn fn) : fn_(std::move(fn)) {
  server_ = start_https_server(options, [this](const server_request& req) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(req);
    }
    return fn_ ? fn_(req) : plain_ok();
  });
}

recording_server::~recording_server() { server_->stop(); }

std::string recording_server::url(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<server_request> recording_server::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

http_response send_and_wait(transport& t, http_request req, std::chrono::milliseconds limit) {
  auto promise = std::make_shared<std::promise<http_response>>();
  auto future = promise->get_future();
  t.async_send(std::move(req), [promise](http_response r) { promise->set_value(std::move(r)); });
  if (future.wait_for(limit) != std::future_status::ready) {
    http_response r;
    r.error = net_error::timeout;
    r.error_message = "test: no response callback within the test's limit";
    return r;
  }
  return future.get();
}

http_request get_request(const std::string& url) {
  http_request r;
  r.method = "GET";
  r.url = url;
  return r;
}

}  // namespace gtest_tms::detail::testing_support

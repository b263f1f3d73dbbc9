// The test CONNECT proxy (see connect_proxy.hpp). Asio only, one io thread; each tunnel relays both
// directions until either side closes.
#include "connect_proxy.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <openssl/evp.h>

#include <array>
#include <cctype>
#include <sstream>
#include <thread>

namespace gtest_tms::detail::testing_support {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string base64(const std::string& plain) {
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

struct connect_proxy::impl {
  impl(connect_proxy& o, connect_proxy_options opts) : owner(o), options(std::move(opts)) {}
  connect_proxy& owner;
  connect_proxy_options options;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  unsigned short port = 0;
  std::thread thread;

  struct session : std::enable_shared_from_this<session> {
    impl& proxy;
    tcp::socket client;
    tcp::socket upstream;
    net::streambuf head{64 * 1024};
    std::string reply;
    std::array<char, 16384> down{};
    std::array<char, 16384> up{};
    session(impl& p, tcp::socket s) : proxy(p), client(std::move(s)), upstream(p.ioc) {}

    void start() {
      auto self = shared_from_this();
      net::async_read_until(client, head, "\r\n\r\n", [self](boost::system::error_code ec, std::size_t n) {
        if (!ec) self->on_head(n);
      });
    }

    void answer(const std::string& status_line, bool then_relay) {
      reply = "HTTP/1.1 " + status_line + "\r\n";
      if (status_line.rfind("407", 0) == 0) reply += "Proxy-Authenticate: Basic realm=\"test\"\r\n";
      reply += then_relay ? "\r\n" : "Content-Length: 0\r\nConnection: close\r\n\r\n";
      if (then_relay) reply += proxy.options.junk_after_established;
      auto self = shared_from_this();
      net::async_write(client, net::buffer(reply), [self, then_relay](boost::system::error_code ec, std::size_t) {
        if (ec || !then_relay) {
          boost::system::error_code ignored;
          self->client.shutdown(tcp::socket::shutdown_both, ignored);
          self->client.close(ignored);
          return;
        }
        ++self->proxy.owner.tunnels_;
        self->pump(self->client, self->upstream, self->up);
        self->pump(self->upstream, self->client, self->down);
      });
    }

    void on_head(std::size_t n) {
      std::string text(net::buffers_begin(head.data()),
                       net::buffers_begin(head.data()) + static_cast<std::ptrdiff_t>(n));
      head.consume(n);
      {
        std::lock_guard lock(proxy.owner.mutex_);
        proxy.owner.heads_.push_back(text);
      }
      std::istringstream lines(text);
      std::string request_line;
      std::getline(lines, request_line);
      std::istringstream parts(trim(request_line));
      std::string method, target, version;
      parts >> method >> target >> version;
      if (method != "CONNECT") return answer("405 Method Not Allowed", false);
      ++proxy.owner.connect_requests_;
      std::string authorization;
      for (std::string line; std::getline(lines, line);) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        if (lower(trim(line.substr(0, colon))) == "proxy-authorization") authorization = trim(line.substr(colon + 1));
      }
      if (proxy.options.refuse_status != 0) {
        return answer(std::to_string(proxy.options.refuse_status) + " Refused", false);
      }
      if (proxy.options.require_credentials &&
          authorization != "Basic " + base64(proxy.options.user + ":" + proxy.options.password)) {
        return answer("407 Proxy Authentication Required", false);
      }
      const auto colon = target.rfind(':');
      if (colon == std::string::npos) return answer("400 Bad Request", false);
      std::string host = target.substr(0, colon);
      if (host == "[::1]") host = "::1";
      if (host != "127.0.0.1" && host != "localhost" && host != "::1") return answer("403 Forbidden", false);
      boost::system::error_code ec;
      const auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
      const unsigned long port = std::strtoul(target.c_str() + colon + 1, nullptr, 10);
      if (ec || port == 0 || port > 65535) return answer("400 Bad Request", false);
      auto self = shared_from_this();
      upstream.async_connect(tcp::endpoint(address, static_cast<unsigned short>(port)),
                             [self](boost::system::error_code cec) {
                               if (cec) return self->answer("502 Bad Gateway", false);
                               self->answer("200 Connection established", true);
                             });
    }

    void pump(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
      auto self = shared_from_this();
      from.async_read_some(net::buffer(buf), [self, &from, &to, &buf](boost::system::error_code ec, std::size_t n) {
        if (ec) {
          boost::system::error_code ignored;
          to.shutdown(tcp::socket::shutdown_send, ignored);  // pass the close on
          return;
        }
        net::async_write(to, net::buffer(buf.data(), n),
                         [self, &from, &to, &buf](boost::system::error_code wec, std::size_t) {
                           if (wec) {
                             boost::system::error_code ignored;
                             from.close(ignored);
                             return;
                           }
                           self->pump(from, to, buf);
                         });
      });
    }
  };

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      std::make_shared<session>(*this, std::move(s))->start();
      accept();
    });
  }
};

connect_proxy::connect_proxy(connect_proxy_options options) : impl_(std::make_unique<impl>(*this, std::move(options))) {
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

connect_proxy::~connect_proxy() { stop(); }

void connect_proxy::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->ioc.stop();
  impl_->thread.join();
}

unsigned short connect_proxy::port() const { return impl_->port; }

std::string connect_proxy::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::string connect_proxy::url(const std::string& user, const std::string& password) const {
  return "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port());
}

std::vector<std::string> connect_proxy::heads() const {
  std::lock_guard lock(mutex_);
  return heads_;
}

}  // namespace gtest_tms::detail::testing_support

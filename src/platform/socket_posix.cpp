#include <sys/socket.h>

#include <cerrno>

#include "platform/socket.hpp"

namespace gtest_tms::detail {

bool socket_peer_closed(std::intptr_t native_handle) noexcept {
  char byte;
  const ssize_t n = ::recv(static_cast<int>(native_handle), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  return false;
}

}  // namespace gtest_tms::detail

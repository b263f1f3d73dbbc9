#pragma once
// The one socket question Asio does not answer portably.

#include <cstdint>

namespace gtest_tms::detail {

/// Whether the peer of a connected socket has closed it (a FIN is waiting) or it failed; pending
/// bytes count as open. Does not block and consumes nothing.
bool socket_peer_closed(std::intptr_t native_handle) noexcept;

}  // namespace gtest_tms::detail

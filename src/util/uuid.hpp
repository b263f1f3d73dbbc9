#pragma once
// Random (version 4) UUIDs: the idempotency key of every Qase result.

#include <string>

namespace gtest_tms::detail {

/// A random RFC 4122 version 4 UUID in lower-case 8-4-4-4-12 form. Thread-safe (one generator per
/// thread), fork-safe (the generator draws from the OS on every call, no buffered state) and never
/// throws: when the OS has no entropy to give, a per-thread PRNG seeded from time, address and a
/// counter is used instead, which is still unique enough for idempotency keys.
std::string make_uuid() noexcept;

}  // namespace gtest_tms::detail

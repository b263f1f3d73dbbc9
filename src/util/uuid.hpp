#pragma once
// Random (version 4) UUIDs: the idempotency key of every Qase result.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gtest_tms::detail {

/// A random RFC 4122 version 4 UUID in lower-case 8-4-4-4-12 form. Thread-safe (one mt19937_64 engine
/// per thread, seeded from the OS on its first use rather than on every call, which would cost a
/// getrandom() per result), fork-safe (after fork() the child reseeds from the OS before its next
/// UUID, so it never repeats its parent's sequence) and never throws: when the OS has no entropy to
/// give, a per-thread PRNG seeded from time, thread id and a counter is used instead, still unique
/// enough for idempotency keys.
std::string make_uuid() noexcept;
/// The same into `out`, reusing its storage (no allocation when it has room for 36 characters).
void make_uuid(std::string& out) noexcept;

using uuid_bytes = std::array<std::uint8_t, 16>;
/// The 16 bytes of a UUID in make_uuid()'s form (lower-case 8-4-4-4-12); false for any other text,
/// upper case included, so uuid_text() gives back the same text byte for byte.
bool parse_uuid(std::string_view text, uuid_bytes& out) noexcept;
/// make_uuid()'s form of these bytes.
std::string uuid_text(const uuid_bytes& bytes);

}  // namespace gtest_tms::detail

#include "util/uuid.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <thread>

#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace gtest_tms::detail {
namespace {

boost::uuids::uuid fallback_uuid() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng([] {
    const auto t = static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    const auto tid = static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    const auto c = counter.fetch_add(1, std::memory_order_relaxed);
    std::seed_seq seq{static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32),
                      static_cast<std::uint32_t>(tid), static_cast<std::uint32_t>(tid >> 32),
                      static_cast<std::uint32_t>(c)};
    return std::mt19937_64(seq);
  }());
  boost::uuids::uuid u{};
  for (std::size_t i = 0; i < u.size(); i += 8) {
    const std::uint64_t r = rng();
    for (std::size_t k = 0; k < 8; ++k) u.data[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
  }
  u.data[6] = static_cast<std::uint8_t>((u.data[6] & 0x0F) | 0x40);  // version 4
  u.data[8] = static_cast<std::uint8_t>((u.data[8] & 0x3F) | 0x80);  // RFC 4122 variant
  return u;
}

// A forked child must not repeat its parent's sequence: the child handler bumps the generation and
// every thread reseeds from the OS on its next call. Registered once, before the first generator.
std::atomic<unsigned> fork_generation{0};

unsigned current_generation() noexcept {
  static const bool registered = [] {
    return ::pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); }) == 0;
  }();
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

}  // namespace

std::string make_uuid() noexcept {
  boost::uuids::uuid u{};
  try {
    // Seeded from the OS once per thread (and again after fork()): a getrandom() call per result
    // would cost about a microsecond of the test thread's budget.
    thread_local std::unique_ptr<boost::uuids::random_generator_mt19937> gen;
    thread_local unsigned generation = 0;
    const unsigned now = current_generation();
    if (!gen || generation != now) {
      gen = std::make_unique<boost::uuids::random_generator_mt19937>();
      generation = now;
    }
    u = (*gen)();
  } catch (...) {
    u = fallback_uuid();
  }
  try {
    return boost::uuids::to_string(u);
  } catch (...) {
    return std::string();  // only std::bad_alloc can get here
  }
}

}  // namespace gtest_tms::detail

#include "util/uuid.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <random>
#include <thread>

#include "platform/process.hpp"

namespace gtest_tms::detail {
namespace {

// A forked child must not repeat its parent's sequence: the child handler bumps the generation and
// every thread reseeds on its next call. Registered once, before the first generator.
std::atomic<unsigned> fork_generation{0};

unsigned current_generation() noexcept {
  static const bool registered = [] {
    return on_fork_in_child([] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  }();
  (void)registered;
  return fork_generation.load(std::memory_order_relaxed);
}

// 256 bits from the OS; when it has none to give (random_device throws), time, thread id and a
// process-wide counter, still unique enough for idempotency keys.
std::mt19937_64 seeded_engine() noexcept {
  std::uint32_t words[8] = {};
  try {
    std::random_device os;
    for (auto& w : words) w = os();
  } catch (...) {
    static std::atomic<std::uint64_t> counter{0};
    const auto t = static_cast<std::uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
    const auto tid = static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    const auto c = counter.fetch_add(1, std::memory_order_relaxed);
    words[0] = static_cast<std::uint32_t>(t);
    words[1] = static_cast<std::uint32_t>(t >> 32);
    words[2] = static_cast<std::uint32_t>(tid);
    words[3] = static_cast<std::uint32_t>(tid >> 32);
    words[4] = static_cast<std::uint32_t>(c);
  }
  try {
    std::seed_seq seq(std::begin(words), std::end(words));
    return std::mt19937_64(seq);
  } catch (...) {
    return std::mt19937_64(static_cast<std::uint64_t>(words[0]) << 32 | words[1]);  // seed_seq allocates
  }
}

constexpr char hex_digits[] = "0123456789abcdef";

void format_uuid(const std::uint8_t* b, char* text) noexcept {
  std::size_t o = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[o++] = '-';
    text[o++] = hex_digits[b[i] >> 4];
    text[o++] = hex_digits[b[i] & 0x0F];
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void fill_uuid(char (&text)[36]) noexcept {
  // One engine per thread, seeded on its first use (and again after fork()): a getrandom() per
  // result would cost about a microsecond of the test thread's budget.
  thread_local std::mt19937_64 engine = seeded_engine();
  thread_local unsigned generation = current_generation();
  if (const unsigned now = current_generation(); now != generation) {
    engine = seeded_engine();
    generation = now;
  }
  std::uint8_t b[16];
  for (std::size_t i = 0; i < 16; i += 8) {
    const std::uint64_t r = engine();
    for (std::size_t k = 0; k < 8; ++k) b[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
  format_uuid(b, text);
}

}  // namespace

std::string make_uuid() noexcept {
  std::string out;
  make_uuid(out);
  return out;
}

bool parse_uuid(std::string_view text, uuid_bytes& out) noexcept {
  if (text.size() != 36) return false;
  std::size_t byte = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i++] != '-') return false;
      continue;
    }
    const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[byte++] = static_cast<std::uint8_t>(hi * 16 + lo);
    i += 2;
  }
  return byte == out.size();
}

std::string uuid_text(const uuid_bytes& bytes) {
  char text[36];
  format_uuid(bytes.data(), text);
  return std::string(text, sizeof text);
}

void make_uuid(std::string& out) noexcept {
  char text[36];
  fill_uuid(text);
  try {
    out.assign(text, sizeof text);
  } catch (...) {
    out.clear();  // only std::bad_alloc can get here
  }
}

}  // namespace gtest_tms::detail

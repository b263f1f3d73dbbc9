#include "util/text.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <system_error>

namespace gtest_tms::detail {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Length of the well-formed UTF-8 sequence starting at in[i], or 0 when it is ill-formed; on 0,
// `bad` receives the length of the maximal subpart to replace by one U+FFFD (Unicode Table 3-7).
std::size_t utf8_sequence(std::string_view in, std::size_t i, std::size_t& bad) noexcept {
  const auto b0 = static_cast<unsigned char>(in[i]);
  if (b0 < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 == 0xE0) {
    need = 2, lo = 0xA0;  // no overlongs
  } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
    need = 2;
  } else if (b0 == 0xED) {
    need = 2, hi = 0x9F;  // no surrogates
  } else if (b0 == 0xF0) {
    need = 3, lo = 0x90;  // no overlongs
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    need = 3;
  } else if (b0 == 0xF4) {
    need = 3, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    bad = 1;  // 80..C1 and F5..FF never start a sequence
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= in.size()) {
      bad = k;
      return 0;
    }
    const auto b = static_cast<unsigned char>(in[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) {
      bad = k;
      return 0;
    }
  }
  return need + 1;
}

bool is_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string sanitize_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t bad = 0;
    const std::size_t n = utf8_sequence(in, i, bad);
    if (n > 0) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out.append(replacement);
      i += bad;
    }
  }
  return out;
}

std::string strip_ansi(std::string_view in) {
  constexpr char esc = '\x1B';
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    const char c = in[i];
    if (c != esc) {
      out.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= n) break;  // a lone trailing ESC
    const char kind = in[i + 1];
    if (kind == '[') {
      // CSI: parameter bytes 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
      std::size_t j = i + 2;
      while (j < n && in[j] >= 0x30 && in[j] <= 0x3F) ++j;
      while (j < n && in[j] >= 0x20 && in[j] <= 0x2F) ++j;
      if (j < n && in[j] >= 0x40 && in[j] <= 0x7E) ++j;  // else malformed: drop what was consumed
      i = j;
    } else if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
      // OSC / DCS / SOS / PM / APC: up to BEL (OSC) or ST (ESC \); CAN/SUB abort; newline bounds it.
      std::size_t j = i + 2;
      while (j < n) {
        const char d = in[j];
        if (d == '\x07' || d == '\x18' || d == '\x1A') {
          ++j;
          break;
        }
        if (d == esc && j + 1 < n && in[j + 1] == '\\') {
          j += 2;
          break;
        }
        if (d == '\n') break;  // keep the newline itself
        ++j;
      }
      i = j;
    } else if (kind >= 0x20 && kind <= 0x2F) {
      // ESC, intermediates, final (e.g. "ESC ( B" charset selection).
      std::size_t j = i + 1;
      while (j < n && in[j] >= 0x20 && in[j] <= 0x2F) ++j;
      if (j < n && in[j] >= 0x30 && in[j] <= 0x7E) ++j;
      i = j;
    } else if (kind >= 0x30 && kind <= 0x7E) {
      i += 2;  // two-byte escape (ESC 7, ESC =, ESC c, ...)
    } else {
      ++i;  // ESC followed by a control or non-ASCII byte: drop the ESC only
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view in, std::size_t max_bytes, std::string_view marker) {
  if (in.size() <= max_bytes) return std::string(in);
  std::size_t keep;
  bool with_marker = marker.size() <= max_bytes;
  keep = with_marker ? max_bytes - marker.size() : max_bytes;
  // Back up to a code point boundary; at most 3 steps (a longer run of continuation bytes is
  // ill-formed input anyway, and sanitize_utf8 will deal with it).
  for (int steps = 0; steps < 3 && keep > 0 && keep < in.size() && is_continuation(in[keep]); ++steps) --keep;
  std::string out(in.substr(0, keep));
  if (with_marker) out.append(marker);
  return out;
}

std::string html_escape(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (const char c : in) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string clean_text(std::string_view in, std::size_t max_bytes) {
  std::string out = sanitize_utf8(strip_ansi(in));
  // Control bytes other than tab and line breaks (a hostile server's BEL, backspace, NUL...) must
  // never reach a terminal or a TMS page: they are removed, as the README says.
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](char c) {
                             const auto u = static_cast<unsigned char>(c);
                             return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
                           }),
            out.end());
  return truncate_utf8(out, max_bytes);
}

std::string_view trim(std::string_view in) {
  while (!in.empty() && is_space(in.front())) in.remove_prefix(1);
  while (!in.empty() && is_space(in.back())) in.remove_suffix(1);
  return in;
}

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::vector<std::string> split_list(std::string_view in, char sep) {
  std::vector<std::string> out;
  while (true) {
    const auto pos = in.find(sep);
    const auto item = trim(in.substr(0, pos));
    if (!item.empty()) out.emplace_back(item);
    if (pos == std::string_view::npos) break;
    in.remove_prefix(pos + 1);
  }
  return out;
}

std::string mask_secret(std::string_view secret) {
  constexpr std::string_view stars = "****";
  if (secret.size() <= 7) return std::string(stars);
  for (const char c : secret) {
    if (c < 0x21 || c > 0x7E) return std::string(stars);
  }
  std::string out(secret.substr(0, 3));
  out.append(stars);
  out.append(secret.substr(secret.size() - 4));
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view in) {
  std::string out(in);
  for (char& c : out) c = lower(c);
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view text, std::int64_t lo, std::int64_t hi,
                                      parse_int_error* error) noexcept {
  const auto refuse = [error](parse_int_error why) -> std::optional<std::int64_t> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  const bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  // from_chars would accept the '-' itself; checking the digits here also refuses "+-1" and "--1".
  if (digits.empty()) return refuse(parse_int_error::not_an_integer);
  for (const char c : digits) {
    if (c < '0' || c > '9') return refuse(parse_int_error::not_an_integer);
  }
  std::int64_t value = 0;
  const char* first = negative ? text.data() : digits.data();
  const auto [end, ec] = std::from_chars(first, text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc() && (value < lo || value > hi))) {
    const bool below = ec == std::errc() ? value < lo : negative;
    return refuse(below ? parse_int_error::below_range : parse_int_error::above_range);
  }
  if (ec != std::errc() || end != text.data() + text.size()) return refuse(parse_int_error::not_an_integer);
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  if (text.empty() || text.size() > 5 || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto v = parse_int(text, 1, 65535);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace gtest_tms::detail

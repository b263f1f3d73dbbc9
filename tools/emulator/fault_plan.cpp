// Parsing of the compact fault-plan syntax documented in emulator.hpp.

#include <cctype>
#include <limits>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>

#include "emulator/emulator.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail::emulator {
namespace {

bool parse_uint(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return false;  // no sign
  const auto v = parse_int(s, 0, std::numeric_limits<std::int64_t>::max());
  if (v) out = static_cast<std::uint64_t>(*v);
  return v.has_value();
}

[[noreturn]] void fail(std::string_view rule, const std::string& why) {
  throw std::invalid_argument("fault plan: rule '" + std::string(rule) + "': " + why);
}

void parse_occurrence(std::string_view rule, std::string_view occ, fault_rule& r) {
  auto dots = occ.find("..");
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  if (dots == std::string_view::npos) {
    if (!parse_uint(occ, first) || first == 0) fail(rule, "occurrence must be #N, #N..M or #N.. with N >= 1");
    last = first;
  } else {
    if (!parse_uint(occ.substr(0, dots), first) || first == 0)
      fail(rule, "occurrence must be #N, #N..M or #N.. with N >= 1");
    auto tail = occ.substr(dots + 2);
    if (!tail.empty() && (!parse_uint(tail, last) || last < first)) fail(rule, "occurrence range #N..M needs M >= N");
  }
  r.first = first;
  r.last = last;
}

void parse_matcher(std::string_view rule, std::string_view m, fault_rule& r) {
  m = trim(m);
  if (auto hash = m.rfind('#'); hash != std::string_view::npos) {
    parse_occurrence(rule, trim(m.substr(hash + 1)), r);
    m = trim(m.substr(0, hash));
  }
  if (m.empty()) fail(rule, "missing matcher (use * for any request)");
  if (m == "*") return;
  if (m.front() == '/') {
    r.path_regex = std::string(m);
  } else {
    auto space = m.find_first_of(" \t");
    std::string_view method = m.substr(0, space);
    for (char c : method)
      if (!(std::isupper(static_cast<unsigned char>(c)) || c == '*'))
        fail(rule, "expected an upper-case HTTP method, * or a /path regex");
    r.method = std::string(method);
    if (space != std::string_view::npos) r.path_regex = std::string(trim(m.substr(space)));
  }
  try {
    std::regex check(r.path_regex);
  } catch (const std::regex_error& e) {
    fail(rule, "bad path regex: " + std::string(e.what()));
  }
}

bool parse_fault_name(std::string_view s, server_fault& f) {
  for (auto candidate : {server_fault::reset_before_read, server_fault::reset_after_read, server_fault::hang,
                         server_fault::trickle, server_fault::garbage, server_fault::truncated}) {
    if (s == fault_name(candidate)) {
      f = candidate;
      return true;
    }
  }
  return false;
}

void parse_action(std::string_view rule, std::string_view a, fault_rule& r) {
  a = trim(a);
  if (a.empty()) fail(rule, "empty action");
  if (std::isdigit(static_cast<unsigned char>(a.front()))) {
    auto colon = a.find(':');
    std::uint64_t status = 0;
    if (!parse_uint(a.substr(0, colon), status) || status < 100 || status > 599)
      fail(rule, "HTTP status must be 100..599");
    if (r.status != 0 || r.fault != server_fault::none) fail(rule, "only one status or fault per rule");
    r.status = static_cast<int>(status);
    auto opt = colon == std::string_view::npos ? std::string_view{} : a.substr(colon + 1);
    while (!opt.empty()) {
      constexpr std::string_view retry_key = "retry-after=";
      constexpr std::string_view body_key = "body=";
      if (opt.substr(0, body_key.size()) == body_key) {
        // The rest of the action is the body (it may hold ':'; ',' and ';' end it).
        r.body = std::string(opt.substr(body_key.size()));
        if (r.body.empty()) fail(rule, ":body= needs a text");
        r.content_type = r.body.front() == '<' ? "text/html" : "application/json";
        break;
      }
      const auto next = opt.find(':');
      const auto item = opt.substr(0, next);
      std::uint64_t secs = 0;
      if (item.substr(0, retry_key.size()) != retry_key || !parse_uint(item.substr(retry_key.size()), secs) ||
          secs > 86400)
        fail(rule, "after the status only :retry-after=SECONDS and :body=TEXT are understood");
      r.retry_after = static_cast<int>(secs);
      opt = next == std::string_view::npos ? std::string_view{} : opt.substr(next + 1);
    }
    return;
  }
  if (a.substr(0, 8) == "latency:") {
    std::uint64_t ms = 0;
    if (!parse_uint(a.substr(8), ms) || ms > 600000) fail(rule, "latency:MS needs 0..600000 milliseconds");
    r.latency += std::chrono::milliseconds(ms);
    return;
  }
  if (a == "close") {
    r.close = true;
    return;
  }
  server_fault f = server_fault::none;
  if (parse_fault_name(a, f)) {
    if (r.status != 0 || r.fault != server_fault::none) fail(rule, "only one status or fault per rule");
    r.fault = f;
    return;
  }
  fail(rule,
       "unknown action '" + std::string(a) +
           "' (expected STATUS[:retry-after=S][:body=TEXT], latency:MS, close, reset_before_read, reset_after_read, "
           "hang, trickle, garbage or truncated)");
}

}  // namespace

const char* fault_name(server_fault f) noexcept {
  switch (f) {
    case server_fault::none:
      return "none";
    case server_fault::reset_before_read:
      return "reset_before_read";
    case server_fault::reset_after_read:
      return "reset_after_read";
    case server_fault::hang:
      return "hang";
    case server_fault::trickle:
      return "trickle";
    case server_fault::garbage:
      return "garbage";
    case server_fault::truncated:
      return "truncated";
  }
  return "unknown";
}

fault_plan parse_fault_plan(const std::string& spec) {
  fault_plan plan;
  std::string_view rest = spec;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view rule = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (rule.empty()) continue;
    auto eq = rule.find('=');
    if (eq == std::string_view::npos) fail(rule, "expected MATCHER=ACTION");
    fault_rule r;
    r.text = std::string(rule);
    parse_matcher(rule, rule.substr(0, eq), r);
    std::string_view actions = rule.substr(eq + 1);
    // Actions are split on ',' ; "retry-after=" inside an action is fine because we split at the first '='.
    while (true) {
      auto comma = actions.find(',');
      parse_action(rule, actions.substr(0, comma), r);
      if (comma == std::string_view::npos) break;
      actions = actions.substr(comma + 1);
    }
    plan.rules.push_back(std::move(r));
  }
  return plan;
}

}  // namespace gtest_tms::detail::emulator

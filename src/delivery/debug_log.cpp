#include "delivery/debug_log.hpp"

#include <cstdio>

#include "util/console.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

namespace {

// The path of an absolute URL, without its query (which may carry filters, never secrets, but is
// not needed to follow what happened).
std::string_view path_of(std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (slash == std::string_view::npos) return "/";
  std::string_view p = url.substr(slash);
  return p.substr(0, p.find('?'));
}

std::string masked(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.empty()) continue;
    for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at + 3)) text.replace(at, s.size(), "***");
  }
  return text;
}

std::string body_line(const char* what, const std::string& body, const debug_log_options& o) {
  std::string shown = clean_text(body, debug_body_cap);
  for (char& c : shown) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string line = std::string("  ") + what + " body: " + shown;  // clean_text marks a cut
  if (body.size() > debug_body_cap) line += " ... (" + std::to_string(body.size()) + " bytes)";
  return masked(std::move(line), o.secrets);
}

}  // namespace

std::vector<std::string> debug_lines(std::string_view system, const http_request& req, const http_response& resp,
                                     std::chrono::milliseconds elapsed, const std::string& next,
                                     const debug_log_options& options) {
  std::vector<std::string> lines;
  if (options.level <= 0) return lines;
  std::string line = "debug: " + std::string(system) + " " + req.method + " " + std::string(path_of(req.url)) + " -> ";
  if (resp.error != net_error::none) {
    line += "error: " + clean_text(resp.error_message, 300);
  } else {
    line += std::to_string(resp.status);
    if (resp.unconfirmed) line += " (not the documented success answer)";
  }
  line += " in " + std::to_string(elapsed.count()) + " ms, sent " + std::to_string(req.body.size()) + " B, received " +
          std::to_string(resp.body.size()) + " B; " + next;
  lines.push_back(masked(std::move(line), options.secrets));
  if (options.level >= 2) {
    if (!req.body.empty()) lines.push_back(body_line("request", req.body, options));
    if (!resp.body.empty()) lines.push_back(body_line("response", resp.body, options));
  }
  return lines;
}

void debug_log(std::string_view system, const http_request& req, const http_response& resp,
               std::chrono::milliseconds elapsed, const std::string& next, const debug_log_options& options) {
  if (options.level <= 0) return;
  for (const auto& l : debug_lines(system, req, resp, elapsed, next, options)) say(l);
}

}  // namespace gtest_tms::detail

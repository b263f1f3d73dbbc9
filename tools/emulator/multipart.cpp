// multipart/form-data (RFC 7578) reading, just enough for file uploads from an HTTP client.

#include "emulator/multipart.hpp"

#include <string_view>

#include "util/text.hpp"

namespace gtest_tms::detail::emulator {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Value of `key=` in a header like: form-data; name="file[]"; filename="a.txt"
std::string header_param(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto semi = header.find(';', pos);
    auto item = trim(header.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    auto eq = item.find('=');
    if (eq != std::string_view::npos && to_lower(trim(item.substr(0, eq))) == key) {
      auto v = trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return {};
}

}  // namespace

std::optional<std::string> multipart_boundary(const std::string& content_type) {
  std::string_view ct = content_type;
  auto semi = ct.find(';');
  if (to_lower(trim(ct.substr(0, semi))) != "multipart/form-data" || semi == std::string_view::npos)
    return std::nullopt;
  auto b = header_param(ct.substr(semi + 1), "boundary");
  if (b.empty() || b.size() > 70) return std::nullopt;
  return b;
}

std::optional<std::vector<form_part>> parse_multipart(const std::string& body, const std::string& boundary) {
  const std::string delim = "--" + boundary;
  std::string_view rest = body;
  auto start = rest.find(delim);
  if (start == std::string_view::npos) return std::nullopt;
  rest = rest.substr(start + delim.size());
  std::vector<form_part> parts;
  while (true) {
    if (rest.substr(0, 2) == "--") return parts;  // closing delimiter
    if (rest.substr(0, 2) != "\r\n") return std::nullopt;
    rest.remove_prefix(2);
    auto head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) return std::nullopt;
    std::string_view head = rest.substr(0, head_end);
    rest = rest.substr(head_end + 4);
    auto next = rest.find("\r\n" + delim);
    if (next == std::string_view::npos) return std::nullopt;
    form_part part;
    part.data = std::string(rest.substr(0, next));
    rest = rest.substr(next + 2 + delim.size());
    std::size_t pos = 0;
    while (pos <= head.size()) {
      auto eol = head.find("\r\n", pos);
      auto line = head.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
      auto colon = line.find(':');
      if (colon != std::string_view::npos) {
        auto name = to_lower(trim(line.substr(0, colon)));
        auto value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
          part.name = header_param(value, "name");
          part.filename = header_param(value, "filename");
        } else if (name == "content-type") {
          part.content_type = std::string(value);
        }
      }
      if (eol == std::string_view::npos) break;
      pos = eol + 2;
    }
    parts.push_back(std::move(part));
  }
}

}  // namespace gtest_tms::detail::emulator

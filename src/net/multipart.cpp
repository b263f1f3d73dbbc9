#include "net/multipart.hpp"

#include <algorithm>

#include "util/uuid.hpp"

namespace gtest_tms::detail {

namespace {

bool occurs(const std::vector<form_file>& files, const std::string& boundary) {
  // "--boundary" is what a reader looks for; checking the bare token is stricter.
  return std::any_of(files.begin(), files.end(), [&](const form_file& f) {
    return f.data.find(boundary) != std::string::npos || f.filename.find(boundary) != std::string::npos;
  });
}

std::string header_value(const std::string& s, const char* fallback) {
  std::string out;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out.empty() ? std::string(fallback) : out;
}

}  // namespace

std::string multipart_filename(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += (c == '"' || c == '\\' || u < 0x20 || u == 0x7f) ? '_' : c;
  }
  return out.empty() ? std::string("file") : out;
}

multipart_body make_multipart(const std::vector<form_file>& files) { return make_multipart(files, {}); }

multipart_body make_multipart(const std::vector<form_file>& files, const std::string& boundary) {
  std::string b = boundary;
  // A random 128-bit token practically never collides; the check makes it certain (bounded).
  for (int i = 0; (b.empty() || occurs(files, b)) && i < 64; ++i) {
    std::string token = make_uuid();
    token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
    b = "gtest-tms-" + token;
  }
  std::size_t size = 64;
  for (const auto& f : files) size += f.data.size() + f.filename.size() + f.field.size() + 160;
  multipart_body out;
  out.content_type = "multipart/form-data; boundary=" + b;
  out.body.reserve(size);
  for (const auto& f : files) {
    out.body += "--" + b + "\r\n";
    out.body += "Content-Disposition: form-data; name=\"" + multipart_filename(f.field) + "\"; filename=\"" +
                multipart_filename(f.filename) + "\"\r\n";
    out.body += "Content-Type: " + header_value(f.content_type, "application/octet-stream") + "\r\n\r\n";
    out.body += f.data;
    out.body += "\r\n";
  }
  out.body += "--" + b + "--\r\n";
  return out;
}

}  // namespace gtest_tms::detail

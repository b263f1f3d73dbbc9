#pragma once
// multipart/form-data request bodies (RFC 7578) for file uploads. Pure: no I/O, no Beast.

#include <string>
#include <vector>

namespace gtest_tms::detail {

struct form_file {
  std::string field;         // form field name, e.g. "file[]" (Qase) or "files" (QA Sphere)
  std::string filename;      // sent in Content-Disposition; quotes, backslashes and controls replaced
  std::string content_type;  // empty: application/octet-stream
  std::string data;
};

struct multipart_body {
  std::string content_type;  // "multipart/form-data; boundary=..."
  std::string body;
};

/// Builds the body with a random boundary that occurs in none of the parts' data.
multipart_body make_multipart(const std::vector<form_file>& files);
/// Same with a chosen boundary candidate (tests); a different one is used if it occurs in the data.
multipart_body make_multipart(const std::vector<form_file>& files, const std::string& boundary);

/// The filename as it goes between the quotes of Content-Disposition: `"` `\` and control
/// characters become '_'; empty names become "file".
std::string multipart_filename(const std::string& name);

}  // namespace gtest_tms::detail

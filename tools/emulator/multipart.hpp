#pragma once
// A minimal multipart/form-data reader for the emulated Qase attachment upload.

#include <optional>
#include <string>
#include <vector>

namespace gtest_tms::detail::emulator {

struct form_part {
  std::string name;          // form field name, e.g. "file[]"
  std::string filename;      // empty when the part is not a file
  std::string content_type;  // the part's Content-Type, empty if absent
  std::string data;
};

/// The boundary parameter of a multipart/form-data Content-Type, or nullopt if it is not one.
std::optional<std::string> multipart_boundary(const std::string& content_type);
/// Splits the body into parts; nullopt when it is not well-formed multipart with that boundary.
std::optional<std::vector<form_part>> parse_multipart(const std::string& body, const std::string& boundary);

}  // namespace gtest_tms::detail::emulator

#pragma once
// Whole-file operations whose system calls differ between operating systems.

#include <string>
#include <string_view>

namespace gtest_tms::detail {

/// Writes `text` to a temporary file next to `path`, then renames it over `path`: readers (and a
/// crash) see either the old file or the new one, never half of one. "" on success, else one line.
std::string write_file_atomically(const std::string& path, std::string_view text);

}  // namespace gtest_tms::detail

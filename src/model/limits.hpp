#pragma once
// Size and nesting limits that more than one part of the reporter must agree on.

#include <cstddef>
#include <cstdint>

namespace gtest_tms::detail {

/// Largest attachment kept at the test and uploaded: Qase's per-file limit (32 MB).
inline constexpr std::uint64_t max_attachment_bytes = std::uint64_t{32} * 1024 * 1024;

/// Step nesting recorded at the test and sent to Qase; deeper steps are cut. Qase answers 400 to
/// 32 levels, so this stays well below.
inline constexpr std::size_t max_step_depth = 16;

/// Step nesting written to and read back from local files (crash journal, Qase report). Larger than
/// max_step_depth because a report may come from another reporter (`gtest-tms upload`); it only
/// bounds the recursion of the writers and readers (JSON parsers have depth limits too).
inline constexpr std::size_t max_stored_step_depth = 64;

}  // namespace gtest_tms::detail

#pragma once
// Golden request logs: what a fixture binary sent, with the volatile parts (ids, times, run ids,
// absolute paths, batch boundaries) normalised away, compared with a file under test/golden/.
// GTEST_TMS_UPDATE_GOLDEN=1 rewrites the files instead of comparing.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emulator/emulator.hpp"

namespace gtest_tms::detail::testing_support {

/// A stable, pretty-printed JSON text of what arrived: run creations, results (flattened across
/// batches and sorted), completions/closings and every other request as "METHOD path".
std::string normalized_log(const std::vector<emulator::recorded_request>& log);

::testing::AssertionResult matches_golden(const std::string& actual, const std::string& golden_name);

}  // namespace gtest_tms::detail::testing_support

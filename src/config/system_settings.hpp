#pragma once
// The settings of one system, picked by its tms id: what the delivery session, the listener and the
// CLI commands ask of every system alike, answered in one place instead of a Qase/QA Sphere branch
// at each caller.

#include <cstdint>
#include <optional>

#include "config/config.hpp"
#include "model/tms.hpp"

namespace gtest_tms::detail {

/// The system is switched on and has what it needs to talk to its server.
bool configured(const settings& s, tms system);

/// The run to join (QASE_TESTOPS_RUN_ID / QAS_RUN_ID or the run file); unset: create one.
const std::optional<std::int64_t>& run_id_setting(const settings& s, tms system);
std::optional<std::int64_t>& run_id_setting(settings& s, tms system);

/// QASE_TESTOPS_RUN_COMPLETE / QAS_CLOSE_RUN; unset: finish only a run this process created.
std::optional<bool>& finish_run_setting(settings& s, tms system);

}  // namespace gtest_tms::detail

#pragma once
// The QA Sphere backend: maps the run plan and test results to QA Sphere's public API v0
// (/api/public/v0 under QAS_URL). Pure mapping: requests go through the pipeline's `requester`.
//
// start():  markers of the planned tests (see markers.hpp) -> GET /project/{code}
//           -> with QAS_RUN_ID: GET /run/{id}/tcase (membership, case ids by seq)
//           -> else POST /tcase/seq (marker -> case id, paged) -> POST /run (static_struct with
//              every resolved case; "conflicting run id: N" joins run N and reads its membership).
//           No markers, or none that resolve: reporting is off (never an empty run).
// add():    results of one case (parameterized / typed instances, several TESTs with one marker)
//           are held until every planned instance of that case in the same --gtest_repeat
//           iteration arrived, then folded into one item (qasphere_mapping.hpp: worst status,
//           summed time, one HTML comment listing every instance). A single-instance case is
//           emitted at once.
// finish(): closes the run when this process created it (or QAS_CLOSE_RUN=true) and everything
//           was delivered; otherwise says why it stays open.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "delivery/backend.hpp"

namespace gtest_tms::detail {

/// Seams for tests; the defaults use the wall clock, local time and the process environment.
struct qasphere_backend_hooks {
  std::function<std::int64_t()> now_epoch_ms;  // run title time
  std::optional<int> utc_offset_minutes;       // unset: local time, as the CLI
  env_lookup env;                              // {env:VAR} in QAS_RUN_NAME
  /// The Qase run this process reports to as well ("" until known): a "Qase run" link on results.
  /// Called on the io thread, where both backends live.
  std::function<std::string()> qase_run_link;
};

std::unique_ptr<backend> make_qasphere_backend(const qasphere_settings& s, const common_settings& c);
std::unique_ptr<backend> make_qasphere_backend(const qasphere_settings& s, const common_settings& c,
                                               qasphere_backend_hooks hooks);

}  // namespace gtest_tms::detail

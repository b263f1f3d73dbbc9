#pragma once
// The Qase local report format (the Qase spec's report/ part, test/spec/qase/report): run.json + results/<uuid>.json.
// It is both QASE_MODE=report's output and the fallback for results a server did not confirm; `gtest-tms upload <dir>`
// sends it later with the same result ids, so nothing is duplicated.
//
// Each result file conforms to result.yaml; what the schema has no place for (the gtest suite and
// name as gtest spells them, parameters, failure parts, properties, iteration, the run the result
// belonged to) goes into `fields` under "gtest." keys, so read_qase_report() rebuilds the exact
// record. Reports written by other Qase reporters are read too (from title, relations, execution).

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "model/test_result.hpp"
#include "model/tms.hpp"

namespace gtest_tms::detail {

struct report_run_info {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  /// The system the results are meant for; recorded in run.json host_data (as its tag, see
  /// model/tms.hpp) so `upload` knows where to send them.
  tms system = tms::qase;
  /// The run the results were meant for (0: none); `upload` sends them into it. `run_created`:
  /// this process created that run, so `upload` completes it once everything is in.
  std::int64_t run_id = 0;
  bool run_created = false;
  /// Results a request already carried to a system without idempotency keys, answer lost: marked
  /// (gtest.fate_unknown) so that `upload` asks the run before sending them again.
  const std::set<std::string>* fate_unknown = nullptr;
};

/// Writes (adds to) a report directory. Never throws; returns "" or one line saying what failed.
/// Several processes may write into one directory at once: result files have unique names and
/// run.json is merged under a lock (.run.json.lock) and replaced atomically (write, then rename).
std::string write_qase_report(const std::string& dir, const std::vector<std::shared_ptr<const test_result>>& results,
                              const report_run_info& run, const qase_settings& settings);

/// One result file as read back.
struct report_entry {
  std::string file;  // path of results/<id>.json
  std::shared_ptr<const test_result> result;
  std::int64_t run_id = 0;
  bool run_created = false;
  bool fate_unknown = false;  // report_run_info::fate_unknown held it
};

struct report_contents {
  std::string dir;
  std::string system;  // tag from run.json host_data; "qase" when unknown, "qasphere" for a .../qasphere dir
  std::vector<report_entry> entries;  // sorted by file name
  std::vector<std::string> warnings;  // one line per skipped file
};

/// Reads dir/results/*.json. Tolerant: a file that is not JSON or lacks required keys is skipped
/// with a one-line warning. False (and `error`) only when dir has no results/ directory.
bool read_qase_report(const std::string& dir, report_contents& out, std::string& error);

/// Convenience: just the records.
std::vector<test_result> read_qase_report(const std::string& dir, std::string& error);

/// The JSON of one result file (exposed for tests). `attachment_files`: where each attachment is
/// kept (write_qase_report copies them into <dir>/attachments/); missing entries use the
/// attachment's own path, or its content when it has none.
std::string qase_report_result_json(const test_result& r, const report_run_info& run, const qase_settings& settings);
std::string qase_report_result_json(const test_result& r, const report_run_info& run, const qase_settings& settings,
                                    const std::vector<std::string>& attachment_files);

/// Rebuilds a record from the text of a result file; false and one line in `error` when it
/// cannot. `run_id` / `run_created` receive the gtest.run fields when present.
bool parse_qase_report_result(const std::string& text, test_result& out, std::int64_t& run_id, bool& run_created,
                              std::string& error, bool* fate_unknown = nullptr);

}  // namespace gtest_tms::detail

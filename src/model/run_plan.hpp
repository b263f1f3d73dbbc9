#pragma once
// What a process (or a `gtest-tms run create` step) is going to run and how its runs are named:
// known at program start, before the first test.

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace gtest_tms::detail {

/// One test this process is going to run (known at program start; used for QA Sphere markers and
/// by the crash journal, whose result lines then refer to it by index).
struct planned_test {
  std::string suite;
  std::string name;
  bool disabled = false;  // a DISABLED_ test this process reports as skipped
  // Where it is defined and its parameters, as its results will carry them. Views into gtest's
  // TestInfo, which lives as long as the process (empty when the plan comes from a test list).
  std::string_view file{};
  int line = 0;
  std::string_view value_param{};
  std::string_view type_param{};
};

struct run_plan {
  std::vector<planned_test> tests;
  int shard_index = -1;  // -1: not sharded
  int total_shards = 0;
  std::string binary_name;
  /// Written into each run this process creates ("gtest-tms:<uuid>", in the description), so a run
  /// whose creation answer was lost can be found again instead of created twice (session::open
  /// makes one; `upload` reuses the crashed process's, from its journal).
  std::string creation_marker;
  /// Look for a run with creation_marker before creating one: the process that wrote the journal
  /// may have created it without learning its id.
  bool find_created_run = false;
  /// Results a request carried to a system without idempotency keys whose answer never came (the
  /// journal's "w" lines without an acknowledgement): asked about before they are sent again.
  std::set<std::string> fate_unknown;
};

}  // namespace gtest_tms::detail

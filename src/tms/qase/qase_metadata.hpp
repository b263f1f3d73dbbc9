#pragma once
// The Qase metadata a test gives itself, as the official Qase reporters name it: read from the
// test's RecordProperty keys (a fixed contract; gtest_tms::qase::* in the public header records
// them). Everything is read when the result is mapped, so the journal, the collector and an
// upload carry it with the properties and never need a format of their own.
//
//   qase.title                   result title instead of the test name
//   qase.suite                   suite path, levels separated by '\t' (as upstream)
//   qase.fields.<name>           fields.<name> (severity, priority, layer, description, ...)
//   qase.tags                    fields.tags, comma-separated
//   qase.comment                 put before the failure text in `message`
//   qase.ignore = true           not reported to Qase
//   qase.parameters.<name>       params, replacing gtest's anonymous "param"
//   qase.group_parameters        param_groups: comma-separated names of parameters
//   qase.muted = true            fields.muted
//   qase_id.<PROJECT>            case ids in project PROJECT ("1,2")

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/test_result.hpp"

namespace gtest_tms::detail {

struct qase_metadata {
  std::string title;                                        // "" when not set
  std::vector<std::string> suite;                           // levels, root first; empty when not set
  std::vector<std::pair<std::string, std::string>> fields;  // in key order, tags and muted not included
  std::vector<std::string> tags;                            // unique, in order
  std::string comment;
  bool ignore = false;
  bool muted = false;
  std::vector<std::pair<std::string, std::string>> parameters;  // in the order recorded
  std::vector<std::string> group_parameters;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> project_ids;  // project code -> ids
};

/// The metadata in `r`'s properties. Malformed values are dropped (an empty name, a level or tag
/// that is only blanks, an id that is not a positive integer); never throws on content.
qase_metadata qase_metadata_of(const test_result& r);

/// Only `qase.ignore`: for the hot path of backends that only need to know whether to skip.
bool qase_ignored(const test_result& r) noexcept;

/// "true", "1", "yes" (any case) after trimming.
bool property_flag(std::string_view value) noexcept;

}  // namespace gtest_tms::detail

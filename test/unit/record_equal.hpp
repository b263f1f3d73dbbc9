#pragma once
// Field-by-field comparison of two test_result records without GoogleTest (the fuzz targets link
// no gtest): the name of the first field that differs, "" when the records are equal.

#include <string>
#include <vector>

#include "model/test_result.hpp"

namespace gtest_tms::detail::testing_support {

inline std::string step_difference(const std::vector<step_record>& a, const std::vector<step_record>& b,
                                   const std::string& where) {
  if (a.size() != b.size()) return where + ".size";
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (a[i].action != b[i].action) return at + ".action";
    if (a[i].expected != b[i].expected) return at + ".expected";
    if (a[i].status != b[i].status) return at + ".status";
    if (a[i].start_ms != b[i].start_ms) return at + ".start_ms";
    if (a[i].duration_ms != b[i].duration_ms) return at + ".duration_ms";
    std::string d = step_difference(a[i].children, b[i].children, at + ".children");
    if (!d.empty()) return d;
  }
  return {};
}

/// `with_attachments`: false where attachments are copied (their paths change by design).
inline std::string record_difference(const test_result& a, const test_result& b, bool with_attachments = true) {
  if (a.id != b.id) return "id";
  if (a.suite != b.suite) return "suite";
  if (a.name != b.name) return "name";
  if (a.value_param != b.value_param) return "value_param";
  if (a.type_param != b.type_param) return "type_param";
  if (a.file != b.file) return "file";
  if (a.line != b.line) return "line";
  if (a.status != b.status) return "status";
  if (a.start_ms != b.start_ms) return "start_ms";
  if (a.duration_ms != b.duration_ms) return "duration_ms";
  if (a.iteration != b.iteration) return "iteration";
  if (a.run_level != b.run_level) return "run_level";
  if (a.notes != b.notes) return "notes";
  if (with_attachments) {
    if (a.attachments.size() != b.attachments.size()) return "attachments.size";
    for (std::size_t i = 0; i < a.attachments.size(); ++i) {
      const attachment& x = a.attachments[i];
      const attachment& y = b.attachments[i];
      if (x.name != y.name || x.path != y.path || x.content != y.content || x.mime != y.mime || x.size != y.size)
        return "attachments[" + std::to_string(i) + "]";
    }
  }
  std::string d = step_difference(a.steps, b.steps, "steps");
  if (!d.empty()) return d;
  if (a.qase_ids != b.qase_ids) return "qase_ids";
  if (a.properties != b.properties) return "properties";
  if (a.parts.size() != b.parts.size()) return "parts.size";
  for (std::size_t i = 0; i < a.parts.size(); ++i) {
    const failure_part& x = a.parts[i];
    const failure_part& y = b.parts[i];
    if (x.file != y.file || x.line != y.line || x.summary != y.summary || x.message != y.message ||
        x.fatal != y.fatal || x.skip != y.skip)
      return "parts[" + std::to_string(i) + "]";
  }
  return {};
}

}  // namespace gtest_tms::detail::testing_support

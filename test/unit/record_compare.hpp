#pragma once
// Field-by-field comparison of two test_result records, for the round-trip tests of the journal
// and the local report.

#include <gtest/gtest.h>

#include <vector>

#include "model/test_result.hpp"

namespace gtest_tms::detail::testing_support {

inline void expect_same_steps(const std::vector<step_record>& a, const std::vector<step_record>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].action, b[i].action);
    EXPECT_EQ(a[i].expected, b[i].expected);
    EXPECT_EQ(a[i].status, b[i].status);
    EXPECT_EQ(a[i].start_ms, b[i].start_ms);
    EXPECT_EQ(a[i].duration_ms, b[i].duration_ms);
    expect_same_steps(a[i].children, b[i].children);
  }
}

/// `with_attachments`: false where attachments are copied (their paths change by design).
inline void expect_same(const test_result& a, const test_result& b, bool with_attachments = true) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.suite, b.suite);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.value_param, b.value_param);
  EXPECT_EQ(a.type_param, b.type_param);
  EXPECT_EQ(a.file, b.file);
  EXPECT_EQ(a.line, b.line);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.start_ms, b.start_ms);
  EXPECT_EQ(a.duration_ms, b.duration_ms);
  EXPECT_EQ(a.iteration, b.iteration);
  EXPECT_EQ(a.run_level, b.run_level);
  EXPECT_EQ(a.notes, b.notes);
  if (with_attachments) {
    ASSERT_EQ(a.attachments.size(), b.attachments.size());
  }
  for (std::size_t i = 0; with_attachments && i < a.attachments.size(); ++i) {
    EXPECT_EQ(a.attachments[i].name, b.attachments[i].name);
    EXPECT_EQ(a.attachments[i].path, b.attachments[i].path);
    EXPECT_EQ(a.attachments[i].content, b.attachments[i].content);
    EXPECT_EQ(a.attachments[i].mime, b.attachments[i].mime);
    EXPECT_EQ(a.attachments[i].size, b.attachments[i].size);
  }
  expect_same_steps(a.steps, b.steps);
  EXPECT_EQ(a.qase_ids, b.qase_ids);
  EXPECT_EQ(a.properties, b.properties);
  ASSERT_EQ(a.parts.size(), b.parts.size());
  for (std::size_t i = 0; i < a.parts.size(); ++i) {
    EXPECT_EQ(a.parts[i].file, b.parts[i].file) << i;
    EXPECT_EQ(a.parts[i].line, b.parts[i].line) << i;
    EXPECT_EQ(a.parts[i].summary, b.parts[i].summary) << i;
    EXPECT_EQ(a.parts[i].message, b.parts[i].message) << i;
    EXPECT_EQ(a.parts[i].fatal, b.parts[i].fatal) << i;
    EXPECT_EQ(a.parts[i].skip, b.parts[i].skip) << i;
  }
}

}  // namespace gtest_tms::detail::testing_support

// gtest_tms::qase::* (include/gtest_tms/gtest_tms.hpp): each call records the RecordProperty key
// that tms/qase/qase_metadata.hpp reads, so the header API and a bare RecordProperty are one path.

#include <string>
#include <vector>

#include "gtest_tms/gtest_tms.hpp"
#include "listener/test_context.hpp"
#include "util/text.hpp"

namespace gtest_tms::qase {

namespace {

using detail::test_context;

// Only while a test runs with reporting on: off, the API leaves no trace (not even in the XML).
void record(const std::string& key, const std::string& value) noexcept {
  try {
    if (!test_context::instance().active()) return;
    ::testing::Test::RecordProperty(key, value);
  } catch (...) {
  }
}

void record_list(const std::string& key, const std::vector<std::string>& items) noexcept {
  try {
    if (!test_context::instance().active()) return;
    ::testing::Test::RecordProperty(key, test_context::instance().add_to_list(key, items));
  } catch (...) {
  }
}

}  // namespace

void title(const std::string& title) noexcept { record("qase.title", title); }

void suite(const std::vector<std::string>& levels) noexcept {
  try {
    record("qase.suite", detail::join(levels, '\t'));
  } catch (...) {
  }
}

void field(const std::string& name, const std::string& value) noexcept {
  try {
    const std::string n(detail::trim(name));
    if (!n.empty()) record("qase.fields." + n, value);
  } catch (...) {
  }
}

void tags(const std::vector<std::string>& tags) noexcept { record_list("qase.tags", tags); }

void comment(const std::string& text) noexcept { record("qase.comment", text); }

void ignore() noexcept { record("qase.ignore", "true"); }

void muted() noexcept { record("qase.muted", "true"); }

void parameter(const std::string& name, const std::string& value) noexcept {
  try {
    const std::string n(detail::trim(name));
    if (!n.empty()) record("qase.parameters." + n, value);
  } catch (...) {
  }
}

void group_parameters(const std::vector<std::string>& names) noexcept { record_list("qase.group_parameters", names); }

void ids(const std::string& project, const std::vector<long long>& ids) noexcept {
  try {
    const std::string p(detail::trim(project));
    if (p.empty()) return;
    std::vector<std::string> items;
    for (const long long id : ids)
      if (id > 0) items.push_back(std::to_string(id));
    record_list("qase_id." + p, items);
  } catch (...) {
  }
}

}  // namespace gtest_tms::qase

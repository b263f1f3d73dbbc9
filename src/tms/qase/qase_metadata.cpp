#include "tms/qase/qase_metadata.hpp"

#include <algorithm>
#include <limits>

#include "util/text.hpp"

namespace gtest_tms::detail {

namespace {

constexpr std::string_view fields_prefix = "qase.fields.";
constexpr std::string_view parameters_prefix = "qase.parameters.";
constexpr std::string_view ids_prefix = "qase_id.";

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Upsert: gtest keeps one value per key, but journals from other writers may repeat one.
void put(std::vector<std::pair<std::string, std::string>>& out, std::string key, std::string value) {
  for (auto& kv : out)
    if (kv.first == key) {
      kv.second = std::move(value);
      return;
    }
  out.emplace_back(std::move(key), std::move(value));
}

}  // namespace

bool property_flag(std::string_view value) noexcept {
  const std::string_view v = trim(value);
  return iequals(v, "true") || v == "1" || iequals(v, "yes");
}

bool qase_ignored(const test_result& r) noexcept {
  for (const auto& [key, value] : r.properties)
    if (key == "qase.ignore") return property_flag(value);
  return false;
}

qase_metadata qase_metadata_of(const test_result& r) {
  qase_metadata m;
  const auto add_tags = [&m](std::string_view value) {
    for (auto& t : split_list(value, ','))
      if (std::find(m.tags.begin(), m.tags.end(), t) == m.tags.end()) m.tags.push_back(std::move(t));
  };
  for (const auto& [key, value] : r.properties) {
    if (key.size() < 5 || (key[0] != 'q' && key[0] != 'Q')) continue;  // most properties are not ours
    if (key == "qase.title") {
      m.title = std::string(trim(value));
    } else if (key == "qase.suite") {
      m.suite.clear();
      for (auto& level : split_list(value, '\t')) m.suite.push_back(std::move(level));
    } else if (key == "qase.tags") {
      add_tags(value);
    } else if (key == "qase.comment") {
      m.comment = std::string(trim(value));
    } else if (key == "qase.ignore") {
      m.ignore = property_flag(value);
    } else if (key == "qase.muted") {
      m.muted = property_flag(value);
    } else if (key == "qase.group_parameters") {
      m.group_parameters = split_list(value, ',');
    } else if (starts_with(key, fields_prefix)) {
      std::string name(trim(std::string_view(key).substr(fields_prefix.size())));
      if (name == "tags") {  // one spelling of tags: the field reads as qase.tags
        add_tags(value);
      } else if (name == "muted") {
        m.muted = property_flag(value);
      } else if (!name.empty()) {
        put(m.fields, std::move(name), value);
      }
    } else if (starts_with(key, parameters_prefix)) {
      std::string name(trim(std::string_view(key).substr(parameters_prefix.size())));
      if (!name.empty()) put(m.parameters, std::move(name), value);
    } else if (starts_with(key, ids_prefix)) {
      std::string project(trim(std::string_view(key).substr(ids_prefix.size())));
      if (project.empty()) continue;
      std::vector<std::int64_t> ids;
      for (const auto& part : split_list(value, ','))
        if (const auto id = parse_int(part, 1, std::numeric_limits<std::int64_t>::max());
            id && std::find(ids.begin(), ids.end(), *id) == ids.end())
          ids.push_back(*id);
      if (!ids.empty()) m.project_ids.emplace_back(std::move(project), std::move(ids));
    }
  }
  std::sort(m.fields.begin(), m.fields.end());
  return m;
}

}  // namespace gtest_tms::detail

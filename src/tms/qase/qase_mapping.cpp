// Record -> v2 ResultCreate JSON (Qase OpenAPI spec: test/spec/qase/testops-api/v2/schemas/ResultCreate.yaml).
// One bad field rejects a whole Qase batch, so everything here is defensive: every string is
// cleaned and capped, ids are positive, `testops_ids` is never [], status is never "disabled".

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "model/limits.hpp"
#include "model/test_result_json.hpp"
#include "tms/qase/qase_mapping.hpp"
#include "tms/qase/qase_metadata.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

namespace {

std::string clean(std::string_view s, std::size_t max_bytes) { return clean_text(s, max_bytes); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = std::min(s.find(sep, start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// JS: trim, whitespace runs -> '_', lower-case (ASCII; other bytes are kept as they are).
std::string signature_part(std::string_view s) {
  const std::string_view t = trim(s);
  std::string out;
  bool in_space = false;
  for (const char ch : t) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isspace(c) != 0) {
      if (!in_space) out += '_';
      in_space = true;
      continue;
    }
    in_space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

std::vector<std::int64_t> positive_ids(const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> out;
  for (const auto id : ids) {
    if (id > 0 && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

std::string location(const failure_part& p) {
  if (p.file.empty()) return {};
  return p.line >= 0 ? p.file + ":" + std::to_string(p.line) : p.file;
}

std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// First failure as "file:line: summary" (summary may span lines), plus a count of the others;
// for skipped tests the skip reason. Empty: send null.
std::string result_message(const test_result& r) {
  if (r.status == test_status::passed) return {};
  if (r.status == test_status::skipped) {
    for (const auto& p : r.parts) {
      if (!p.skip) continue;
      return std::string(trim(p.summary.empty() ? p.message : p.summary));
    }
    return {};
  }
  const failure_part* first = nullptr;
  std::size_t failures = 0;
  for (const auto& p : r.parts) {
    if (p.skip) continue;
    if (first == nullptr) first = &p;
    ++failures;
  }
  if (first == nullptr) return {};
  std::string text = strip_trailing_newlines(first->summary.empty() ? first->message : first->summary);
  const std::string loc = location(*first);
  std::string out = loc.empty() ? text : loc + ": " + text;
  if (failures > 1) {
    out += "\n(+" + std::to_string(failures - 1) + (failures == 2 ? " more failure)" : " more failures)");
  }
  return out;
}

// Every failure with its location and full message (stack traces included).
std::string result_stacktrace(const test_result& r) {
  std::string out;
  for (const auto& p : r.parts) {
    if (p.skip) continue;
    if (!out.empty()) out += "\n\n";
    const std::string loc = location(p);
    if (!loc.empty()) out += loc + ": ";
    out += strip_trailing_newlines(p.message.empty() ? p.summary : p.message);
  }
  return out;
}

const char* step_status(test_status s) {
  switch (s) {
    case test_status::passed:
      return "passed";
    case test_status::skipped:
      return "skipped";
    case test_status::blocked:
      return "blocked";
    default:
      return "failed";  // failed, invalid: the step enum has no "invalid"
  }
}

// ResultStep (v2/schemas/ResultStep.yaml); `action` must be a non-empty string or the whole batch fails.
boost::json::array steps_json(const std::vector<step_record>& steps, std::size_t depth) {
  namespace json = boost::json;
  json::array out;
  for (const auto& st : steps) {
    json::object data;
    std::string action = clean(st.action, qase_message_cap);
    if (trim(action).empty()) action = "Unnamed step";
    data["action"] = action;
    if (!st.expected.empty()) data["expected_result"] = clean(st.expected, qase_message_cap);
    json::object exec;
    exec["status"] = step_status(st.status);
    if (st.start_ms > 0) {
      exec["start_time"] = epoch_seconds(st.start_ms);
      exec["end_time"] = epoch_seconds(saturating_add(st.start_ms, std::max<std::int64_t>(0, st.duration_ms)));
    }
    exec["duration"] = std::max<std::int64_t>(0, st.duration_ms);
    json::object step;
    step["data"] = std::move(data);
    step["execution"] = std::move(exec);
    if (!st.children.empty() && depth + 1 < max_step_depth) step["steps"] = steps_json(st.children, depth + 1);
    out.push_back(std::move(step));
  }
  return out;
}

}  // namespace

namespace {

std::vector<std::string> suite_path_of(const test_result& r, const std::string& root_suite, const qase_metadata& m) {
  std::vector<std::string> path;
  if (const std::string root = clean(root_suite, qase_title_cap); !trim(root).empty()) path.push_back(root);
  if (!m.suite.empty()) {
    for (const auto& level : m.suite) path.push_back(clean(level, qase_title_cap));
    return path;
  }
  std::vector<std::string> parts = split(r.suite, '/');
  const bool parameterized = !r.value_param.empty() || !r.type_param.empty();
  if (!r.type_param.empty() && parts.size() >= 2 && all_digits(parts.back())) parts.pop_back();
  if (parameterized && parts.size() >= 2) {
    // gtest spells the instantiation as a prefix ("Inst/Suite"): put the fixture first.
    std::rotate(parts.begin(), parts.end() - 1, parts.end());
  }
  for (const auto& p : parts) path.push_back(clean(p, qase_title_cap));
  return path;
}

std::vector<std::pair<std::string, std::string>> params_of(const test_result& r, const qase_metadata& m,
                                                           const std::vector<std::string>& exclude) {
  std::vector<std::pair<std::string, std::string>> out;
  // Named parameters say what gtest's anonymous printed value means: they replace it.
  for (const auto& [k, v] : m.parameters) out.emplace_back(clean(k, qase_title_cap), clean(v, qase_title_cap));
  if (m.parameters.empty() && !r.value_param.empty()) out.emplace_back("param", clean(r.value_param, qase_title_cap));
  if (!r.type_param.empty()) out.emplace_back("type", clean(r.type_param, qase_title_cap));
  // Types<int, double, int>: the typed index keeps the two `int` instances apart (Qase merges
  // results whose title, suite, params and signature are equal). Only then: goldens stay as they are.
  if (r.type_repeats) {
    const auto slash = r.suite.rfind('/');
    if (slash != std::string::npos && all_digits(r.suite.substr(slash + 1)))
      out.emplace_back("instance", r.suite.substr(slash + 1));
  }
  if (!exclude.empty())
    out.erase(std::remove_if(
                  out.begin(), out.end(),
                  [&](const auto& kv) { return std::find(exclude.begin(), exclude.end(), kv.first) != exclude.end(); }),
              out.end());
  return out;
}

}  // namespace

test_status qase_sent_status(test_status s, const qase_mapping_options& o) noexcept {
  for (const auto& [from, to] : o.status_mapping)
    if (from == s) return to;
  return s;
}

std::vector<std::string> qase_suite_path(const test_result& r, const std::string& root_suite) {
  return suite_path_of(r, root_suite, qase_metadata_of(r));
}

std::vector<std::pair<std::string, std::string>> qase_params(const test_result& r,
                                                             const std::vector<std::string>& exclude) {
  return params_of(r, qase_metadata_of(r), exclude);
}

std::string qase_signature(const std::vector<std::int64_t>& ids, const std::vector<std::string>& suite_path,
                           const std::string& name, const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::string> parts;
  const auto ids_ok = positive_ids(ids);
  if (!ids_ok.empty()) {
    std::string joined;
    for (const auto id : ids_ok) joined += (joined.empty() ? "" : "-") + std::to_string(id);
    parts.push_back(joined);
  }
  std::vector<std::string> names = suite_path;
  names.push_back(name);
  std::string suites;
  for (const auto& n : names) {
    // Split on "::" then TAB, as the JS reporter does.
    // One pass, no replace(): GCC 12 -O3 reports a false -Wrestrict inside std::string::replace.
    std::string s;
    s.reserve(n.size());
    for (std::size_t i = 0; i < n.size();) {
      if (n.compare(i, 2, "::") == 0) {
        s += '\t';
        i += 2;
      } else {
        s += n[i++];
      }
    }
    for (const auto& piece : split(s, '\t')) {
      const std::string p = signature_part(piece);
      if (p.empty()) continue;
      suites += (suites.empty() ? "" : "::") + p;
    }
  }
  if (!suites.empty()) parts.push_back(suites);
  for (const auto& [key, value] : params) parts.push_back("{'" + to_lower(key) + "':'" + to_lower(value) + "'}");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "::") + p;
  return out;
}

std::vector<std::int64_t> qase_case_ids(const test_result& r, const qase_metadata& m, const std::string& project) {
  std::vector<std::int64_t> all_ids = r.qase_ids;
  for (const auto& [code, ids] : m.project_ids)
    if (!project.empty() && iequals(code, project)) all_ids.insert(all_ids.end(), ids.begin(), ids.end());
  return positive_ids(all_ids);
}

boost::json::object qase_result_json(const test_result& r, const qase_mapping_options& o) {
  namespace json = boost::json;
  const qase_metadata m = qase_metadata_of(r);
  std::string title = clean(m.title.empty() ? r.name : m.title, qase_title_cap);
  if (title.empty()) title = "(unnamed test)";  // title is required and must not be empty
  const auto suite_path = suite_path_of(r, o.root_suite, m);
  const auto params = params_of(r, m, o.exclude_params);
  const test_status status = qase_sent_status(r.status, o);
  const auto ids = qase_case_ids(r, m, o.project);

  json::object item;
  if (!r.id.empty()) item["id"] = clean(r.id, qase_title_cap);  // an empty id is rejected: omit it
  item["title"] = title;
  item["signature"] = clean(qase_signature(ids, suite_path, title, params), qase_message_cap);
  if (!ids.empty()) {
    json::array a;
    for (const auto id : ids) a.emplace_back(id);
    item["testops_ids"] = std::move(a);
  }

  json::object exec;
  exec["status"] = to_string(status);
  if (r.start_ms > 0) {
    exec["start_time"] = epoch_seconds(r.start_ms);
    exec["end_time"] = epoch_seconds(r.end_ms());
  }
  exec["duration"] = std::max<std::int64_t>(0, r.duration_ms);
  if (r.status != test_status::passed && r.status != test_status::skipped) {
    if (const std::string st = result_stacktrace(r); !st.empty()) exec["stacktrace"] = clean(st, qase_stacktrace_cap);
  }
  if (!o.thread.empty()) exec["thread"] = clean(o.thread, qase_title_cap);
  item["execution"] = std::move(exec);

  if (!r.steps.empty()) {
    item["steps"] = steps_json(r.steps, 0);
    item["steps_type"] = "classic";
  }

  std::string msg = m.comment;
  if (const std::string failure = result_message(r); !failure.empty()) {
    if (!msg.empty()) msg += "\n\n";
    msg += failure;
  }
  for (const auto& n : r.notes) {  // appended piece by piece: a temporary sum trips GCC 12's -Wrestrict at -O3
    if (!msg.empty()) msg += '\n';
    msg += "gtest-tms: ";
    msg += n;
  }
  if (!msg.empty()) {
    item["message"] = clean(msg, qase_message_cap);
  } else {
    item["message"] = nullptr;
  }

  json::array suites;
  for (const auto& s : suite_path) suites.push_back(json::object{{"title", s}, {"public_id", nullptr}});
  item["relations"] = json::object{{"suite", json::object{{"data", std::move(suites)}}}};

  if (!params.empty()) {
    json::object p;
    for (const auto& [k, v] : params) p[k] = v;
    item["params"] = std::move(p);
    // One group of the named parameters listed (unknown names would be refused with the batch).
    json::array group;
    for (const auto& name : m.group_parameters) {
      const std::string n = clean(name, qase_title_cap);
      const bool known = std::any_of(params.begin(), params.end(), [&](const auto& kv) { return kv.first == n; });
      if (known && std::find(group.begin(), group.end(), json::value(n)) == group.end()) group.emplace_back(n);
    }
    if (!group.empty()) {
      // Not json::array{group}: Clang reads that as a copy of `group`, not an array holding it.
      json::array groups;
      groups.emplace_back(std::move(group));
      item["param_groups"] = std::move(groups);
    }
  }
  json::object fields;
  for (const auto& [k, v] : m.fields) fields[clean(k, qase_title_cap)] = clean(v, qase_message_cap);
  if (!m.tags.empty()) {
    std::vector<std::string> tags;
    for (const auto& t : m.tags) tags.push_back(clean(t, qase_title_cap));
    fields["tags"] = clean(join(tags, ','), qase_message_cap);
  }
  if (m.muted) fields["muted"] = "true";
  if (!fields.empty()) item["fields"] = std::move(fields);
  if (o.defect && (status == test_status::failed || status == test_status::invalid)) item["defect"] = true;
  return item;
}

void qase_set_attachments(boost::json::object& result, const std::vector<std::string>& hashes) {
  if (hashes.empty()) return;
  boost::json::array a;
  for (const auto& h : hashes) a.emplace_back(h);
  result["attachments"] = std::move(a);
}

}  // namespace gtest_tms::detail

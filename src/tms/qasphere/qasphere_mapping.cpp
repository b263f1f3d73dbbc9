#include "tms/qasphere/qasphere_mapping.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include <boost/json.hpp>

#include "util/text.hpp"

namespace gtest_tms::detail {

namespace {

/// Severity order for folding instances: failed > blocked > skipped > passed.
int severity(test_status s) noexcept {
  switch (s) {
    case test_status::passed:
      return 0;
    case test_status::skipped:
      return 1;
    case test_status::invalid:
    case test_status::blocked:
      return 2;
    case test_status::failed:
      return 3;
  }
  return 3;
}

const char* status_heading(test_status s) noexcept {
  switch (s) {
    case test_status::passed:
      return "Passed";
    case test_status::failed:
      return "Failed";
    case test_status::skipped:
      return "Skipped";
    case test_status::invalid:
      return "Blocked (uncaught exception)";
    case test_status::blocked:
      return "Blocked (could not run)";
  }
  return "Failed";
}

std::string instance_label(const test_result& r) {
  std::string s = r.full_name();
  if (!r.value_param.empty()) s += " [GetParam() = " + r.value_param + "]";
  if (!r.type_param.empty()) s += " [TypeParam = " + r.type_param + "]";
  if (r.iteration > 0) s += " (repeat " + std::to_string(r.iteration + 1) + ")";
  return s;
}

/// What the instance reported: every failure / skip part as "file:line" + message, like gtest's XML.
std::string instance_text(const test_result& r) {
  std::string text;
  for (const failure_part& p : r.parts) {
    if (!text.empty()) text += "\n\n";
    if (!p.file.empty()) {
      text += p.file;
      if (p.line >= 0) {  // not ":" + to_string(): GCC 12 -O3 reports a false -Wrestrict there
        text += ':';
        text += std::to_string(p.line);
      }
      text += "\n";
    }
    text += p.message.empty() ? p.summary : p.message;
  }
  if (!trim(text).empty()) return text;
  switch (r.status) {
    case test_status::passed:
      return "Passed";
    case test_status::failed:
      return "Failed (gtest recorded no failure message)";
    case test_status::skipped:
      return "Skipped (no reason given)";
    case test_status::invalid:
      return "An uncaught exception ended the test";
    case test_status::blocked:
      return "Could not run: a SetUpTestSuite or a global environment failed";
  }
  return "Failed";
}

/// html_escape(clean_text(text)) of at most `cap` bytes, cut with a visible marker.
std::string escaped_capped(std::string_view text, std::size_t cap) {
  std::size_t raw = cap;
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::string out = html_escape(clean_text(text, raw));
    if (out.size() <= cap) return out;
    const std::size_t next = raw * cap / out.size();
    raw = next < raw ? next : raw - 1;
  }
  return html_escape(clean_text(text, cap / 6));  // escaping grows a byte to at most 6
}

std::string ms_text(std::int64_t ms) { return std::to_string(std::max<std::int64_t>(0, ms)) + " ms"; }

// Steps as nested <ol>, each with its status; stops (with a marker) before `budget` bytes.
void append_steps(std::string& out, const std::vector<step_record>& steps, std::size_t budget, bool& cut) {
  out += "<ol>";
  for (const auto& st : steps) {
    if (cut) break;
    std::string li = "<li><b>";
    li += st.status == test_status::passed ? "passed" : st.status == test_status::skipped ? "skipped" : "failed";
    li += "</b> " + escaped_capped(
                        trim(st.action).empty() ? std::string_view("Unnamed step") : std::string_view(st.action), 1024);
    if (!st.expected.empty()) li += " <i>(expected: " + escaped_capped(st.expected, 1024) + ")</i>";
    li += " (" + ms_text(st.duration_ms) + ")";
    if (out.size() + li.size() + 64 > budget) {
      out += "<li>&#8230;</li>";
      cut = true;
      break;
    }
    out += li;
    if (!st.children.empty()) append_steps(out, st.children, budget, cut);
    out += "</li>";
  }
  out += "</ol>";
}

std::string steps_html(const std::vector<step_record>& steps, std::size_t budget) {
  if (steps.empty()) return {};
  std::string out = "<p>Steps:</p>";
  bool cut = false;
  append_steps(out, steps, budget, cut);
  return out;
}

std::string notes_html(const test_result& r) {
  std::string out;
  for (const auto& n : r.notes) out += "<p>gtest-tms: " + escaped_capped(n, 1024) + "</p>";
  return out;  // attachments: qasphere_attachments_html, once they are uploaded (or not)
}

std::string single_comment(const test_result& r) {
  std::string out = "<p>";
  out += status_heading(r.status);
  out += ": " + escaped_capped(instance_label(r), 4096) + " (" + ms_text(r.duration_ms) + ")</p>";
  if (r.status != test_status::passed) {
    out += "<pre><code>" +
           escaped_capped(instance_text(r),
                          r.steps.empty() ? qasphere_max_comment_bytes - 8192 : qasphere_max_comment_bytes / 2) +
           "</code></pre>";
  }
  out += steps_html(r.steps, qasphere_max_comment_bytes / 2 - 8192);
  out += notes_html(r);
  return out;
}

std::string multi_comment(const std::vector<std::shared_ptr<const test_result>>& rs, std::size_t expected) {
  std::map<int, std::size_t> counts;  // severity -> count
  for (const auto& r : rs) ++counts[severity(r->status)];
  std::string out = "<p>" + std::to_string(rs.size()) + (rs.size() == 1 ? " instance" : " instances");
  if (rs.size() < expected) out += " of " + std::to_string(expected) + " (the others did not finish)";
  out += ":";
  bool first = true;
  for (auto it = counts.rbegin(); it != counts.rend(); ++it) {
    out += first ? " " : ", ";
    first = false;
    out += std::to_string(it->second) + " ";
    out += it->first == 0 ? "passed" : it->first == 1 ? "skipped" : it->first == 2 ? "blocked" : "failed";
  }
  out += "</p><ul>";

  constexpr std::size_t tail_reserve = 160;
  const std::size_t text_cap = std::max<std::size_t>(512, (qasphere_max_comment_bytes - 4096) / rs.size());
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const test_result& r = *rs[i];
    std::string li = "<li><b>";
    li += qasphere_status(r.status);
    li += "</b> " + escaped_capped(instance_label(r), 1024) + " (" + ms_text(r.duration_ms) + ")";
    if (r.status != test_status::passed)
      li += "<pre><code>" + escaped_capped(instance_text(r), text_cap) + "</code></pre>";
    li += steps_html(r.steps, text_cap);
    li += notes_html(r);
    li += "</li>";
    if (out.size() + li.size() + tail_reserve > qasphere_max_comment_bytes) {
      out += "</ul><p>&#8230; and " + std::to_string(rs.size() - i) + " more (comment size limit)</p>";
      return out;
    }
    out += li;
  }
  out += "</ul>";
  return out;
}

}  // namespace

const char* qasphere_status(test_status s) noexcept {
  switch (severity(s)) {
    case 0:
      return "passed";
    case 1:
      return "skipped";
    case 2:
      return "blocked";
    default:
      return "failed";
  }
}

bool qasphere_single_instance(std::size_t instances, std::size_t expected) noexcept {
  return instances == 1 && expected <= 1;
}

std::string qasphere_comment(const std::vector<std::shared_ptr<const test_result>>& instances, std::size_t expected) {
  return qasphere_single_instance(instances.size(), expected) ? single_comment(*instances.front())
                                                              : multi_comment(instances, expected);
}

std::string qasphere_flaky_html(const test_result& r, int attempts, bool single) {
  const std::string what = "assed in " + std::to_string(attempts) + " attempts (flaky: the earlier attempts failed)";
  return single ? "<p>P" + what + "</p>" : "<p>" + escaped_capped(r.full_name(), 1024) + ": p" + what + "</p>";
}

bool qasphere_run_log_worthy(const test_result& r) noexcept {
  return r.run_level ||
         (r.suite == "GoogleTestVerification" && r.status != test_status::passed && r.status != test_status::skipped);
}

boost::json::object qasphere_run_log_json(const test_result& r) {
  boost::json::object o;
  o["comment"] = single_comment(r);  // "Failed: Suite.TearDownTestSuite (repeat 2) (0 ms)", then the failure
  return o;
}

boost::json::object qasphere_result_json(std::string_view tcase_id,
                                         const std::vector<std::shared_ptr<const test_result>>& instances,
                                         std::size_t expected) {
  test_status worst = test_status::passed;
  std::int64_t total_ms = 0;
  for (const auto& r : instances) {
    if (severity(r->status) > severity(worst)) worst = r->status;
    total_ms += std::max<std::int64_t>(0, r->duration_ms);
  }
  boost::json::object o;
  o["tcaseId"] = tcase_id;
  o["status"] = qasphere_status(worst);
  o["comment"] = qasphere_comment(instances, expected);
  o["timeTaken"] = std::max<std::int64_t>(0, total_ms);
  return o;
}

std::string qasphere_attachments_html(const std::vector<std::pair<std::string, std::string>>& links,
                                      std::size_t not_uploaded, const std::string& why, std::size_t budget) {
  std::string out;
  if (!links.empty()) {
    // As qas-cli links them: the result endpoints take no files, the comment takes links.
    out = "<h4>Attachments:</h4><ul>";
    std::size_t shown = 0;
    for (const auto& [name, url] : links) {
      std::string li = "<li><a href=\"" + escaped_capped(url, 2048) + "\">" + escaped_capped(name, 255) + "</a></li>";
      if (out.size() + li.size() + 64 > budget) break;
      out += li;
      ++shown;
    }
    if (shown < links.size()) out += "<li>(+" + std::to_string(links.size() - shown) + " more)</li>";
    out += "</ul>";
  }
  if (not_uploaded > 0)
    out += "<p>gtest-tms: " + std::to_string(not_uploaded) + (not_uploaded == 1 ? " attachment" : " attachments") +
           " not uploaded (" + escaped_capped(why, 512) + ")</p>";
  return out;
}

}  // namespace gtest_tms::detail

#include "delivery/summary.hpp"
#include "util/text.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace gtest_tms::detail {

namespace {

constexpr std::size_t max_rejection_lines = 10;

// "15 failed, 2 invalid, 1 blocked": each status on its own, in a fixed order, then any other.
std::string status_counts(const backend_report& r) {
  std::string out;
  auto add = [&out](const std::string& name, std::size_t n) {
    if (n > 0) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + name;
  };
  const char* order[] = {"failed", "invalid", "blocked"};
  for (const char* name : order) {
    const auto it = r.delivered_by_status.find(name);
    if (it != r.delivered_by_status.end()) add(it->first, it->second);
  }
  for (const auto& [name, n] : r.delivered_by_status)
    if (std::find(std::begin(order), std::end(order), name) == std::end(order)) add(name, n);
  if (out.empty()) out = std::to_string(r.delivered_failed) + " failed";  // a report without the split
  return out;
}

}  // namespace

std::vector<std::string> summary_lines(const std::vector<summary_entry>& entries) {
  std::vector<std::string> lines;
  for (const auto& e : entries) {
    const backend_report& r = e.report;
    if (e.report_mode) {
      // Nothing was to be sent, so nothing is "not confirmed".
      const std::string n = plural(r.undelivered.size(), "result", "results");
      lines.push_back(r.name + ": " +
                      (e.fallback_error.empty()
                           ? n + " written to " + e.fallback_dir
                           : n + " could not be written to " + e.fallback_dir + ": " + e.fallback_error));
      continue;
    }
    if (!e.collector.empty()) {
      lines.push_back(r.name + ": " + plural(e.handed_over, "result", "results") + " handed to the collector of run " +
                      std::to_string(r.run_id) + " (" + e.collector + ")");
      continue;
    }
    std::string line = r.name + ": ";
    if (!r.start_error.empty()) {
      line += "not started: " + r.start_error;
    } else {
      line += plural(r.delivered, "result", "results") + " sent";
      if (r.delivered_failed > 0) line += " (" + status_counts(r) + ")";
      if (r.already_stored > 0)
        line += ", " + std::to_string(r.already_stored) + " of them found already stored (an earlier answer was lost)";
      if (r.not_sent > 0) line += ", " + plural(r.not_sent, "test", "tests") + " not for this system";
      if (!r.finish_message.empty()) line += ", " + r.finish_message;
    }
    if (!r.link.empty()) line += ": " + r.link;
    lines.push_back(std::move(line));

    for (const auto& w : r.run_warnings) lines.push_back(r.name + ": " + w);
    for (const auto& f : r.failed_links) lines.push_back(r.name + ": failed " + f);
    if (r.failed_links_more > 0)
      lines.push_back(r.name + ": ... and " + plural(r.failed_links_more, "more failed test", "more failed tests") +
                      " linked to a case");
    if (!r.failure.empty()) lines.push_back(r.name + ": delivery stopped: " + r.failure);
    for (std::size_t i = 0; i < r.rejections.size() && i < max_rejection_lines; ++i)
      lines.push_back(r.name + ": rejected " + r.rejections[i]);
    if (r.rejections.size() > max_rejection_lines)
      lines.push_back(r.name + ": ... and " + std::to_string(r.rejections.size() - max_rejection_lines) +
                      " more rejected");
    for (std::size_t i = 0; i < r.warnings.size() && i < max_rejection_lines; ++i)
      lines.push_back(r.name + ": incomplete " + r.warnings[i]);
    if (r.warnings.size() > max_rejection_lines)
      lines.push_back(r.name + ": ... and " + std::to_string(r.warnings.size() - max_rejection_lines) +
                      " more incomplete");

    if (r.queued_at_deadline > 0 && r.rate_limited) {
      char pace[32];
      (void)std::snprintf(pace, sizeof pace, "%g", r.requests_per_second);
      lines.push_back(r.name + ": " + plural(r.queued_at_deadline, "result was", "results were") +
                      " still queued when the deadline (GTEST_TMS_DEADLINE) passed: the rate limit (" + pace +
                      " requests/s) needs about " + std::to_string((r.more_ms + 999) / 1000) + " s more for them");
    }
    if (!r.undelivered.empty()) {
      std::string u =
          r.name + ": " + plural(r.undelivered.size(), "result", "results") + " not confirmed by the server";
      if (!e.fallback_dir.empty() && e.fallback_error.empty()) {
        u += "; written to " + e.fallback_dir + " (send them with: gtest-tms upload " + e.fallback_dir + ")";
      } else if (!e.fallback_error.empty()) {
        u += "; could not write them: " + e.fallback_error;
      } else if (!e.journal.empty()) {
        u += "; kept in " + e.journal + " (send them with: gtest-tms upload " + e.journal + ")";
      } else {
        u += "; set QASE_FALLBACK=report to keep them on disk";
      }
      lines.push_back(std::move(u));
    }
  }
  return lines;
}

std::string step_summary_markdown(const std::vector<summary_entry>& entries, std::size_t results,
                                  const std::vector<std::string>& failed_names) {
  std::string md = "### gtest-tms: " + std::to_string(results) + " results\n\n";
  md += "| System | Sent | Failed | Not confirmed | Run |\n|---|---:|---:|---:|---|\n";
  for (const auto& e : entries) {
    const backend_report& r = e.report;
    std::string run =
        r.link.empty() ? (r.start_error.empty() ? "-" : "not started") : "[" + r.link + "](" + r.link + ")";
    if (!r.finish_message.empty()) run += " (" + r.finish_message + ")";
    md += "| " + r.name + " | " + std::to_string(r.delivered) + " | " + std::to_string(r.delivered_failed) + " | " +
          std::to_string(r.undelivered.size()) + " | " + run + " |\n";
  }
  if (!failed_names.empty()) {
    md += "\nFailed tests:\n";
    for (const auto& n : failed_names) md += "- `" + n + "`\n";
  }
  return md;
}

void write_step_summary(const std::vector<summary_entry>& entries, std::size_t results,
                        const std::vector<std::string>& failed_names) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0' || entries.empty()) return;
  std::FILE* f = std::fopen(path, "a");
  if (f == nullptr) return;
  std::fputs(step_summary_markdown(entries, results, failed_names).c_str(), f);
  (void)std::fclose(f);  // a job summary that cannot be written changes nothing else
}

}  // namespace gtest_tms::detail

// The human summary of a request log. Built only from the log entries (and their "effects"), so
// `tms_emulator::summary()` and `gtest-tms emulator show DIR` print exactly the same text.

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "emulator/emulator.hpp"

namespace gtest_tms::detail::emulator {
namespace {

struct run_info {
  bool created = false;
  std::string title;
  std::string project;
  int end_requests = 0;  // complete (Qase) / close (QA Sphere) requests
  int end_rejected = 0;  // of which answered as repeats
  bool ended = false;
  std::map<std::string, int> per_status;
  int duplicates = 0;
  int stored = 0;
  std::vector<std::pair<std::string, std::string>> tests;  // name, status
};

struct system_info {
  std::size_t requests = 0;
  std::map<std::int64_t, run_info> runs;
  std::vector<std::string> rejected;
  std::vector<std::string> faults;
  std::size_t attachments = 0;
  std::map<std::int64_t, int> logs;
};

int status_rank(const std::string& s) {
  static const std::vector<std::string> order{"passed", "failed", "invalid", "blocked", "skipped", "open"};
  auto it = std::find(order.begin(), order.end(), s);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

std::int64_t as_id(const boost::json::value& v) { return v.is_number() ? v.to_number<std::int64_t>() : 0; }

std::string line_of(const recorded_request& r) {
  std::string out = "#";  // appended piece by piece: a temporary sum trips GCC 12's -Wrestrict at -O3
  out += std::to_string(r.seq);
  out += ' ';
  out += r.method;
  out += ' ';
  out += r.path;
  out += " -> ";
  return out;
}

void account(system_info& sys, const recorded_request& r, bool qase) {
  ++sys.requests;
  const auto& e = r.effects;
  if (auto it = e.find("run_created"); it != e.end() && it->value().is_object()) {
    const auto& c = it->value().as_object();
    auto& run = sys.runs[as_id(c.at("id"))];
    run.created = true;
    if (auto t = c.find("title"); t != c.end() && t->value().is_string())
      run.title = std::string(t->value().as_string());
    if (auto p = c.find("project"); p != c.end() && p->value().is_string())
      run.project = std::string(p->value().as_string());
  }
  for (const char* key : {"run_completed", "run_closed"}) {
    if (auto it = e.find(key); it != e.end()) {
      auto& run = sys.runs[as_id(it->value())];
      ++run.end_requests;
      if (e.contains("repeat")) {
        ++run.end_rejected;
      } else {
        run.ended = true;
      }
    }
  }
  if (auto it = e.find("results"); it != e.end() && it->value().is_array()) {
    for (const auto& item : it->value().as_array()) {
      if (!item.is_object()) continue;
      const auto& o = item.as_object();
      auto& run = sys.runs[as_id(o.at("run"))];
      if (o.contains("duplicate") && o.at("duplicate").is_bool() && o.at("duplicate").as_bool()) {
        ++run.duplicates;
        continue;
      }
      std::string status =
          o.contains("status") && o.at("status").is_string() ? std::string(o.at("status").as_string()) : "?";
      std::string name = o.contains("name") && o.at("name").is_string() ? std::string(o.at("name").as_string()) : "?";
      ++run.per_status[status];
      ++run.stored;
      run.tests.emplace_back(name, status);
    }
  }
  if (auto it = e.find("attachments"); it != e.end() && it->value().is_number())
    sys.attachments += it->value().to_number<std::size_t>();
  if (auto it = e.find("log"); it != e.end() && it->value().is_object())
    ++sys.logs[as_id(it->value().as_object().at("run"))];

  if (r.injected) {
    std::string what = r.status != 0 && r.fault.empty() ? std::to_string(r.status) : r.fault;
    if (r.status != 0 && !r.fault.empty()) what = r.fault + " (" + std::to_string(r.status) + ")";
    if (!r.fault.empty() && r.fault != "reset_before_read") what += ", request processed";
    sys.faults.push_back(line_of(r) + what);
  } else if (r.status < 200 || r.status >= 300) {
    sys.rejected.push_back(line_of(r) + std::to_string(r.status) + " " + r.error);
  }
  (void)qase;
}

void print_system(std::ostringstream& out, const char* title, const system_info& sys, bool qase) {
  out << title << ": " << sys.requests << " request" << (sys.requests == 1 ? "" : "s") << ", " << sys.runs.size()
      << " run" << (sys.runs.size() == 1 ? "" : "s") << ", " << sys.rejected.size() << " rejected, "
      << sys.faults.size() << " fault" << (sys.faults.size() == 1 ? "" : "s") << " injected\n";
  const char* end_verb = qase ? "completed" : "closed";
  for (const auto& [id, run] : sys.runs) {
    out << "  Run " << id;
    if (run.created) {
      out << " \"" << run.title << "\" (" << run.project << ")";
    } else {
      out << " (not created in this log)";
    }
    out << ": " << (run.ended ? end_verb : (qase ? "not completed" : "not closed"));
    if (run.end_requests > 1 || run.end_rejected > 0)
      out << " (" << run.end_requests << " " << (qase ? "complete" : "close") << " requests, " << run.end_rejected
          << " rejected as repeats)";
    out << "\n";
    auto logs = sys.logs.find(id);
    if (logs != sys.logs.end()) out << "    run log entries: " << logs->second << "\n";
    out << "    results stored: " << run.stored;
    if (run.stored > 0) {
      std::vector<std::pair<std::string, int>> counts(run.per_status.begin(), run.per_status.end());
      std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
        return status_rank(a.first) != status_rank(b.first) ? status_rank(a.first) < status_rank(b.first)
                                                            : a.first < b.first;
      });
      out << " (";
      for (std::size_t i = 0; i < counts.size(); ++i)
        out << (i ? ", " : "") << counts[i].first << " " << counts[i].second;
      out << ")";
    }
    if (run.duplicates > 0)
      out << "; " << run.duplicates << " resent duplicate" << (run.duplicates == 1 ? "" : "s") << " ignored";
    out << "\n";
    auto tests = run.tests;
    std::sort(tests.begin(), tests.end());
    for (const auto& [name, status] : tests) {
      std::string s = status;
      s.resize(std::max<std::size_t>(s.size(), 8), ' ');
      out << "      " << s << " " << name << "\n";
    }
  }
  if (sys.attachments > 0) out << "  attachments uploaded: " << sys.attachments << "\n";
  if (!sys.rejected.empty()) {
    out << "  rejected requests:\n";
    for (const auto& line : sys.rejected) out << "    " << line << "\n";
  }
  if (!sys.faults.empty()) {
    out << "  injected faults:\n";
    for (const auto& line : sys.faults) out << "    " << line << "\n";
  }
}

}  // namespace

std::string summarize(const std::vector<recorded_request>& log) {
  system_info qase;
  system_info qasphere;
  system_info other;
  auto sorted = log;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
  for (const auto& r : sorted) {
    if (r.system == "qase") {
      account(qase, r, true);
    } else if (r.system == "qasphere") {
      account(qasphere, r, false);
    } else {
      account(other, r, false);
    }
  }
  std::ostringstream out;
  if (log.empty()) out << "No requests received.\n";
  if (qase.requests > 0) print_system(out, "Qase (emulated)", qase, true);
  if (qasphere.requests > 0) print_system(out, "QA Sphere (emulated)", qasphere, false);
  if (other.requests > 0) {
    out << "Other paths: " << other.requests << " request" << (other.requests == 1 ? "" : "s") << " (answered 404)\n";
    for (const auto& line : other.rejected) out << "    " << line << "\n";
  }
  return out.str();
}

}  // namespace gtest_tms::detail::emulator

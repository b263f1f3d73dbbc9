#include "cli/ci_steps.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

#include "delivery/summary.hpp"
#include "delivery/pipeline.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qasphere/qasphere_backend.hpp"
#include "storage/journal.hpp"
#include "storage/qase_report.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

namespace fs = std::filesystem;

namespace {

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

const char* display_name(std::string_view system) {
  if (system == journal_qase) return "Qase";
  if (system == journal_qasphere) return "QA Sphere";
  return "unknown system";
}

bool configured(std::string_view system, const settings& s) {
  if (system == journal_qase)
    return s.qase.mode == qase_mode::testops && !s.qase.token.empty() && !s.qase.project.empty();
  if (system == journal_qasphere) return s.qasphere.enabled;
  return false;
}

const char* how_to_configure(std::string_view system) {
  return system == journal_qasphere ? "set QAS_TOKEN and QAS_URL"
                                    : "set QASE_MODE=testops, QASE_TESTOPS_API_TOKEN and QASE_TESTOPS_PROJECT";
}

std::unique_ptr<backend> default_backend(std::string_view system, const settings& s) {
  if (system == journal_qase) return make_qase_backend(s.qase, s.common);
  if (system == journal_qasphere) return make_qasphere_backend(s.qasphere, s.common);
  return nullptr;
}

struct tools_or_default {
  explicit tools_or_default(const ci_tools& t) : tools(t) {}
  std::unique_ptr<transport> make_transport(const transport_options& o) const {
    return tools.make_transport ? tools.make_transport(o) : make_https_transport(o);
  }
  std::unique_ptr<backend> make_backend(std::string_view system, const settings& s) const {
    return tools.make_backend ? tools.make_backend(system, s) : default_backend(system, s);
  }
  const ci_tools& tools;
};

pipeline_options pipeline_options_for(const settings& s) {
  pipeline_options o;
  o.batch_age = s.common.batch_age;
  o.max_retries = s.common.retries;
  return o;
}

// Runs one pipeline: start, hand over `results`, finish by the deadline.
std::vector<backend_report> run_pipeline(const settings& s, std::vector<std::unique_ptr<backend>> backends,
                                         const run_plan& plan,
                                         const std::vector<std::shared_ptr<const test_result>>& results,
                                         delivery_observer observer, const tools_or_default& tools) {
  std::unique_ptr<transport> t = tools.make_transport(transport_options_for(s));
  pipeline_options popt = pipeline_options_for(s);
  popt.observer = std::move(observer);
  pipeline p(*t, std::move(backends), popt);
  p.start(plan);
  for (const auto& r : results) p.submit(r);
  return p.finish(std::chrono::steady_clock::now() + s.common.flush_deadline);
}

// The backends' own wording: "run N completed" (Qase), "run N closed..." (QA Sphere).
bool finished_run(const backend_report& r) {
  const std::string run = "run " + std::to_string(r.run_id);
  return r.finish_message == run + " completed" || r.finish_message.rfind(run + " closed", 0) == 0;
}

// --- upload ------------------------------------------------------------------------------------

struct origin {
  std::string report_dir;  // non-empty: the result file results/<file> in this report
  std::string file;
  std::size_t journal_index = SIZE_MAX;  // else: a journal
};

struct open_journal {
  std::unique_ptr<journal> j;
  journal_contents contents;
  std::map<std::string, std::set<std::string>> pending;  // system -> ids not acknowledged yet
};

struct group {
  std::string system;
  std::int64_t run_id = 0;
  bool run_created = false;
  std::vector<std::shared_ptr<const test_result>> results;
  std::vector<std::shared_ptr<const test_result>> context;  // the rest of the run, for the plan
  std::set<std::string> sources;
};

void move_to_uploaded(const origin& o, std::vector<std::string>& lines, std::size_t& move_errors) {
  std::error_code ec;
  const fs::path dest_dir = fs::path(o.report_dir) / "uploaded";
  fs::create_directories(dest_dir, ec);
  if (!ec) fs::rename(o.file, dest_dir / fs::path(o.file).filename(), ec);
  if (ec) {
    if (move_errors++ == 0)
      lines.push_back("could not mark " + o.file + " as uploaded (" + ec.message() +
                      "); a second upload would send it again");
  }
}

}  // namespace

transport_options transport_options_for(const settings& s) {
  transport_options t;
  t.request_timeout = s.common.request_timeout;
  t.ca_file = s.common.ca_file;
  t.proxy_url = s.common.proxy_url;
  t.no_proxy = s.common.no_proxy;
  return t;
}

env_lookup ci_env(env_lookup base) {
  return [base = std::move(base)](const std::string& name) -> std::optional<std::string> {
    std::optional<std::string> v = base ? base(name) : std::nullopt;
    if (name == "QASE_MODE" && v && iequals(trim(*v), "report")) return std::string("testops");
    return v;
  };
}

ci_outcome upload_results(const std::string& path, const settings& s, const ci_tools& tools_in) {
  const tools_or_default tools(tools_in);
  ci_outcome out;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    out.lines.push_back("cannot upload: " + path + " does not exist");
    return out;
  }

  std::size_t unreadable = 0;
  std::vector<report_contents> reports;
  std::vector<open_journal> journals;
  if (fs::is_directory(path, ec)) {
    for (const std::string& dir : {path, path + "/qasphere"}) {
      if (!fs::is_directory(dir + "/results", ec)) continue;
      report_contents c;
      std::string error;
      if (!read_qase_report(dir, c, error)) {
        out.lines.push_back(error);
        ++unreadable;
        continue;
      }
      for (auto& w : c.warnings) out.lines.push_back(std::move(w));
      unreadable += c.warnings.size();
      c.warnings.clear();
      reports.push_back(std::move(c));
    }
  }
  std::vector<std::string> journal_files = find_journals(path);
  if (fs::is_directory(path + "/journal", ec)) {
    for (auto& f : find_journals(path + "/journal")) journal_files.push_back(std::move(f));
  }
  for (const auto& file : journal_files) {
    std::string error;
    open_journal oj;
    oj.j = journal::open_existing(file, error);
    if (!oj.j) {
      // A live journal belongs to a test binary that is still running: it reports for itself.
      out.lines.push_back("skipped " + error);
      continue;
    }
    if (!read_journal(file, oj.contents, error)) {
      out.lines.push_back(error);
      ++unreadable;
      oj.j->close();
      continue;
    }
    for (auto& w : oj.contents.warnings) out.lines.push_back(std::move(w));
    unreadable += oj.contents.warnings.size();
    for (const auto& sys : oj.contents.header.systems) {
      auto& ids = oj.pending[sys];
      for (const auto& r : oj.contents.unacknowledged(sys)) ids.insert(r->id);
    }
    journals.push_back(std::move(oj));
  }
  if (reports.empty() && journals.empty() && unreadable == 0) {
    if (std::any_of(out.lines.begin(), out.lines.end(), [](const std::string& l) { return l.rfind("skipped", 0) == 0; })) {
      out.ok = true;  // only live journals: nothing of ours to send
      return out;
    }
    out.lines.push_back("nothing to upload in " + path + ": no results/ directory and no journal-*.jsonl files");
    out.ok = true;
    return out;
  }

  // Each (system, result id) once, whatever number of places hold it; the first place decides
  // the run it goes to.
  std::map<std::pair<std::string, std::string>, std::vector<origin>> origins;
  std::map<std::tuple<std::string, std::int64_t, bool>, group> groups;
  const auto add = [&](const std::string& system, std::int64_t run_id, bool created,
                       const std::shared_ptr<const test_result>& r, origin o, const std::string& source) {
    auto& list = origins[{system, r->id}];
    const bool first = list.empty();
    list.push_back(std::move(o));
    if (!first) return;
    group& g = groups[{system, run_id, created}];
    g.system = system;
    g.run_id = run_id;
    g.run_created = created;
    g.results.push_back(r);
    g.sources.insert(source);
  };
  for (const auto& c : reports) {
    for (const auto& e : c.entries) add(c.system, e.run_id, e.run_created, e.result, origin{c.dir, e.file}, c.dir);
  }
  for (std::size_t i = 0; i < journals.size(); ++i) {
    const journal_contents& jc = journals[i].contents;
    for (const auto& sys : jc.header.systems) {
      const auto run = jc.runs.count(sys) ? jc.runs.at(sys) : journal_run{};
      for (const auto& r : jc.unacknowledged(sys)) add(sys, run.id, run.created, r, origin{{}, {}, i}, jc.path);
      // A crashed binary never completed the run it created, even when every result got there.
      const bool configured_run = sys == journal_qase ? s.qase.run_id.has_value() : s.qasphere.run_id.has_value();
      if (run.id > 0 && run.created && !configured_run) {
        group& g = groups[{sys, run.id, true}];
        g.system = sys;
        g.run_id = run.id;
        g.run_created = true;
        g.sources.insert(jc.path);
      }
      if (run.id > 0) {
        const auto it = groups.find({sys, run.id, run.created});
        if (it != groups.end()) it->second.context.insert(it->second.context.end(), jc.results.begin(), jc.results.end());
      }
    }
  }
  for (const auto& [key, g] : groups) out.found += g.results.size();
  if (out.found == 0) {
    out.lines.push_back("nothing to send: every result in " + path + " was already confirmed");
  }
  // Empty groups (only a run to complete) need a configured system; they are no failure otherwise.
  for (auto it = groups.begin(); it != groups.end();) {
    if (it->second.results.empty() && !configured(it->second.system, s)) it = groups.erase(it);
    else ++it;
  }

  std::size_t failed = 0;
  std::size_t move_errors = 0;
  std::vector<summary_entry> entries;
  std::vector<std::string> tail;
  for (auto& [key, g] : groups) {
    std::string sources;
    for (const auto& src : g.sources) sources += (sources.empty() ? "" : ", ") + src;
    if (!configured(g.system, s)) {
      failed += g.results.size();
      tail.push_back(std::string(display_name(g.system)) + ": " + plural(g.results.size(), "result", "results") +
                     " not sent: " + display_name(g.system) + " is not configured (" + how_to_configure(g.system) +
                     "); they stay in " + sources);
      continue;
    }
    settings gs = s;
    if (g.system == journal_qase) {
      if (!gs.qase.run_id && g.run_id > 0) {
        gs.qase.run_id = g.run_id;
        if (!gs.qase.run_complete && g.run_created) gs.qase.run_complete = true;
      }
    } else {
      if (!gs.qasphere.run_id && g.run_id > 0) {
        gs.qasphere.run_id = g.run_id;
        if (!gs.qasphere.close_run && g.run_created) gs.qasphere.close_run = true;
      }
    }
    std::vector<std::unique_ptr<backend>> backends;
    if (auto b = tools.make_backend(g.system, gs)) backends.push_back(std::move(b));
    if (backends.empty()) {
      failed += g.results.size();
      tail.push_back(std::string(display_name(g.system)) + ": no backend available");
      continue;
    }
    run_plan plan;
    std::set<std::pair<std::string, std::string>> planned;
    for (const auto* list : {&g.results, &g.context})
      for (const auto& r : *list)
        if (planned.insert({r->suite, r->name}).second) plan.tests.push_back({r->suite, r->name});

    // Acknowledgements go to the journals as they arrive: an upload that dies halfway loses nothing.
    const std::string system = g.system;
    delivery_observer observer;
    observer.delivered = [&journals, &origins, system](const std::string&,
                                                       const std::vector<std::shared_ptr<const test_result>>& rs) {
      for (const auto& r : rs) {
        const auto it = origins.find({system, r->id});
        if (it == origins.end()) continue;
        for (const auto& o : it->second)
          if (o.journal_index != SIZE_MAX) journals[o.journal_index].j->ack(system, {std::string_view(r->id)});
      }
    };
    // A run the upload creates is recorded too: a retry after a failure goes into the same run.
    const bool creates = g.system == journal_qase ? !gs.qase.run_id.has_value() : !gs.qasphere.run_id.has_value();
    std::set<std::size_t> group_journals;
    for (const auto& r : g.results)
      for (const auto& o : origins[{g.system, r->id}])
        if (o.journal_index != SIZE_MAX) group_journals.insert(o.journal_index);
    observer.run_started = [&journals, group_journals, system, creates, was = g.run_id, was_created = g.run_created](
                               const std::string&, std::int64_t id) {
      const bool created = creates || (id == was && was_created);
      for (const auto index : group_journals) journals[index].j->run_started(system, id, created);
    };
    auto reports_out = run_pipeline(gs, std::move(backends), plan, g.results, std::move(observer), tools);
    if (reports_out.empty()) continue;
    backend_report rep = std::move(reports_out.front());

    std::set<std::string> undelivered;
    for (const auto& r : rep.undelivered) undelivered.insert(r->id);
    std::map<std::size_t, std::vector<std::string_view>> journal_acks;
    for (const auto& r : g.results) {
      if (undelivered.count(r->id)) continue;
      ++out.sent;
      for (const auto& o : origins[{g.system, r->id}]) {
        if (!o.report_dir.empty()) {
          move_to_uploaded(o, tail, move_errors);
        } else {
          journals[o.journal_index].pending[g.system].erase(r->id);
          journal_acks[o.journal_index].push_back(r->id);  // also those deliberately not sent
        }
      }
    }
    for (auto& [index, ids] : journal_acks) journals[index].j->ack(g.system, ids);
    if (!undelivered.empty()) {
      failed += undelivered.size();
      tail.push_back(rep.name + ": " + plural(undelivered.size(), "result", "results") +
                     " not confirmed; they stay in " + sources + " (run the same upload again to retry)");
    }
    rep.undelivered.clear();  // said above, in upload terms
    entries.push_back(summary_entry{std::move(rep), {}, {}});
  }

  for (auto& oj : journals) {
    std::size_t left = 0;
    for (const auto& [sys, ids] : oj.pending) left += ids.size();
    if (left == 0) {
      oj.j->remove();
    } else {
      oj.j->close();
    }
  }

  for (auto& l : summary_lines(entries)) out.lines.push_back(std::move(l));
  for (auto& l : tail) out.lines.push_back(std::move(l));
  if (unreadable > 0) out.lines.push_back(plural(unreadable, "file or line was", "files or lines were") + " skipped as unreadable");
  out.ok = failed == 0 && unreadable == 0 && move_errors == 0;
  return out;
}

// --- run create / complete -----------------------------------------------------------------------

ci_outcome create_runs(const settings& s, const run_plan& plan, const ci_tools& tools_in) {
  const tools_or_default tools(tools_in);
  ci_outcome out;
  settings gs = s;
  gs.qase.run_complete = false;  // the run stays open for the test binaries that report into it
  gs.qasphere.close_run = false;
  std::vector<std::unique_ptr<backend>> backends;
  std::vector<std::string> systems;
  for (const std::string_view sys : {journal_qase, journal_qasphere}) {
    if (!configured(sys, gs)) continue;
    if (auto b = tools.make_backend(sys, gs)) {
      backends.push_back(std::move(b));
      systems.emplace_back(sys);
    }
  }
  if (backends.empty()) {
    out.usage_error = true;
    out.lines.push_back("nothing to create: neither Qase (" + std::string(how_to_configure(journal_qase)) +
                        ") nor QA Sphere (" + how_to_configure(journal_qasphere) + ") is configured");
    return out;
  }
  const auto reports = run_pipeline(gs, std::move(backends), plan, {}, {}, tools);
  out.ok = true;
  for (std::size_t i = 0; i < reports.size() && i < systems.size(); ++i) {
    const backend_report& r = reports[i];
    const bool qase = systems[i] == journal_qase;
    if (!r.start_error.empty() || r.run_id <= 0) {
      out.ok = false;
      out.lines.push_back(r.name + ": no run: " + (r.start_error.empty() ? "the run id is unknown" : r.start_error));
      continue;
    }
    const bool joined = qase ? s.qase.run_id.has_value() : s.qasphere.run_id.has_value();
    (qase ? out.qase_run_id : out.qasphere_run_id) = r.run_id;
    out.lines.push_back(r.name + ": run " + std::to_string(r.run_id) + (joined ? " exists (joined)" : " created") +
                        (r.link.empty() ? "" : ": " + r.link));
  }
  return out;
}

ci_outcome complete_runs(const settings& s, const run_plan& plan, const ci_tools& tools_in) {
  const tools_or_default tools(tools_in);
  ci_outcome out;
  settings gs = s;
  gs.qase.run_complete = true;
  gs.qasphere.close_run = true;
  std::vector<std::unique_ptr<backend>> backends;
  bool usage_error = false;
  if (configured(journal_qase, gs)) {
    if (!gs.qase.run_id) {
      out.lines.push_back("Qase: QASE_TESTOPS_RUN_ID is not set: no run to complete");
      usage_error = true;
    } else if (auto b = tools.make_backend(journal_qase, gs)) {
      backends.push_back(std::move(b));
    }
  }
  if (configured(journal_qasphere, gs)) {
    if (!gs.qasphere.run_id) {
      out.lines.push_back("QA Sphere: QAS_RUN_ID is not set: no run to close");
      usage_error = true;
    } else if (gs.qasphere.project.empty() && plan.tests.empty()) {
      out.lines.push_back("QA Sphere: set QAS_PROJECT_CODE (or pass --tests-from) so the run's project is known");
      usage_error = true;
    } else if (auto b = tools.make_backend(journal_qasphere, gs)) {
      backends.push_back(std::move(b));
    }
  }
  if (usage_error) {
    out.usage_error = true;
    return out;  // all or nothing: a second call after fixing the settings must not meet half-done runs
  }
  if (backends.empty()) {
    out.lines.push_back("nothing to complete: neither Qase (" + std::string(how_to_configure(journal_qase)) +
                        ") nor QA Sphere (" + how_to_configure(journal_qasphere) + ") is configured");
    out.usage_error = true;
    return out;
  }
  const auto reports = run_pipeline(gs, std::move(backends), plan, {}, {}, tools);
  out.ok = true;
  for (const auto& r : reports) {
    if (!r.start_error.empty()) {
      out.ok = false;
      out.lines.push_back(r.name + ": " + r.start_error);
      continue;
    }
    if (!finished_run(r)) out.ok = false;
    if (r.name == "Qase") out.qase_run_id = r.run_id;
    else out.qasphere_run_id = r.run_id;
    out.lines.push_back(r.name + ": " + (r.finish_message.empty() ? "the run was not finished" : r.finish_message) +
                        (r.link.empty() ? "" : ": " + r.link));
  }
  return out;
}

std::vector<planned_test> parse_gtest_list(std::string_view output) {
  std::vector<planned_test> out;
  std::string suite;
  while (!output.empty()) {
    const auto nl = output.find('\n');
    std::string_view line = output.substr(0, nl);
    output.remove_prefix(nl == std::string_view::npos ? output.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const bool indented = line.front() == ' ';
    line = trim(line);
    const auto end = line.find_first_of(" \t");  // "  # GetParam() = ..." and the like follow a space
    const std::string_view token = line.substr(0, end);
    if (token.empty() || token.front() == '#') continue;
    if (!indented) {
      suite = token.back() == '.' ? std::string(token.substr(0, token.size() - 1)) : std::string();
    } else if (!suite.empty()) {
      out.push_back({suite, std::string(token)});
    }
  }
  return out;
}

}  // namespace gtest_tms::detail

// gtest-tms upload <path>: sends what a report directory or a crash journal holds and the server
// has not confirmed, exactly once, through the same delivery session a test binary uses.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

#include "cli/commands.hpp"
#include "config/system_settings.hpp"
#include "delivery/summary.hpp"
#include "platform/file_lock.hpp"
#include "storage/journal.hpp"
#include "storage/qase_report.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

namespace fs = std::filesystem;

namespace {

// A tag on disk names a system that is switched on here.
bool configured_tag(const std::string& tag, const settings& s) {
  const std::optional<tms> t = tms_from_tag(tag);
  return t && configured(s, *t);
}

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

std::string upload_lock_path(const std::string& dir) { return dir + "/.gtest-tms-upload.lock"; }

ci_outcome upload_results(const std::string& path, const settings& s, const session_hooks& hooks) {
  ci_outcome out;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    out.lines.push_back("cannot upload: " + path + " does not exist");
    return out;
  }

  // Two uploads of one folder at once would send the same results twice (QA Sphere results have
  // no idempotency key): the second one leaves it to the first.
  const bool is_dir = fs::is_directory(path, ec);
  const fs::path lock_dir = is_dir ? fs::path(path) : fs::path(path).parent_path();
  const std::string lock_path = upload_lock_path((lock_dir.empty() ? fs::path(".") : lock_dir).string());
  file_lock lock;
  std::string lock_error;
  switch (lock.try_lock(lock_path, lock_error)) {
    case file_lock::result::busy:
      out.lines.push_back(path + " is already being uploaded by another gtest-tms upload; nothing sent");
      out.ok = true;
      return out;
    case file_lock::result::error:  // a read-only folder: upload anyway, as before
      out.lines.push_back("no upload lock (" + lock_error + "); uploading without it");
      break;
    case file_lock::result::locked:
      break;
  }

  std::size_t unreadable = 0;
  std::size_t live_journals = 0;  // held by a test binary that is still running: it reports for itself
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
      ++live_journals;
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
    // A process that died mid-run: its running test failed, the tests it never reached are not
    // run. Written to the journal first, so a second upload sends the same results (same ids).
    if (const std::string line = record_lost_with_process(*oj.j, oj.contents); !line.empty())
      out.lines.push_back(file + ": " + line);
    if (oj.contents.incomplete)
      out.lines.push_back(file +
                          " is incomplete (a write failed when it was made, e.g. a full disk): results may be "
                          "missing, so its run will not be completed");
    journals.push_back(std::move(oj));
  }
  // A confirmation is of a result id, wherever it was written: the collector (collector/) writes
  // those of every test process into its own journal in the spool. Copied into the journal of the
  // result, so that one stays right once the collector's is gone.
  std::map<std::string, std::set<std::string>> acked_anywhere, sent_anywhere;
  for (const auto& oj : journals) {
    for (const auto& [sys, ids] : oj.contents.acked) acked_anywhere[sys].insert(ids.begin(), ids.end());
    for (const auto& [sys, ids] : oj.contents.sent) sent_anywhere[sys].insert(ids.begin(), ids.end());
  }
  for (auto& oj : journals) {
    for (const auto& sys : oj.contents.header.systems) {
      const auto known = tms_from_tag(sys);
      std::vector<std::string_view> copied;
      auto& acked = oj.contents.acked[sys];
      for (const auto& r : oj.contents.results) {
        if (acked.count(r->id) == 0 && acked_anywhere[sys].count(r->id) > 0) {
          acked.insert(r->id);
          copied.emplace_back(r->id);
        }
        if (sent_anywhere[sys].count(r->id) > 0) oj.contents.sent[sys].insert(r->id);
      }
      if (known && !copied.empty()) oj.j->ack(*known, copied);
      auto& ids = oj.pending[sys];
      for (const auto& r : oj.contents.unacknowledged(sys)) ids.insert(r->id);
    }
  }
  out.live = live_journals;
  if (reports.empty() && journals.empty() && unreadable == 0) {
    if (live_journals > 0) {
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
  std::set<std::string> incomplete_sources;  // journals a write failed for: never complete their run
  std::set<std::string> sharded_sources;     // one shard cannot know when the run is done
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
  std::set<std::string> report_fate_unknown;  // ids a fallback report marked gtest.fate_unknown
  for (const auto& c : reports) {
    for (const auto& e : c.entries) {
      add(c.system, e.run_id, e.run_created, e.result, origin{c.dir, e.file}, c.dir);
      if (e.fate_unknown) report_fate_unknown.insert(e.result->id);
    }
  }
  for (std::size_t i = 0; i < journals.size(); ++i) {
    const journal_contents& jc = journals[i].contents;
    for (const auto& sys : jc.header.systems) {
      const auto run = jc.runs.count(sys) ? jc.runs.at(sys) : journal_run{};
      for (const auto& r : jc.unacknowledged(sys)) add(sys, run.id, run.created, r, origin{{}, {}, i}, jc.path);
      // A crashed binary never completed the run it created, even when every result got there.
      const auto known = tms_from_tag(sys);
      const bool configured_run = known && run_id_setting(s, *known).has_value();
      if (jc.incomplete) incomplete_sources.insert(jc.path);
      if (jc.plan.total_shards > 1) sharded_sources.insert(jc.path);
      if (run.id > 0 && run.created && !configured_run && !jc.incomplete) {
        group& g = groups[{sys, run.id, true}];
        g.system = sys;
        g.run_id = run.id;
        g.run_created = true;
        g.sources.insert(jc.path);
      }
      if (run.id > 0) {
        const auto it = groups.find({sys, run.id, run.created});
        if (it != groups.end())
          it->second.context.insert(it->second.context.end(), jc.results.begin(), jc.results.end());
      }
    }
  }
  for (const auto& [key, g] : groups) out.found += g.results.size();
  if (out.found == 0) {
    out.lines.push_back("nothing to send: every result in " + path + " was already confirmed");
  }
  // Empty groups (only a run to complete) need a configured system; they are no failure otherwise.
  for (auto it = groups.begin(); it != groups.end();) {
    if (it->second.results.empty() && !configured_tag(it->second.system, s))
      it = groups.erase(it);
    else
      ++it;
  }

  std::size_t failed = 0;
  std::size_t move_errors = 0;
  std::vector<summary_entry> entries;
  std::vector<std::string> tail;
  for (auto& [key, g] : groups) {
    std::string sources;
    for (const auto& src : g.sources) sources += (sources.empty() ? "" : ", ") + src;
    const std::optional<tms> known = tms_from_tag(g.system);
    if (!known) {
      failed += g.results.size();
      tail.push_back(plural(g.results.size(), "result", "results") + " for an unknown system '" + g.system +
                     "' not sent; they stay in " + sources);
      continue;
    }
    const tms system = *known;
    const std::string name(display_name(system));
    if (!configured(s, system)) {
      failed += g.results.size();
      tail.push_back(name + ": " + plural(g.results.size(), "result", "results") + " not sent: " + name +
                     " is not configured (" + std::string(traits(system).how_to_configure) + "); they stay in " +
                     sources);
      continue;
    }
    // Into the run the results were meant for; a run their process created is finished as it would have.
    settings gs = s;
    bool incomplete = false;
    bool sharded = false;
    for (const auto& src : g.sources) {
      incomplete = incomplete || incomplete_sources.count(src) > 0;
      sharded = sharded || sharded_sources.count(src) > 0;
    }
    if (!run_id_setting(gs, system) && g.run_id > 0) {
      run_id_setting(gs, system) = g.run_id;
      if (!finish_run_setting(gs, system) && g.run_created && !sharded) finish_run_setting(gs, system) = true;
    }
    if (incomplete) {
      finish_run_setting(gs, system) = false;
      ++failed;
      tail.push_back(name + ": the run is left open: " + sources + " is incomplete, results may be missing");
    }
    run_plan plan;
    std::set<std::pair<std::string, std::string>> planned;
    for (const auto* list : {&g.results, &g.context})
      for (const auto& r : *list)
        if (planned.insert({r->suite, r->name}).second) plan.tests.push_back({r->suite, r->name});

    // Acknowledgements go to the journals as they arrive: an upload that dies halfway loses nothing.
    const std::string tag = g.system;
    session_options options;
    options.systems = {system};
    options.hooks = hooks;
    options.observer.delivered = [&journals, &origins, tag](tms sys,
                                                            const std::vector<std::shared_ptr<const test_result>>& rs) {
      for (const auto& r : rs) {
        const auto it = origins.find({tag, r->id});
        if (it == origins.end()) continue;
        for (const auto& o : it->second)
          if (o.journal_index != SIZE_MAX) journals[o.journal_index].j->ack(sys, {std::string_view(r->id)});
      }
    };
    // Requests of a system without idempotency keys are recorded before they go, as by the binary:
    // an upload that dies with one in flight leaves the next one something to ask the server about.
    options.observer.sending = [&journals, &origins, tag](tms sys,
                                                          const std::vector<std::shared_ptr<const test_result>>& rs) {
      std::map<std::size_t, std::vector<std::shared_ptr<const test_result>>> per_journal;
      for (const auto& r : rs) {
        const auto it = origins.find({tag, r->id});
        if (it == origins.end()) continue;
        for (const auto& o : it->second)
          if (o.journal_index != SIZE_MAX) per_journal[o.journal_index].push_back(r);
      }
      for (const auto& [index, list] : per_journal) journals[index].j->sending(sys, list);
    };
    // A run the upload creates is recorded too: a retry after a failure goes into the same run.
    const bool creates = !run_id_setting(gs, system).has_value();
    std::set<std::size_t> group_journals;
    for (const auto& r : g.results)
      if (report_fate_unknown.count(r->id) > 0) plan.fate_unknown.insert(r->id);
    for (const auto& r : g.results)
      for (const auto& o : origins[{g.system, r->id}])
        if (o.journal_index != SIZE_MAX) group_journals.insert(o.journal_index);
    options.observer.run_started = [&journals, group_journals, creates, was = g.run_id, was_created = g.run_created](
                                       tms sys, std::int64_t id) {
      const bool created = creates || (id == was && was_created);
      for (const auto index : group_journals) journals[index].j->run_started(sys, id, created);
    };
    // Results a request carried whose answer never came: the backend asks the run before resending.
    for (const auto& r : g.results)
      for (const auto& o : origins[{g.system, r->id}])
        if (o.journal_index != SIZE_MAX && journals[o.journal_index].contents.sent.count(g.system) > 0 &&
            journals[o.journal_index].contents.sent.at(g.system).count(r->id) > 0)
          plan.fate_unknown.insert(r->id);
    // The crashed process may have created its run without learning the id: find it by the marker
    // its journal recorded before the request, rather than leave it open and empty beside a new one.
    if (creates) {
      for (const auto index : group_journals) {
        const std::string& marker = journals[index].contents.plan.creation_marker;
        if (marker.empty()) continue;
        plan.creation_marker = marker;
        plan.find_created_run = true;
        break;
      }
    }
    session sess(gs, std::move(options));
    sess.open(std::move(plan));
    for (const auto& r : g.results) sess.submit(r);
    session_outcome done = sess.close(std::chrono::steady_clock::now() + gs.common.flush_deadline);
    if (done.entries.empty()) {
      failed += g.results.size();
      tail.push_back(name + ": no backend available");
      continue;
    }
    backend_report rep = std::move(done.entries.front().report);

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
    for (auto& [index, ids] : journal_acks) journals[index].j->ack(system, ids);
    if (!undelivered.empty()) {
      failed += undelivered.size();
      tail.push_back(rep.name + ": " + plural(undelivered.size(), "result", "results") +
                     " not confirmed; they stay in " + sources + " (run the same upload again to retry)");
    }
    rep.undelivered.clear();  // said above, in upload terms
    summary_entry e;
    e.report = std::move(rep);
    entries.push_back(std::move(e));
  }

  for (auto& oj : journals) {
    std::size_t left = 0;
    for (const auto& [sys, ids] : oj.pending) left += ids.size();
    // A journal of confirmations only (the collector's) may still be needed by a live journal's results.
    const bool confirmations_for_live = live_journals > 0 && oj.contents.results.empty() && !oj.contents.acked.empty();
    if (left == 0 && !confirmations_for_live) {
      oj.j->remove();
    } else {
      oj.j->close();
    }
  }

  for (auto& l : summary_lines(entries)) out.lines.push_back(std::move(l));
  for (auto& l : tail) out.lines.push_back(std::move(l));
  if (unreadable > 0)
    out.lines.push_back(plural(unreadable, "file or line was", "files or lines were") + " skipped as unreadable");
  out.ok = failed == 0 && unreadable == 0 && move_errors == 0;
  return out;
}

namespace cli {

namespace {

void upload_usage(std::FILE* out) {
  std::fputs(
      "usage: gtest-tms upload <path>\n"
      "\n"
      "Sends the results kept on disk that the server has not confirmed:\n"
      "  <path> is a report directory (QASE_REPORT_CONNECTION_PATH, with results/*.json; its qasphere/\n"
      "  and journal/ subdirectories are included), a journal directory (GTEST_TMS_JOURNAL_DIR) or a\n"
      "  journal-*.jsonl file left by a test binary that crashed.\n"
      "Configuration as for the test binaries (QASE_*, QAS_*, qase.config.json, .qaspherecli);\n"
      "QASE_MODE=report counts as testops here. Results go into the run they were meant for unless\n"
      "QASE_TESTOPS_RUN_ID / QAS_RUN_ID name another. Sent results are marked (report files move to\n"
      "<dir>/uploaded/, journals record them), so a second upload sends nothing again.\n"
      "Exit code: 0 everything was delivered, 1 something was not, 2 usage.\n",
      out);
}

}  // namespace

int upload_command(int argc, char** argv) {
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      upload_usage(stdout);
      return 0;
    }
    if (!a.empty() && a.front() == '-') {
      std::fprintf(stderr, "gtest-tms upload: unknown option '%s'\n", argv[i]);
      upload_usage(stderr);
      return 2;
    }
    if (!path.empty()) {
      std::fprintf(stderr, "gtest-tms upload: one path only (got '%s' and '%s')\n", path.c_str(), argv[i]);
      return 2;
    }
    path = argv[i];
  }
  if (path.empty()) {
    upload_usage(stderr);
    return 2;
  }
  return run_guarded("upload", [&] {
    const settings s = load_command_settings(process_env());
    const ci_outcome out = upload_results(path, s);
    for (const auto& line : out.lines) std::printf("gtest-tms: %s\n", line.c_str());
    std::fflush(stdout);
    return out.ok ? 0 : 1;
  });
}

}  // namespace cli

}  // namespace gtest_tms::detail

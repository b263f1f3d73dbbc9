#include "collector/collector.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include "cli/commands.hpp"
#include "collector/spool.hpp"
#include "config/system_settings.hpp"
#include "delivery/summary.hpp"
#include "platform/file_lock.hpp"
#include "platform/process.hpp"
#include "storage/journal.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {

namespace fs = std::filesystem;

namespace {

using clock_type = std::chrono::steady_clock;

// One test process's journal, read as it grows.
struct followed {
  explicit followed(const std::string& p) : path(p), reader(p) {}
  std::string path;
  journal_reader reader;
  std::size_t offset = 0;     // bytes taken so far (complete lines)
  std::size_t submitted = 0;  // results of reader.contents() handed to the session
  bool gone = false;          // its process ended and every line of it was taken
};

bool file_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

class collector {
 public:
  collector(const settings& s, const collector_options& o, std::vector<tms> systems, const session_hooks& hooks)
      : o_(o) {
    journal_header h;
    h.binary = "gtest-tms collect";
    for (const tms t : systems) h.systems.emplace_back(tag(t));
    std::string error;
    own_ = journal::create(o.spool, std::move(h), error);
    if (!own_) out_.lines.push_back("no journal for the confirmations (" + error + "); continuing without it");

    run_plan plan;
    if (std::ifstream in(spool_tests_path(o.spool), std::ios::binary); in) {
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      plan.tests = parse_gtest_list(text);
    }
    session_options so;
    so.systems = std::move(systems);
    so.hooks = hooks;
    // Each confirmation is on disk as it arrives: a collector that dies loses nothing but time.
    so.observer.delivered = [this](tms sys, const std::vector<std::shared_ptr<const test_result>>& rs) {
      if (own_) own_->ack(sys, rs);
    };
    so.observer.sending = [this](tms sys, const std::vector<std::shared_ptr<const test_result>>& rs) {
      if (own_) own_->sending(sys, rs);
    };
    session_ = std::make_unique<session>(s, std::move(so));
    session_->open(std::move(plan));
  }

  collector_outcome run(std::chrono::milliseconds flush_deadline) {
    auto last_news = clock_type::now();
    bool draining = false;
    clock_type::time_point drain_until{};
    bool orphaned = false;
    for (;;) {
      if (!draining && file_exists(spool_drain_path(o_.spool))) {
        draining = true;
        // CTest runs the cleanup step after the last test; a process may still be exiting.
        drain_until = clock_type::now() + std::chrono::seconds(5);
      }
      const bool news = poll_once();
      const auto now = clock_type::now();
      if (news) last_news = now;
      if (draining && (all_gone() || now >= drain_until)) break;
      if (!draining && o_.watch_pid > 0 && !process_alive(o_.watch_pid) && now - last_news >= o_.orphan_quiet) {
        orphaned = true;
        break;
      }
      if (now - last_news >= o_.idle_limit) {
        orphaned = true;
        break;
      }
      std::this_thread::sleep_for(o_.poll);
    }
    poll_once();
    if (orphaned)
      out_.lines.push_back(
          "the CTest run that started this collector is gone: delivering what arrived, runs left open");
    return finish(clock_type::now() + flush_deadline);
  }

 private:
  bool all_gone() const {
    for (const auto& [path, f] : files_)
      if (!f.gone) return false;
    return true;
  }

  // One look at the spool: new journals, new lines, processes that ended. True if anything was new.
  bool poll_once() {
    bool news = false;
    for (const auto& path : find_journals(o_.spool)) {
      if (own_ && path == own_->path()) continue;
      if (files_.try_emplace(path, path).second) news = true;
    }
    for (auto& [path, f] : files_) {
      if (!f.gone) news = follow(f) || news;
    }
    return news;
  }

  void submit_new(followed& f) {
    const auto& results = f.reader.contents().results;
    for (; f.submitted < results.size(); ++f.submitted) {
      session_->submit(results[f.submitted]);
      ++out_.results;
    }
  }

  bool follow(followed& f) {
    const std::size_t before = f.offset;
    std::string error;
    if (!f.reader.read_from(f.path, f.offset, error)) {
      f.gone = true;  // removed by someone else (an upload): nothing more will come
      return true;
    }
    submit_new(f);
    if (f.offset != before) return true;
    // A journal is named only once it has its lock and header (journal::create), so a free lock
    // means the process ended; a file without a header is not one of ours.
    if (!f.reader.has_header()) return false;
    std::unique_ptr<journal> j = journal::open_existing(f.path, error);
    if (!j) return false;  // still running
    f.reader.read_from(f.path, f.offset, error);
    submit_new(f);
    journal_contents& c = f.reader.contents();
    // A process that died mid-test: as `gtest-tms upload` would report it, recorded in its journal
    // first so that an upload after a crash of the collector sends the same results (same ids).
    if (const std::string line = record_lost_with_process(*j, c); !line.empty()) {
      out_.lines.push_back(f.path + ": " + line);
      submit_new(f);
    }
    c.ended = true;
    j->close();
    f.gone = true;
    ++out_.processes;
    return true;
  }

  collector_outcome finish(clock_type::time_point deadline) {
    session_outcome done = session_->close(deadline);
    std::set<std::string> undelivered;
    for (const auto& e : done.entries)
      for (const auto& r : e.report.undelivered) undelivered.insert(r->id);
    // Journals whose every result is confirmed are not needed any more; the others keep what was
    // confirmed of them, so an upload needs nothing but them.
    bool everything_done = undelivered.empty();
    for (auto& [path, f] : files_) {
      if (!f.gone) {
        everything_done = false;
        out_.lines.push_back(path + " is still being written by a test process: what it adds stays there");
        continue;
      }
      std::string error;
      std::unique_ptr<journal> j = journal::open_existing(path, error);
      if (!j) continue;  // removed meanwhile
      std::vector<std::string_view> confirmed;
      for (const auto& r : f.reader.contents().results)
        if (undelivered.count(r->id) == 0) confirmed.emplace_back(r->id);
      if (confirmed.size() == f.reader.contents().results.size()) {
        j->remove();
      } else {
        for (const auto& sys : f.reader.contents().header.systems)
          if (const auto t = tms_from_tag(sys)) j->ack(*t, confirmed);
        j->close();
      }
    }
    if (own_) {
      if (everything_done)
        own_->remove();
      else
        own_->close();
    }
    for (auto& l : summary_lines(done.entries)) out_.lines.push_back(std::move(l));
    out_.lines.push_back("collected " + plural(out_.results, "result", "results") + " from " +
                         plural(files_.size(), "test process", "test processes"));
    if (!undelivered.empty())
      out_.lines.push_back(plural(undelivered.size(), "result was", "results were") + " not confirmed; they stay in " +
                           o_.spool);
    out_.ok = everything_done && !done.problems;
    return std::move(out_);
  }

  const collector_options& o_;
  collector_outcome out_;
  std::unique_ptr<journal> own_;  // declared before session_: outlives its io thread
  std::unique_ptr<session> session_;
  std::map<std::string, followed> files_;
};

}  // namespace

collector_outcome run_collector(const settings& s, const collector_options& o, const session_hooks& hooks) {
  collector_outcome out;
  file_lock lock;
  std::string error;
  // A test process asking whether a collector runs holds the lock for a moment: try a few times.
  file_lock::result got = file_lock::result::busy;
  for (int attempt = 0; attempt < 20 && got == file_lock::result::busy; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    got = lock.try_lock(spool_lock_path(o.spool), error);
  }
  switch (got) {
    case file_lock::result::busy:
      out.lines.push_back("another collector is running for " + o.spool + "; this one stops");
      return out;
    case file_lock::result::error:
      out.lines.push_back("cannot lock the spool: " + error);
      return out;
    case file_lock::result::locked:
      break;
  }
  settings gs = s;
  std::vector<tms> systems;
  for (const tms t : all_tms) {
    if (!configured(gs, t)) continue;
    if (!run_id_setting(gs, t)) {
      out.lines.push_back(std::string(display_name(t)) + ": no run id in the run file; not collected");
      continue;
    }
    finish_run_setting(gs, t) = false;  // `run complete` finishes the runs, once everything is in
    systems.push_back(t);
  }
  if (systems.empty()) {
    out.lines.push_back("no run to collect for");
    return out;
  }
  const bool system_skipped = !out.lines.empty();  // a configured system without a run id
  collector c(gs, o, std::move(systems), hooks);
  collector_outcome done = c.run(gs.common.flush_deadline);
  out.lines.insert(out.lines.end(), done.lines.begin(), done.lines.end());
  out.ok = done.ok && !system_skipped;
  out.results = done.results;
  out.processes = done.processes;
  return out;
}

}  // namespace gtest_tms::detail

// gtest-tms run create|complete: the run's life cycle as CI steps around several test binaries
// or shards, through the same delivery session a test binary uses.

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fstream>
#include <iterator>
#include <thread>

#include "cli/commands.hpp"
#include "collector/spool.hpp"
#include "config/config.hpp"
#include "config/system_settings.hpp"
#include "platform/file_lock.hpp"
#include "platform/process.hpp"
#include "storage/journal.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

namespace {

// Runs every configured system's session without results: start (create or join the run), then
// finish (complete/close it or not, as `s` says).
std::vector<backend_report> run_sessions(const settings& s, const std::vector<tms>& systems, const run_plan& plan,
                                         const session_hooks& hooks) {
  session_options options;
  options.systems = systems;
  options.hooks = hooks;
  session sess(s, std::move(options));
  sess.open(plan);
  session_outcome out = sess.close(std::chrono::steady_clock::now() + s.common.flush_deadline);
  std::vector<backend_report> reports;
  for (auto& e : out.entries) reports.push_back(std::move(e.report));
  return reports;
}

std::string neither_configured(const char* what) {
  return std::string(what) + ": neither Qase (" + std::string(traits(tms::qase).how_to_configure) +
         ") nor QA Sphere (" + std::string(traits(tms::qasphere).how_to_configure) + ") is configured";
}

void set_run_id(ci_outcome& out, tms system, std::int64_t id) {
  (system == tms::qase ? out.qase_run_id : out.qasphere_run_id) = id;
}

}  // namespace

env_lookup with_run_file_path(env_lookup base, std::string run_file) {
  return
      [base = std::move(base), run_file = std::move(run_file)](const std::string& key) -> std::optional<std::string> {
        if (key == "GTEST_TMS_RUN_FILE") return run_file;
        return base(key);
      };
}

env_lookup ci_env(env_lookup base) {
  return [base = std::move(base)](const std::string& name) -> std::optional<std::string> {
    std::optional<std::string> v = base ? base(name) : std::nullopt;
    if (name == "QASE_MODE" && v && iequals(trim(*v), "report")) return std::string("testops");
    return v;
  };
}

ci_outcome create_runs(const settings& s, const run_plan& plan, const session_hooks& hooks) {
  ci_outcome out;
  settings gs = s;
  std::vector<tms> systems;
  for (const tms t : all_tms) {
    if (!configured(gs, t)) continue;
    finish_run_setting(gs, t) = false;  // the run stays open for the test binaries that report into it
    systems.push_back(t);
  }
  if (systems.empty()) {
    out.usage_error = true;
    out.lines.push_back(neither_configured("nothing to create"));
    return out;
  }
  out.ok = true;
  for (const backend_report& r : run_sessions(gs, systems, plan, hooks)) {
    if (!r.start_error.empty() || r.run_id <= 0) {
      out.ok = false;
      out.lines.push_back(r.name + ": no run: " + (r.start_error.empty() ? "the run id is unknown" : r.start_error));
      continue;
    }
    const bool joined = run_id_setting(s, r.system).has_value();
    set_run_id(out, r.system, r.run_id);
    out.lines.push_back(r.name + ": run " + std::to_string(r.run_id) + (joined ? " exists (joined)" : " created") +
                        (r.link.empty() ? "" : ": " + r.link));
    for (const auto& w : r.run_warnings) out.lines.push_back(r.name + ": " + w);
  }
  return out;
}

ci_outcome complete_runs(const settings& s, const run_plan& plan, const session_hooks& hooks) {
  ci_outcome out;
  settings gs = s;
  std::vector<tms> systems;
  bool usage_error = false;
  for (const tms t : all_tms) {
    if (!configured(gs, t)) continue;
    const std::string name(display_name(t));
    finish_run_setting(gs, t) = true;
    if (!run_id_setting(gs, t)) {
      out.lines.push_back(name + ": " + std::string(traits(t).run_id_variable) + " is not set: no run to " +
                          std::string(traits(t).finish_verb));
      usage_error = true;
    } else if (t == tms::qasphere && gs.qasphere.project.empty() && plan.tests.empty()) {
      out.lines.push_back(name + ": set QAS_PROJECT_CODE (or pass --tests-from) so the run's project is known");
      usage_error = true;
    } else {
      systems.push_back(t);
    }
  }
  if (usage_error) {
    out.usage_error = true;
    return out;  // all or nothing: a second call after fixing the settings must not meet half-done runs
  }
  if (systems.empty()) {
    out.lines.push_back(neither_configured("nothing to complete"));
    out.usage_error = true;
    return out;
  }
  out.ok = true;
  for (const backend_report& r : run_sessions(gs, systems, plan, hooks)) {
    if (!r.start_error.empty()) {
      out.ok = false;
      out.lines.push_back(r.name + ": " + r.start_error);
      continue;
    }
    if (!r.run_finished) out.ok = false;
    set_run_id(out, r.system, r.run_id);
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

namespace cli {

namespace {

constexpr std::chrono::seconds list_timeout{60};
constexpr std::size_t list_output_cap = std::size_t{64} * 1024 * 1024;

void run_usage(std::FILE* out) {
  std::fputs(
      "usage: gtest-tms run create [--env-file FILE] [--run-file FILE [--collect]] [--tests-from GTEST_BINARY]...\n"
      "                            [--best-effort]\n"
      "       gtest-tms run complete [--run-file FILE] [--tests-from GTEST_BINARY]... [--best-effort]\n"
      "\n"
      "create    creates the Qase and/or QA Sphere run (configured as for the test binaries) and prints\n"
      "          QASE_TESTOPS_RUN_ID=<id> / QAS_RUN_ID=<id> on stdout (and appends them to --env-file,\n"
      "          e.g. \"$GITHUB_ENV\"); test binaries started with those variables report into the run.\n"
      "          QA Sphere needs the tests (their markers pick the run's cases): --tests-from runs the\n"
      "          binary with --gtest_list_tests (honouring GTEST_FILTER).\n"
      "complete  completes the Qase run QASE_TESTOPS_RUN_ID and closes the QA Sphere run QAS_RUN_ID\n"
      "          (QA Sphere also needs QAS_PROJECT_CODE or --tests-from for the project).\n"
      "--run-file  create writes the run ids to FILE (replacing it; empty when nothing was created);\n"
      "          complete reads them from it. Test processes given GTEST_TMS_RUN_FILE=FILE join that run\n"
      "          (this is how gtest_tms_discover_tests shares one run among CTest's processes).\n"
      "--collect (create, with --run-file) also starts one background collector for the test processes\n"
      "          that join through the run file: they write their results into FILE.spool and send nothing;\n"
      "          the collector delivers them for all processes, within the account's rate limit. complete\n"
      "          then waits for it, sends what it could not, and completes the run only when all is in.\n"
      "--best-effort  a reporting failure is printed but exits 0 (unless GTEST_TMS_STRICT=true), so a\n"
      "          CI or CTest fixture step never fails the tests because the TMS is unreachable.\n"
      "Exit code: 0 done, 1 failed, 2 usage or missing settings (nothing was changed).\n",
      out);
}

// Runs `binary --gtest_list_tests` (bounded in time) and returns its standard output.
bool list_tests(const std::string& binary, std::string& output, std::string& error) {
  return run_and_capture(binary, "--gtest_list_tests", list_timeout, list_output_cap, output, error);
}

std::string spool_for(const std::string& run_file) { return run_file + ".spool"; }

void say(const std::string& line) { std::fprintf(stderr, "gtest-tms: %s\n", line.c_str()); }

// A spool an earlier CTest run left (its collector was killed): moved aside, never mixed into this run.
void set_aside(const std::string& spool) {
  std::error_code ec;
  if (!std::filesystem::exists(spool, ec)) return;
  if (find_journals(spool).empty()) {
    std::filesystem::remove_all(spool, ec);
    return;
  }
  const std::string aside = spool + ".left-" + std::to_string(now_epoch_ms());
  std::filesystem::rename(spool, aside, ec);
  if (ec) {
    say("cannot move the earlier spool " + spool + " aside (" + ec.message() + ")");
    return;
  }
  say("an earlier CTest run left results in " + aside + "; send them with: gtest-tms upload " + aside);
}

// Starts `gtest-tms collect` for the spool and waits (at most 5 s) until it holds the spool's lock.
bool start_collector(const std::string& run_file, const std::string& spool, const run_plan& plan, std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(spool, ec);
  if (ec) {
    error = "cannot create " + spool + ": " + ec.message();
    return false;
  }
  std::string tests;  // as --gtest_list_tests prints them, for QA Sphere's markers
  std::string suite;
  for (const auto& t : plan.tests) {
    if (t.suite != suite) tests += (suite = t.suite) + ".\n";
    tests += "  " + t.name + "\n";
  }
  if (std::ofstream f(spool_tests_path(spool), std::ios::binary | std::ios::trunc); !(f << tests)) {
    error = "cannot write " + spool_tests_path(spool);
    return false;
  }
  const std::string self = current_executable_path();
  if (self.empty()) {
    error = "cannot tell where this gtest-tms is, to start its collector";
    return false;
  }
  std::int64_t pid = 0;
  const std::vector<std::string> args{
      "collect", "--spool", spool, "--run-file", run_file, "--watch-pid", std::to_string(parent_pid())};
  if (!spawn_detached(self, args, spool_log_path(spool), pid, error)) return false;
  for (int i = 0; i < 250; ++i) {
    if (collector_running(spool)) return true;
    if (!process_alive(pid) && i > 5) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  error = "the collector did not start (see " + spool_log_path(spool) + ")";
  return false;
}

// run complete under a collector: asks it to stop, waits for it, then sends what it did not.
// True when every result is confirmed and no test process is still writing: the run may be completed.
bool drain_spool(const settings& s, const std::string& spool) {
  std::error_code ec;
  if (!std::filesystem::is_directory(spool, ec)) return true;
  { std::ofstream(spool_drain_path(spool)) << "drain\n"; }
  file_lock lock;
  std::string error;
  const auto until = std::chrono::steady_clock::now() + s.common.flush_deadline + std::chrono::seconds(15);
  file_lock::result got = file_lock::result::busy;
  while ((got = lock.try_lock(spool_lock_path(spool), error)) == file_lock::result::busy &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (got == file_lock::result::busy) {
    say("the collector did not finish in time; the run is left open (send the rest later with: gtest-tms upload " +
        spool + ")");
    return false;
  }
  if (std::ifstream in(spool_summary_path(spool), std::ios::binary); in) {
    std::string line;
    while (std::getline(in, line))
      if (!line.empty()) say("collector: " + line);
  } else {
    say("the collector ended without a summary (it was killed?): sending what it left");
  }
  // What the collector could not deliver (or all of it, if it died), through the usual upload.
  if (!find_journals(spool).empty()) {
    settings us = s;
    for (const tms t : all_tms) finish_run_setting(us, t) = false;  // completed below, once
    const ci_outcome up = upload_results(spool, us);
    for (const auto& line : up.lines)
      if (line.rfind("nothing to send", 0) != 0) say(line);
    if (up.live > 0) {
      say("a test process is still writing into " + spool + "; the run is left open");
      return false;
    }
    if (!up.ok) {
      say("some results are not confirmed; the run is left open (retry with: gtest-tms upload " + spool + ")");
      return false;
    }
  }
  for (const std::string& file : {spool_log_path(spool), spool_tests_path(spool), spool_drain_path(spool),
                                  spool_summary_path(spool), upload_lock_path(spool), spool_lock_path(spool)})
    std::filesystem::remove(file, ec);
  remove_abandoned_journal_files(spool);
  std::filesystem::remove(spool, ec);  // only when empty
  return true;
}

bool append_env_file(const std::string& file, const std::string& text, std::string& error) {
  std::FILE* f = std::fopen(file.c_str(), "a");
  if (f == nullptr) {
    error = "cannot open " + file + ": " + std::generic_category().message(errno);
    return false;
  }
  const bool ok = std::fputs(text.c_str(), f) >= 0;
  if (std::fclose(f) != 0 || !ok) {
    error = "cannot write " + file + ": " + std::generic_category().message(errno);
    return false;
  }
  return true;
}

}  // namespace

int run_command(int argc, char** argv) {
  if (argc < 2) {
    run_usage(stderr);
    return 2;
  }
  const std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    run_usage(stdout);
    return 0;
  }
  if (sub != "create" && sub != "complete") {
    std::fprintf(stderr, "gtest-tms run: unknown sub-command '%s' (create or complete)\n", argv[1]);
    return 2;
  }
  const bool create = sub == "create";
  std::string env_file, run_file;
  std::vector<std::string> binaries;
  bool best_effort = false;
  bool collect = false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      run_usage(stdout);
      return 0;
    }
    if (a == "--best-effort") {
      best_effort = true;
      continue;
    }
    if (a == "--collect" && create) {
      collect = true;
      continue;
    }
    std::string* target = nullptr;
    std::string tests_from;
    std::string_view name = a;
    std::string value;
    bool has_value = false;
    if (const auto eq = a.find('='); eq != std::string_view::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      value = std::string(a.substr(eq + 1));
      has_value = true;
    }
    if (name == "--env-file" && create) target = &env_file;
    if (name == "--run-file") target = &run_file;
    if (name == "--tests-from") target = &tests_from;
    if (target == nullptr) {
      std::fprintf(stderr, "gtest-tms run %s: unknown option '%s'\n", argv[1], argv[i]);
      run_usage(stderr);
      return 2;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gtest-tms run %s: %s needs a value\n", argv[1], argv[i]);
        return 2;
      }
      value = argv[++i];
    }
    if (value.empty()) {
      std::fprintf(stderr, "gtest-tms run %s: %.*s needs a non-empty value\n", argv[1], static_cast<int>(name.size()),
                   name.data());
      return 2;
    }
    *target = value;
    if (target == &tests_from) binaries.push_back(std::move(tests_from));
  }

  if (collect && run_file.empty()) {
    std::fprintf(stderr, "gtest-tms run create: --collect needs --run-file\n");
    return 2;
  }
  return run_guarded("run", [&] {
    if (collect && collector_running(spool_for(run_file))) {
      // Its test processes read the run file: replacing it now would mix two CTest runs' results.
      say("another CTest run is reporting from this build tree (its collector holds " + spool_for(run_file) +
          "); wait for it to finish");
      return 1;
    }
    if (collect) set_aside(spool_for(run_file));
    env_lookup env = process_env();
    // complete: the run ids come from the run file, exactly as the test processes got them.
    if (!create && !run_file.empty()) env = with_run_file_path(env, run_file);
    const settings s = load_command_settings(env);

    run_plan plan;
    for (const auto& tests_from : binaries) {
      std::string output, error;
      if (!list_tests(tests_from, output, error)) {
        std::fprintf(stderr, "gtest-tms: %s\n", error.c_str());
        return best_effort ? 0 : 1;
      }
      auto tests = parse_gtest_list(output);
      if (tests.empty()) std::fprintf(stderr, "gtest-tms: %s lists no tests\n", tests_from.c_str());
      plan.tests.insert(plan.tests.end(), tests.begin(), tests.end());
      const auto slash = tests_from.find_last_of('/');
      if (plan.binary_name.empty())
        plan.binary_name = slash == std::string::npos ? tests_from : tests_from.substr(slash + 1);
    }

    if (!create && !s.common.spool_dir.empty() && !drain_spool(s, s.common.spool_dir)) {
      return best_effort && !s.common.strict ? 0 : 1;
    }
    const ci_outcome out = create ? create_runs(s, plan) : complete_runs(s, plan);
    for (const auto& line : out.lines) std::fprintf(stderr, "gtest-tms: %s\n", line.c_str());
    if (create) {
      std::string vars;
      if (out.qase_run_id > 0) vars += "QASE_TESTOPS_RUN_ID=" + std::to_string(out.qase_run_id) + "\n";
      if (out.qasphere_run_id > 0) vars += "QAS_RUN_ID=" + std::to_string(out.qasphere_run_id) + "\n";
      std::fputs(vars.c_str(), stdout);
      std::fflush(stdout);
      if (!env_file.empty() && !vars.empty()) {
        std::string error;
        if (!append_env_file(env_file, vars, error)) {
          std::fprintf(stderr, "gtest-tms: %s\n", error.c_str());
          return 1;
        }
      }
      if (!run_file.empty()) {
        // Replaced, never appended: a stale id from an earlier ctest run must not be joined.
        std::error_code ec;
        std::filesystem::remove(run_file, ec);
        std::string error;
        // The runs were checked just now: processes joining them through the file skip that.
        std::string verified;
        if (out.qase_run_id > 0) verified += "qase:" + std::to_string(out.qase_run_id);
        if (out.qasphere_run_id > 0)
          verified += (verified.empty() ? "" : ",") + std::string("qasphere:") + std::to_string(out.qasphere_run_id);
        if (!append_env_file(run_file,
                             vars + (out.ok && !verified.empty() ? "GTEST_TMS_VERIFIED_RUNS=" + verified + "\n" : ""),
                             error)) {
          std::fprintf(stderr, "gtest-tms: %s\n", error.c_str());
          return best_effort && !s.common.strict ? 0 : 1;
        }
        // Written last: a test process that sees the spool finds its collector running.
        if (collect && out.ok && !vars.empty()) {
          const std::string spool = spool_for(run_file);
          if (start_collector(run_file, spool, plan, error)) {
            if (!append_env_file(run_file, "GTEST_TMS_SPOOL=" + spool + "\n", error)) say(error);
          } else {
            say(error + "; the test processes will send their results themselves");
          }
        }
      }
    }
    if (!out.ok && best_effort && !s.common.strict) {
      std::fprintf(stderr, "gtest-tms: run %s did not succeed; continuing (--best-effort)\n", argv[1]);
      return 0;
    }
    return out.ok ? 0 : (out.usage_error ? 2 : 1);
  });
}

}  // namespace cli

}  // namespace gtest_tms::detail

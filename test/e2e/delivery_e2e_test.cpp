// Delivery guarantees (issue 4): under injected 429/5xx, resets, hangs, oversized batches and
// crashes, every result reaches the TMS exactly once, directly or via the fallback report / crash
// journal and `gtest-tms upload`, and the binary stays within its teardown deadline.
// Each test prints one table line per scenario ("DELIVERY | ..."); bench/README.md keeps them.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <map>
#include <set>

#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

using env_map = std::map<std::string, std::optional<std::string>>;

constexpr int deadline_s = 10;
constexpr int slack_s = 15;
constexpr std::size_t all_tests = 5000;

process_result run_upload(env_map env, const std::string& dir) {
  process_options po;
  po.env = std::move(env);
  po.args = {"upload", dir};
  po.timeout = 180s;
  return run_process(GTEST_TMS_CLI, po);
}

struct stored_counts {
  std::size_t stored = 0;      // results the server kept (deduplicated by id)
  std::size_t unique = 0;      // distinct suite.title among them
  std::size_t duplicated = 0;  // stored results beyond the first of their suite.title
};

stored_counts count_stored(emulator_fixture& emu, std::int64_t run_id) {
  stored_counts c;
  std::map<std::string, int> seen;
  for (const auto& r : emu.tms().qase_results(run_id)) ++seen[qase_suite_title(r)];
  for (const auto& [k, n] : seen) {
    c.stored += static_cast<std::size_t>(n);
    c.duplicated += static_cast<std::size_t>(n - 1);
  }
  c.unique = seen.size();
  return c;
}

bool is_results_post(const emulator::recorded_request& q) {
  return q.method == "POST" && q.path.size() > 8 && q.path.substr(q.path.size() - 8) == "/results";
}

// Results carried by bulk POSTs the server accepted (202), and how many distinct ids they had.
std::pair<std::size_t, std::size_t> accepted_items(const std::vector<emulator::recorded_request>& log) {
  std::size_t items = 0;
  std::set<std::string> ids;
  for (const auto& q : log) {
    if (!is_results_post(q) || q.status != 202 || !q.body.is_object()) continue;
    for (const auto& r : q.body.at("results").as_array()) {
      ++items;
      ids.insert(json::serialize(r.at("id")));
    }
  }
  return {items, ids.size()};
}

std::size_t count_results_posts(const std::vector<emulator::recorded_request>& log) {
  std::size_t n = 0;
  for (const auto& q : log) n += is_results_post(q) ? 1 : 0;
  return n;
}

// results/*.json directly in a report directory (uploaded ones move to <dir>/uploaded/).
std::size_t report_files(const std::string& report_dir) {
  std::size_t n = 0;
  const std::string prefix = report_dir + "/results/";
  for (const auto& f : list_files(report_dir))
    if (f.rfind(prefix, 0) == 0 && f.size() > 5 && f.substr(f.size() - 5) == ".json" &&
        f.find('/', prefix.size()) == std::string::npos)
      ++n;
  return n;
}

void table_line(const std::string& scenario, std::size_t stored, std::size_t on_disk, std::size_t duplicated,
                std::chrono::milliseconds elapsed) {
  std::printf("DELIVERY | %s | %zu | %zu | %zu | %.1f\n", scenario.c_str(), stored, on_disk, duplicated,
              static_cast<double>(elapsed.count()) / 1000.0);
  std::fflush(stdout);
}

env_map fallback_env(const emulator_fixture& emu) {
  auto env = emu.qase_env();
  env["QASE_FALLBACK"] = "report";
  env["GTEST_TMS_DEADLINE"] = std::to_string(deadline_s);
  return env;
}

TEST(DeliveryEndToEnd, TransientFaultsStoreEveryResultExactlyOnce) {
  emulator_fixture emu(
      emulator_fixture::with_faults("POST /v2/.*/results#1=429:retry-after=1;POST /v2/.*/results#2=503;"
                                    "POST /v2/.*/results#3=reset_after_read;POST /v1/run/[A-Z]+#1=502"));
  const auto env = fallback_env(emu);
  const process_result r = run_fixture("fixture_5000", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;  // the 502 on creation was retried, not doubled
  EXPECT_TRUE(runs[0].completed) << r.err;
  EXPECT_EQ(runs[0].complete_count, 1);
  const stored_counts c = count_stored(emu, runs[0].id);
  EXPECT_EQ(c.stored, all_tests) << r.err;
  EXPECT_EQ(c.unique, all_tests);
  EXPECT_EQ(c.duplicated, 0u);
  const auto log = emu.tms().requests();
  const auto [items, ids] = accepted_items(log);
  EXPECT_GE(items, all_tests);  // the accepted POSTs cover every result...
  EXPECT_EQ(ids, all_tests);    // ...each id at least once
  // Every injected fault was really met.
  int injected = 0;
  for (const auto& q : log) injected += q.injected ? 1 : 0;
  EXPECT_EQ(injected, 4);
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const std::size_t on_disk = report_files(report_dir);
  EXPECT_EQ(on_disk, 0u);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  table_line("429+Retry-After, 503, reset after read, 502 on run creation", c.stored, on_disk, c.duplicated, r.elapsed);
}

// The worst case of a fast suite (reliability item 13): more batches than the account's rate limit
// lets go before the deadline. One result per request turns 5,000 tests into 5,000 requests, while
// Qase's 120 + 8/s allows about 136 in 2 s. The summary says how many are still queued, why, how long
// the limit needs, and the command that sends them; one upload then stores each exactly once.
// A machine too busy to make 8 requests/s never meets our own limit (CI under ASan made 75 in 7 s
// and the summary rightly did not blame the limit), so the server also asks for a 60 s break early
// on: the limit then holds the backlog back on any machine.
TEST(DeliveryEndToEnd, ARateLimitedBacklogAtTheDeadlineSaysWhyHowLongAndHowToSendIt) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#3=429:retry-after=60"));
  auto env = fallback_env(emu);
  env["QASE_TESTOPS_BATCH_SIZE"] = "1";
  env["GTEST_TMS_DEADLINE"] = "2";
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture("fixture_5000", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.elapsed, std::chrono::seconds(2 + slack_s));
  const std::string why =
      "results were still queued when the deadline (GTEST_TMS_DEADLINE) passed: the rate limit "
      "(8 requests/s) needs about ";
  const std::size_t at = r.err.find(why);
  ASSERT_NE(at, std::string::npos) << r.err;
  // The break the server asked for is part of how long: what is left of the 60 s once the tests
  // ran (seconds under ASan on a busy machine) and the 2 s deadline passed.
  EXPECT_GE(std::stoi(r.err.substr(at + why.size())), 30) << r.err;
  EXPECT_NE(r.err.find("(send them with: gtest-tms upload " + report_dir + ")"), std::string::npos) << r.err;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed) << r.err;
  const std::size_t stored_live = emu.tms().qase_results(runs[0].id).size();
  const std::size_t on_disk = report_files(report_dir);
  EXPECT_GT(on_disk, all_tests / 2) << r.err;
  EXPECT_GE(stored_live + on_disk, all_tests) << r.err;  // batches in flight at the deadline may be both
  table_line("rate limit at the deadline (batch size 1, deadline 2 s)", stored_live, on_disk, 0, r.elapsed);

  const process_result u = run_upload(emu.qase_env(), report_dir);  // 200 per request again
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const stored_counts c = count_stored(emu, runs[0].id);
  EXPECT_EQ(c.stored, all_tests) << u.out << u.err;
  EXPECT_EQ(c.unique, all_tests);
  EXPECT_EQ(c.duplicated, 0u);
  const auto after = emu.tms().qase_runs();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(after[0].completed) << u.out;
  EXPECT_EQ(after[0].complete_count, 1) << u.out;
  table_line("  then gtest-tms upload <report dir>", c.stored, report_files(report_dir), c.duplicated, u.elapsed);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(DeliveryEndToEnd, ServerErrorsOnEveryUploadEndInTheFallbackAndUploadSendsThemOnce) {
  // 500 to the first 400 result POSTs: far more than the binary makes (4 batches in flight, 3
  // retries each); the test uses up the rest below so that the later upload meets a healthy server.
  constexpr std::uint64_t failing = 400;
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1.." + std::to_string(failing) + "=500"));
  const auto env = fallback_env(emu);
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture("fixture_5000", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.elapsed, std::chrono::seconds(deadline_s + slack_s));

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed);
  EXPECT_EQ(runs[0].complete_count, 0);
  EXPECT_EQ(emu.tms().qase_results(runs[0].id).size(), 0u);
  const std::size_t on_disk = report_files(report_dir);
  EXPECT_EQ(on_disk, all_tests) << r.err;
  const std::size_t binary_posts = count_results_posts(emu.tms().requests());
  ASSERT_LT(binary_posts, failing) << "the binary kept retrying: raise `failing`";
  table_line("500 on every results upload (deadline 10 s)", 0, on_disk, 0, r.elapsed);

  // Use up the remaining 500s without touching any run.
  for (std::uint64_t i = binary_posts; i < failing; ++i) {
    server_request burn;
    burn.method = "POST";
    burn.target = "/v2/BURN/run/1/results";
    const auto reply = emu.tms().handle(burn);
    ASSERT_EQ(reply.status, 500);
  }

  auto upload_env = emu.qase_env();
  upload_env["QASE_TESTOPS_RUN_ID"] = std::to_string(runs[0].id);
  const process_result u = run_upload(upload_env, report_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const stored_counts c = count_stored(emu, runs[0].id);
  EXPECT_EQ(c.stored, all_tests) << u.out << u.err;
  EXPECT_EQ(c.unique, all_tests);
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_EQ(report_files(report_dir), 0u);  // moved to uploaded/
  table_line("  then gtest-tms upload <report dir>", c.stored, report_files(report_dir), c.duplicated, u.elapsed);

  // A second upload sends nothing.
  const std::size_t posts_before = count_results_posts(emu.tms().requests());
  const process_result again = run_upload(upload_env, report_dir);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_results_posts(emu.tms().requests()), posts_before) << again.out;
  EXPECT_EQ(count_stored(emu, runs[0].id).stored, all_tests);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
  EXPECT_TRUE(no_secret_in(u, emu.dir()));
  table_line("  second upload", count_stored(emu, runs[0].id).stored, report_files(report_dir), 0, again.elapsed);
}

TEST(DeliveryEndToEnd, AHangingServerDoesNotHoldTheBinaryPastTheDeadline) {
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results=hang"));
  const auto env = fallback_env(emu);
  const std::string report_dir = *env.at("QASE_REPORT_CONNECTION_PATH");
  const process_result r = run_fixture("fixture_5000", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(r.elapsed, std::chrono::seconds(deadline_s + slack_s)) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_FALSE(runs[0].completed);
  // A hung request was processed but never confirmed: such results are both stored and on disk
  // (an upload resends them with the same ids, which the server ignores). Nothing is lost.
  const stored_counts c = count_stored(emu, runs[0].id);
  const std::size_t on_disk = report_files(report_dir);
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_EQ(on_disk, all_tests) << r.err;
  table_line("hang on every results upload (deadline 10 s)", c.stored, on_disk, c.duplicated, r.elapsed);
}

void crash_delivers_finished_results(const std::string& how) {
  SCOPED_TRACE(how);
  emulator_fixture emu;
  auto env = emu.qase_env();
  env["FIXTURE_CRASH"] = how;
  const std::string journal_dir = *env.at("GTEST_TMS_JOURNAL_DIR");
  const process_result r = run_fixture("fixture_crash", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  if (how == "exit") {
    EXPECT_EQ(r.exit_code, 7) << r.err;
  } else {
    // A sanitizer's own handler turns the signal into an exit code (ASan aborts, TSan exits 66).
    EXPECT_TRUE(r.signal != 0 || r.exit_code != 0) << r.err;
  }
  // The crash may come before the run is created; then the upload creates it.
  std::size_t direct = 0;
  for (const auto& run : emu.tms().qase_runs()) direct += count_stored(emu, run.id).stored;

  const process_result u = run_upload(emu.qase_env(), journal_dir);
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err << u.out << u.err;
  const stored_counts c = count_stored(emu, runs[0].id);
  std::set<std::string> titles;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) titles.insert(std::string(res.at("title").as_string()));
  // The two finished ones, the crashed one (failed, cause named) and the one never run (blocked).
  EXPECT_EQ(titles, (std::set<std::string>{"A_First", "B_Second", "C_Third", "D_Fourth"})) << r.err << u.out << u.err;
  EXPECT_EQ(c.stored, 4u);
  EXPECT_EQ(c.duplicated, 0u);
  // "on disk": results that only the journal held after the crash.
  table_line("crash (" + how + ") in test 3 of 4, then upload <journal>", c.stored, c.stored - direct, c.duplicated,
             r.elapsed);

  const std::size_t posts_before = count_results_posts(emu.tms().requests());
  const process_result again = run_upload(emu.qase_env(), journal_dir);
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(count_results_posts(emu.tms().requests()), posts_before) << again.out;
  EXPECT_EQ(count_stored(emu, runs[0].id).stored, 4u);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(DeliveryEndToEnd, SegfaultInTheThirdTestDeliversTheTwoFinishedResultsOnce) {
  crash_delivers_finished_results("segv");
}

TEST(DeliveryEndToEnd, AbortInTheThirdTestDeliversTheTwoFinishedResultsOnce) {
  crash_delivers_finished_results("abort");
}

TEST(DeliveryEndToEnd, ExitInTheThirdTestDeliversTheTwoFinishedResultsOnce) { crash_delivers_finished_results("exit"); }

void refused_batch_is_split_and_delivered(int status) {
  SCOPED_TRACE(status);
  emulator_fixture emu(emulator_fixture::with_faults("POST /v2/.*/results#1=" + std::to_string(status)));
  const auto env = fallback_env(emu);
  const process_result r = run_fixture("fixture_5000", env, {}, 240s);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs[0].complete_count, 1) << r.err;
  const stored_counts c = count_stored(emu, runs[0].id);
  EXPECT_EQ(c.stored, all_tests) << r.err;
  EXPECT_EQ(c.unique, all_tests);
  EXPECT_EQ(c.duplicated, 0u);
  // The refused batch came back as two halves.
  const auto log = emu.tms().requests();
  std::size_t refused = 0;
  for (const auto& q : log)
    if (is_results_post(q) && q.status == status) refused = q.body.at("results").as_array().size();
  ASSERT_GT(refused, 1u);
  std::size_t halves = 0;
  for (const auto& q : log)
    if (is_results_post(q) && q.status == 202 && q.body.at("results").as_array().size() * 2 >= refused &&
        q.body.at("results").as_array().size() <= (refused + 1) / 2)
      ++halves;
  EXPECT_GE(halves, 2u);
  const std::size_t on_disk = report_files(*env.at("QASE_REPORT_CONNECTION_PATH"));
  EXPECT_EQ(on_disk, 0u);
  table_line(std::to_string(status) + " for one batch (split in two)", c.stored, on_disk, c.duplicated, r.elapsed);
}

TEST(DeliveryEndToEnd, ABatchTooLargeIsSplitAndDelivered) { refused_batch_is_split_and_delivered(413); }

// A 422 refuses the whole batch for what may be one bad result; bisecting isolates it. The
// emulator cannot poison a single result by content, so this checks the split path for 422.
TEST(DeliveryEndToEnd, ABatchRefusedWith422IsSplitAndDelivered) { refused_batch_is_split_and_delivered(422); }

}  // namespace
}  // namespace gtest_tms::detail::testing_support

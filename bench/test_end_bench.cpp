// The cost on the test thread of one test: building the record from gtest's TestInfo, the crash
// journal's "started" line and result line, and the hand-off to the pipeline (the io thread does
// everything else). Budget: 1 us CPU per passing test (BM_test_thread_per_passing_test).
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "config/config.hpp"
#include "delivery/pipeline.hpp"
#include "delivery/session.hpp"
#include "listener/listener.hpp"
#include "loop_transport.hpp"
#include "tms/qase/qase_backend.hpp"

namespace {

using namespace gtest_tms::detail;

// A realistic finished test to read from: a parameterized test with a property.
class Sample : public ::testing::TestWithParam<int> {};
TEST_P(Sample, Works) {
  RecordProperty("qase_id", "12,13");
  EXPECT_GE(GetParam(), 0);
}
INSTANTIATE_TEST_SUITE_P(Values, Sample, ::testing::Values(42));

const ::testing::TestInfo* finished_test() {
  static const ::testing::TestInfo* info = [] {
    int argc = 1;
    char arg0[] = "bench";
    char* argv[] = {arg0, nullptr};
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::FLAGS_gtest_filter = "Values/Sample.*";
    delete ::testing::UnitTest::GetInstance()->listeners().Release(
        ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
    if (RUN_ALL_TESTS() != 0) std::abort();
    const auto* suite = ::testing::UnitTest::GetInstance()->GetTestSuite(0);
    return suite->GetTestInfo(0);
  }();
  return info;
}

void BM_make_test_result(benchmark::State& state) {
  const auto* info = finished_test();
  for (auto _ : state) {
    auto r = make_test_result(*info, 0);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_make_test_result);

// The whole end-of-test path as OnTestEnd runs it, with the Qase backend behind the pipeline, in
// runs of 5,000 tests (one pipeline per run, as a test binary has). One pipeline fed millions of
// results per second would only measure an ever-growing backlog behind the rate limit.
void BM_end_of_test_path(benchmark::State& state) {
  const auto* info = finished_test();
  const auto answer = [](const http_request&) { return testing_support::json_response(202, R"({"status":true})"); };
  qase_settings qs;
  qs.mode = qase_mode::testops;
  qs.token = "bench";
  qs.project = "DEMO";
  qs.api_base = "https://127.0.0.1:1";
  qs.run_id = 1;
  constexpr int tests_per_run = 5000;
  std::unique_ptr<testing_support::loop_transport> tr;  // finish() stops its transport: one per run
  std::unique_ptr<pipeline> p;
  int in_run = tests_per_run;
  for (auto _ : state) {
    if (in_run == tests_per_run) {
      state.PauseTiming();  // the run's end and the next start are not the test thread's per-test cost
      if (p) (void)p->finish(std::chrono::steady_clock::now() + std::chrono::seconds(30));
      p.reset();
      tr = std::make_unique<testing_support::loop_transport>(answer);
      std::vector<std::unique_ptr<backend>> bs;
      bs.push_back(make_qase_backend(qs, common_settings{}));
      p = std::make_unique<pipeline>(*tr, std::move(bs), pipeline_options{});
      p->start(run_plan{});
      in_run = 0;
      state.ResumeTiming();
    }
    auto r = std::make_shared<test_result>();  // as OnTestEnd does
    fill_test_result(*info, 0, *r);
    p->submit(std::move(r));
    ++in_run;
  }
  if (p) (void)p->finish(std::chrono::steady_clock::now() + std::chrono::seconds(30));  // after the timed loop
}
BENCHMARK(BM_end_of_test_path);

// Everything OnTestStart and OnTestEnd make the test thread do, through the real session: the
// journal's "started" line, the record, its journal line and the hand-off to the pipeline, in runs
// of 5,000 tests (session open and close are outside the timing).
void BM_test_thread_per_passing_test(benchmark::State& state) {
  const auto* info = finished_test();
  char tmpl[] = "/tmp/gtest-tms-bench-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  if (dir == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  settings st;
  st.qase.mode = qase_mode::testops;
  st.qase.token = "bench";
  st.qase.project = "DEMO";
  st.qase.api_base = "https://127.0.0.1:1";
  st.qase.run_id = 1;
  st.common.journal_dir = dir;
  session_options so;
  so.journal = std::getenv("BENCH_NO_JOURNAL") == nullptr;
  so.hooks.make_transport = [](const transport_options&) -> std::unique_ptr<transport> {
    return std::make_unique<testing_support::loop_transport>(
        [](const http_request&) { return testing_support::json_response(202, R"({"status":true})"); });
  };
  constexpr std::uint32_t tests_per_run = 5000;
  std::unique_ptr<session> s;
  std::uint32_t in_run = tests_per_run;
  const auto close = [&s] {
    if (s) (void)s->close(std::chrono::steady_clock::now() + std::chrono::seconds(30));
    s.reset();
  };
  for (auto _ : state) {
    if (in_run == tests_per_run) {
      state.PauseTiming();
      close();
      s = std::make_unique<session>(st, so);
      run_plan plan;  // 5,000 instances of the sample test, as the listener plans them
      planned_test t{info->test_suite_name(), info->name(), false, info->file(), info->line(), info->value_param(), {}};
      plan.tests.assign(tests_per_run, t);
      s->open(plan);
      in_run = 0;
      state.ResumeTiming();
    }
    s->test_started(in_run, 0);
    auto r = s->new_result();  // as OnTestEnd does
    fill_test_result(*info, 0, *r);
    s->submit(std::move(r), in_run);
    ++in_run;
  }
  close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_test_thread_per_passing_test);

}  // namespace

BENCHMARK_MAIN();

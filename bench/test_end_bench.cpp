// The cost on the test thread of one finished test: building the record from gtest's TestInfo and
// handing it to the pipeline (the io thread does everything else). Budget: 2 us per test.
#include <benchmark/benchmark.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/config.hpp"
#include "delivery/pipeline.hpp"
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

// The whole end-of-test path as OnTestEnd runs it, with the Qase backend behind the pipeline.
void BM_end_of_test_path(benchmark::State& state) {
  const auto* info = finished_test();
  testing_support::loop_transport tr([](const http_request&) { return testing_support::json_response(202, "{}"); });
  qase_settings qs;
  qs.mode = qase_mode::testops;
  qs.token = "bench";
  qs.project = "DEMO";
  qs.api_base = "https://127.0.0.1:1";
  qs.run_id = 1;
  std::vector<std::unique_ptr<backend>> bs;
  bs.push_back(make_qase_backend(qs, common_settings{}));
  pipeline p(tr, std::move(bs), pipeline_options{});
  for (auto _ : state) {
    p.submit(std::make_shared<const test_result>(make_test_result(*info, 0)));
  }
  (void)p.finish(std::chrono::steady_clock::now() + std::chrono::seconds(30));  // outside the timed loop
}
BENCHMARK(BM_end_of_test_path);

}  // namespace

BENCHMARK_MAIN();

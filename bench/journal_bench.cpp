// The journal's share of the end-of-test budget (2 us per test on the test thread): serializing a
// record and appending it. For comparison, the same append as one pwrite() system call, which is
// what a plain O_APPEND journal would cost (1-4 us on virtualised CI machines).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/journal.hpp"

namespace {

using namespace gtest_tms::detail;

test_result passing() {
  test_result r;
  r.id = "0b7c4d2e-1f3a-4c5b-9d6e-1234567890ab";
  r.suite = "Values/Sample";
  r.name = "Works/0";
  r.value_param = "42";
  r.file = "/home/ci/project/test/sample_test.cpp";
  r.line = 17;
  r.start_ms = 1700000000123;
  r.duration_ms = 3;
  r.qase_ids = {12, 13};
  return r;
}

test_result failing() {
  test_result r = passing();
  r.status = test_status::failed;
  r.parts.push_back(
      {"/home/ci/project/test/sample_test.cpp", 19, "Expected equality of these values:\n  a\n    Which is: 1\n  2",
       "Expected equality of these values:\n  a\n    Which is: 1\n  2\nStack trace:\n" + std::string(600, 'x'), false,
       false});
  return r;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/gtest-tms-bench-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d != nullptr ? d : "/tmp";
}

void BM_serialize_passing(benchmark::State& state) {
  const test_result r = passing();
  std::string buf;
  for (auto _ : state) {
    buf.clear();
    serialize_journal_result(r, buf);
    benchmark::DoNotOptimize(buf.data());
  }
}
BENCHMARK(BM_serialize_passing);

void append_bench(benchmark::State& state, const test_result& r, bool with_start = false) {
  const std::string dir = temp_dir();
  std::string error;
  journal_header h;
  h.systems = {"qase"};
  auto j = journal::create(dir, h, error);
  if (!j) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::uint32_t i = 0;
  for (auto _ : state) {
    if (with_start) j->started(i++, 0);
    j->append(r);
  }
  j->remove();
  std::filesystem::remove_all(dir);
}

void BM_journal_append_passing(benchmark::State& state) { append_bench(state, passing()); }
BENCHMARK(BM_journal_append_passing)->Iterations(200000);  // bounded: the file grows

// What a passing test costs the journal now: its "started" line, then its result.
void BM_journal_started_and_append_passing(benchmark::State& state) { append_bench(state, passing(), true); }
BENCHMARK(BM_journal_started_and_append_passing)->Iterations(200000);

void BM_journal_append_failing(benchmark::State& state) { append_bench(state, failing()); }
BENCHMARK(BM_journal_append_failing)->Iterations(100000);

// The alternative not taken: one write() per result.
void BM_pwrite_append_passing(benchmark::State& state) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/w.jsonl";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  std::string line;
  serialize_journal_result(passing(), line);
  line += '\n';
  for (auto _ : state) {
    if (::write(fd, line.data(), line.size()) < 0) state.SkipWithError("write failed");
  }
  ::close(fd);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_pwrite_append_passing)->Iterations(200000);

}  // namespace

BENCHMARK_MAIN();

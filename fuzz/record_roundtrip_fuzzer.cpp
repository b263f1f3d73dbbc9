// A test_result built from the input (deep steps, odd strings, invalid UTF-8, extreme numbers) is
// written with the journal writer and with the Qase report writer and read back by their readers.
// The journal keeps every byte, so its record must come back equal (steps cut at
// max_stored_step_depth). The report cleans strings and writes times as epoch seconds: for a
// "realistic" record (printable text, plausible times) it must come back equal too, and for any
// record a second round trip must change nothing more (no reader/writer disagreement).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "model/limits.hpp"
#include "record_equal.hpp"
#include "storage/journal.hpp"
#include "storage/qase_report.hpp"

namespace gtest_tms {
namespace {

using detail::step_record;
using detail::test_result;
using detail::test_status;

struct builder {
  FuzzedDataProvider& in;
  bool realistic;
  std::size_t steps_left = 200;

  std::string text(std::size_t max_len = 64) {
    std::string s = in.ConsumeRandomLengthString(max_len);
    if (!realistic) return s;
    for (char& c : s) c = static_cast<char>(0x20 + (static_cast<unsigned char>(c) % 0x5f));  // printable ASCII
    return s;
  }
  std::int64_t time_ms() {
    return realistic ? in.ConsumeIntegralInRange<std::int64_t>(1, 4'102'444'800'000)  // up to 2100
                     : in.ConsumeIntegral<std::int64_t>();
  }
  std::int64_t duration_ms() {
    return realistic ? in.ConsumeIntegralInRange<std::int64_t>(0, 86'400'000) : in.ConsumeIntegral<std::int64_t>();
  }
  test_status status() {
    constexpr test_status all[] = {test_status::passed, test_status::failed, test_status::skipped, test_status::invalid,
                                   test_status::blocked};
    return all[in.ConsumeIntegralInRange<std::size_t>(0, 4)];
  }
  test_status step_status() {
    constexpr test_status all[] = {test_status::passed, test_status::failed, test_status::skipped};
    return all[in.ConsumeIntegralInRange<std::size_t>(0, 2)];
  }
  // Siblings and children; `depth` levels below may still be added.
  void steps(std::vector<step_record>& out, std::size_t depth) {
    const std::size_t n = in.ConsumeIntegralInRange<std::size_t>(0, 3);
    for (std::size_t i = 0; i < n && steps_left > 0 && in.remaining_bytes() > 0; ++i) {
      --steps_left;
      step_record st;
      st.action = text(24);
      st.expected = text(24);
      st.status = step_status();
      st.start_ms = time_ms();
      st.duration_ms = duration_ms();
      if (depth > 1) steps(st.children, depth - 1);
      out.push_back(std::move(st));
    }
  }
  // One chain `levels` deep (what nested gtest_tms::step scopes produce).
  void chain(std::vector<step_record>& out, std::size_t levels) {
    step_record leaf{text(16), {}, step_status(), time_ms(), duration_ms(), {}};
    for (std::size_t i = 1; i < levels; ++i)
      leaf = step_record{
          "level " + std::to_string(i), {}, test_status::passed, leaf.start_ms, leaf.duration_ms, {std::move(leaf)}};
    out.push_back(std::move(leaf));
  }

  test_result record() {
    test_result r;
    r.id = in.ConsumeRandomLengthString(48);
    if (r.id.empty()) r.id = "x";  // both readers refuse a record without an id
    r.suite = text();
    r.name = text();
    if (r.suite.empty()) r.suite = "S";  // gtest names are never empty (the readers refuse them)
    if (r.name.empty()) r.name = "N";
    r.value_param = text(32);
    r.type_param = text(32);
    r.file = text(32);
    r.line = realistic ? in.ConsumeIntegralInRange<int>(0, 100000) : in.ConsumeIntegral<int>();
    r.status = status();
    r.start_ms = time_ms();
    r.duration_ms = duration_ms();
    r.iteration = realistic ? in.ConsumeIntegralInRange<int>(0, 1000) : in.ConsumeIntegral<int>();
    r.run_level = in.ConsumeBool();
    for (std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, 3); i > 0; --i) {
      detail::failure_part p;
      p.file = text(32);
      p.line = realistic ? in.ConsumeIntegralInRange<int>(-1, 100000) : in.ConsumeIntegral<int>();
      p.summary = text(128);
      p.message = text(256);
      p.fatal = in.ConsumeBool();
      p.skip = in.ConsumeBool();
      r.parts.push_back(std::move(p));
    }
    for (std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, 4); i > 0; --i)
      r.qase_ids.push_back(realistic ? in.ConsumeIntegralInRange<std::int64_t>(1, INT32_MAX)
                                     : in.ConsumeIntegral<std::int64_t>());
    for (std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, 3); i > 0; --i) {
      std::string k = text(16);
      r.properties.emplace_back(std::move(k), text(32));
    }
    for (std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, 2); i > 0; --i) r.notes.push_back(text(48));
    for (std::size_t i = in.ConsumeIntegralInRange<std::size_t>(0, 2); i > 0; --i) {
      detail::attachment a;
      a.name = text(16);
      a.content = in.ConsumeRandomLengthString(64);
      a.mime = "text/plain";
      a.size = a.content.size();
      r.attachments.push_back(std::move(a));
    }
    if (in.ConsumeBool()) {
      chain(r.steps, in.ConsumeIntegralInRange<std::size_t>(1, detail::max_stored_step_depth + 4));
    }
    steps(r.steps, in.ConsumeIntegralInRange<std::size_t>(1, 20));
    return r;
  }
};

void cut_steps(std::vector<step_record>& steps, std::size_t depth) {
  for (auto& st : steps) {
    if (depth + 1 >= detail::max_stored_step_depth)
      st.children.clear();
    else
      cut_steps(st.children, depth + 1);
  }
}

test_result via_journal(const test_result& r) {
  std::string line;
  detail::serialize_journal_result(r, line);
  FUZZ_CHECK(line.find('\n') == std::string::npos, line);
  test_result out;
  std::string error;
  FUZZ_CHECK(detail::parse_journal_result(line, out, error), error + "\n" + line);
  return out;
}

test_result via_report(const test_result& r) {
  detail::qase_settings qs;
  qs.mode = detail::qase_mode::report;
  const std::string text = detail::qase_report_result_json(r, {}, qs);
  test_result out;
  std::int64_t run_id = 0;
  bool created = false;
  std::string error;
  FUZZ_CHECK(detail::parse_qase_report_result(text, out, run_id, created, error), error + "\n" + text);
  return out;
}

}  // namespace
}  // namespace gtest_tms

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gtest_tms;
  using detail::testing_support::record_difference;
  FuzzedDataProvider in(data, size);
  const bool realistic = in.ConsumeBool();
  builder b{in, realistic};
  const test_result r = b.record();
  test_result want = r;
  cut_steps(want.steps, 0);

  const test_result j = via_journal(r);
  const std::string jd = record_difference(j, want);
  FUZZ_CHECK(jd.empty(), "journal: " + jd);

  const test_result q = via_report(r);
  if (realistic) {
    const std::string qd = record_difference(q, want, false);
    FUZZ_CHECK(qd.empty(), "report: " + qd);
  }
  const test_result q2 = via_report(q);
  const std::string fd = record_difference(q2, q, false);
  FUZZ_CHECK(fd.empty(), "report, second round trip: " + fd);
  FUZZ_CHECK(q.status == r.status, "report: status");
  return 0;
}

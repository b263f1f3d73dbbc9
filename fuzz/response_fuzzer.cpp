// The Qase and QA Sphere backends against fuzzed server answers: every start() path (project
// check, run creation / join, QA Sphere's case lookup with paging), results added before, during or
// after start(), flush, batch building, finish(), and describe_error() on every answer.
//
// Input: byte 0 = flags, byte 1 = after how many answers the results are added (deferred mode),
// then answers separated by "\n--\n". An answer is "<status> <body>" (up to 3 digits; none: 200),
// or "E<digit><message>" for a transport error. The fake requester (test/unit/fake_requester.hpp)
// hands them out in order, then answers 500.
// Invariants: start() and finish() call back exactly once; every message is one line; QA Sphere
// messages never contain QAS_TOKEN; batches are valid JSON.

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_requester.hpp"
#include "fuzz_support.hpp"
#include "tms/qase/qase_backend.hpp"
#include "tms/qasphere/qasphere_backend.hpp"

namespace {

using namespace gtest_tms;
using namespace gtest_tms::detail;

constexpr std::string_view qas_token = "tst0000001.1CKCEtest_JYyckc3zYtest.dhhjYY3BYEoQH41e62itest";

enum flag : std::uint8_t {
  deferred = 1,      // answers delivered one by one; results arrive while start() runs
  join_run = 2,      // QASE_TESTOPS_RUN_ID / QAS_RUN_ID set
  complete = 4,      // finish(complete = true)
  detect_code = 8,   // QA Sphere: no QAS_PROJECT_CODE (taken from the first marker)
  close_flag = 16,   // QAS_CLOSE_RUN / QASE_TESTOPS_RUN_COMPLETE set ...
  close_value = 32,  // ... to this
  sharded = 64,
};

std::vector<http_response> answers_of(std::string_view in) {
  constexpr std::string_view sep = "\n--\n";
  std::vector<http_response> out;
  while (true) {
    const auto at = in.find(sep);
    std::string_view a = in.substr(0, at);
    if (!a.empty() && a.front() == 'E') {
      const int e = a.size() > 1 ? (static_cast<unsigned char>(a[1]) % 10) + 1 : 1;
      out.push_back(fakes::make_transport_error(static_cast<net_error>(e), std::string(a.substr(a.size() > 1 ? 2 : 1)),
                                                a.size() > 2 && (a[2] & 1)));
    } else {
      int status = 0;
      std::size_t i = 0;
      for (; i < a.size() && i < 3 && a[i] >= '0' && a[i] <= '9'; ++i) status = status * 10 + (a[i] - '0');
      if (i == 0) status = 200;
      if (i < a.size() && a[i] == ' ') ++i;
      out.push_back(fakes::make_response(status, std::string(a.substr(i))));
    }
    if (at == std::string_view::npos || out.size() >= 200) break;
    in.remove_prefix(at + sep.size());
  }
  return out;
}

std::shared_ptr<const test_result> result(std::string suite, std::string name, test_status status, int iteration = 0) {
  auto r = std::make_shared<test_result>();
  r->id = "6f1c2a4e-0d7b-4c5e-9a1b-" + std::to_string(100000000000 + iteration) + "0";
  r->suite = std::move(suite);
  r->name = std::move(name);
  r->status = status;
  r->duration_ms = 12;
  r->start_ms = 1772600767000;
  r->iteration = iteration;
  if (status != test_status::passed) {
    failure_part p;
    p.file = "foo_test.cc";
    p.line = 42;
    p.summary = p.message = "Expected equality of these values:\n  a\n    Which is: 1\n  b <x> & \"y\"";
    p.skip = status == test_status::skipped;
    r->parts.push_back(p);
  }
  return r;
}

run_plan plan(std::uint8_t flags) {
  run_plan p;
  for (const char* n : {"TestBd001Login", "BD-002 works/0", "BD-002 works/1", "test_bd003_logout",
                        "DISABLED_TestBd004X", "Plain", "TestXy005Other"}) {
    p.tests.push_back({"Suite", n});
  }
  p.binary_name = "fuzz_tests";
  if (flags & sharded) {
    p.shard_index = 1;
    p.total_shards = 3;
  }
  return p;
}

std::vector<std::shared_ptr<const test_result>> results() {
  return {result("Suite", "TestBd001Login", test_status::passed),
          result("Suite", "BD-002 works/0", test_status::failed),
          result("Suite", "BD-002 works/1", test_status::skipped),
          result("Suite", "test_bd003_logout", test_status::invalid),
          result("Suite", "Plain", test_status::passed),
          result("Suite", "TestBd001Login", test_status::blocked, 1)};
}

void check_message(const backend& be, const std::string& m) {
  FUZZ_CHECK(fuzz::one_line(m), m);
  if (be.system() == tms::qasphere) FUZZ_CHECK(!fuzz::contains(m, qas_token), m);
}

void exercise(backend& be, const std::vector<http_response>& answers, std::uint8_t flags, std::size_t add_after) {
  fakes::fake_requester fake;
  for (const auto& a : answers) fake.push(a);
  fake.fallback = fakes::make_response(500, R"({"message":"out of script"})");
  fake.deferred = (flags & deferred) != 0;

  int start_calls = 0;
  std::string start_message;
  be.start(fake, plan(flags), [&](std::string m) {
    ++start_calls;
    start_message = std::move(m);
  });

  std::vector<outbound_item> items;
  // Qase maps every result the same whatever the server said: two are enough there (and keep the
  // executions fast); QA Sphere's holding and folding depend on start(), so it gets them all.
  const bool qase = be.system() == tms::qase;
  const auto add_all = [&] {
    const auto rs = results();
    for (std::size_t i = 0; i < (qase ? 2 : rs.size()); ++i) be.add(rs[i], items);
  };
  bool added = false;
  for (std::size_t delivered = 0; delivered < 1000; ++delivered) {
    if (!added && delivered >= add_after) {
      add_all();
      added = true;
    }
    if (!fake.answer_next()) break;
  }
  FUZZ_CHECK(start_calls == 1, std::to_string(start_calls));
  check_message(be, start_message);
  if (!added) add_all();
  be.flush_held(items);
  for (const auto& item : items) FUZZ_CHECK(!item.sources.empty(), item.label);

  if (start_message.empty() && !items.empty()) {
    std::vector<outbound_item*> batch;
    for (auto& item : items) batch.push_back(&item);
    const http_request req = be.make_batch(batch);
    boost::system::error_code ec;
    (void)boost::json::parse(req.body, ec);
    FUZZ_CHECK(!ec, req.body);
  }

  int finish_calls = 0;
  std::string finish_message;
  be.finish(fake, (flags & complete) != 0, [&](run_finish f) {
    ++finish_calls;
    finish_message = std::move(f.message);
  });
  for (int i = 0; i < 10 && fake.answer_next(); ++i) {
  }
  FUZZ_CHECK(finish_calls == 1, std::to_string(finish_calls));
  check_message(be, finish_message);
  (void)be.run_link();

  for (const auto& a : answers) check_message(be, be.describe_error(a));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t flags = data[0];
  const std::size_t add_after = data[1] % 8;
  const auto answers = answers_of(std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2));

  common_settings common;

  qase_settings q;
  q.mode = qase_mode::testops;
  q.token = "qase0token0fuzz0000000000000000000000000000000000";
  q.project = "DEMO";
  q.api_base = "https://api.qase.io";
  q.app_base = "https://app.qase.io";
  q.run_title = "Fuzz run";
  q.run_tags = {"fuzz", "ci"};
  if (flags & join_run) q.run_id = 77;
  if (flags & close_flag) q.run_complete = (flags & close_value) != 0;
  auto qase = make_qase_backend(q, common, [] { return std::int64_t{1772600767000}; });
  exercise(*qase, answers, flags, add_after);

  qasphere_settings s;
  s.enabled = true;
  s.token = std::string(qas_token);
  s.url = "https://qas.eu1.qasphere.com";
  if (!(flags & detect_code)) s.project = "BD";
  if (flags & join_run) s.run_id = 42;
  if (flags & close_flag) s.close_run = (flags & close_value) != 0;
  qasphere_backend_hooks hooks;
  hooks.now_epoch_ms = [] { return std::int64_t{1772600767000}; };
  hooks.utc_offset_minutes = 0;
  hooks.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto qas = make_qasphere_backend(s, common, hooks);
  exercise(*qas, answers, flags, add_after);
  return 0;
}

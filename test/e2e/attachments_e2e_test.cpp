// Attachments and steps from a real gtest binary to the emulated Qase: files uploaded as
// multipart "file[]" parts and linked from the results by hash; steps with their statuses;
// every recorded request checked against the official spec.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

std::vector<std::string> hashes_of(const json::object& result) {
  std::vector<std::string> out;
  if (const auto* a = result.if_contains("attachments"); a != nullptr && a->is_array())
    for (const auto& h : a->as_array()) out.push_back(str(h));
  return out;
}

// "action:status" of each step, children in brackets.
std::string steps_text(const json::value& steps) {
  std::string out;
  for (const auto& s : steps.as_array()) {
    if (!out.empty()) out += ", ";
    out += str(s.at("data").at("action")) + ":" + str(s.at("execution").at("status"));
    if (const auto* c = s.as_object().if_contains("steps")) out += " [" + steps_text(*c) + "]";
  }
  return out;
}

TEST(AttachmentsEndToEnd, FilesArriveAndAreLinkedStepsCarryStatuses) {
  emulator_fixture emu;
  temp_dir files;
  write_file(files.path() + "/first.log", "first log line\n");
  write_file(files.path() + "/second.bin", std::string("\0\x01\x02--boundary?\r\n", 17));
  auto env = emu.qase_env();
  env["ATTACH_DIR"] = files.path();
  process_options po;
  po.env = env;
  po.timeout = 180s;
  const process_result r = run_process(fixture_path("fixture_attachments"), po);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // one test fails on purpose
  EXPECT_EQ(r.err.find("incomplete"), std::string::npos) << r.err;

  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  std::map<std::string, json::object> results;
  for (const auto& res : emu.tms().qase_results(runs[0].id)) results[str(res.at("title"))] = res;
  ASSERT_EQ(results.size(), 5u) << r.err;

  // Every hash a result links was uploaded here; first.log twice (two tests attach it).
  const auto uploaded = emu.tms().qase_attachments();
  EXPECT_EQ(uploaded.size(), 4u);
  const auto file_and_content = hashes_of(results.at("FileAndContent"));
  const auto by_property = hashes_of(results.at("ByProperty"));
  ASSERT_EQ(file_and_content.size(), 2u);
  ASSERT_EQ(by_property.size(), 2u);
  for (const auto& h : file_and_content) EXPECT_NE(std::find(uploaded.begin(), uploaded.end(), h), uploaded.end()) << h;
  for (const auto& h : by_property) EXPECT_NE(std::find(uploaded.begin(), uploaded.end(), h), uploaded.end()) << h;
  EXPECT_EQ(file_and_content[0], by_property[0]);  // same bytes, same content hash
  EXPECT_NE(file_and_content[1], by_property[1]);
  EXPECT_TRUE(hashes_of(results.at("PassAndNested")).empty());
  EXPECT_FALSE(results.at("ByProperty").contains("steps"));

  const auto& pass = results.at("PassAndNested");
  EXPECT_EQ(str(pass.at("steps_type")), "classic");
  EXPECT_EQ(steps_text(pass.at("steps")), "prepare:passed [inner work:passed]");
  EXPECT_EQ(str(pass.at("steps").at(0).at("data").at("expected_result")), "ready");
  const auto& fail = results.at("FailureInsideAStep");
  EXPECT_EQ(str(fail.at("execution").at("status")), "failed");
  EXPECT_EQ(steps_text(fail.at("steps")),
            "before:passed, check the value:failed [compare:failed, after the failure:passed], "
            "after the failing step:passed");
  EXPECT_EQ(steps_text(results.at("SkipInsideAStep").at("steps")), "maybe skip:skipped");

  // The upload requests themselves: two per-test uploads, "file[]" parts.
  std::size_t uploads = 0;
  for (const auto& req : emu.tms().requests()) {
    if (req.path.find("/v1/attachment/") == std::string::npos) continue;
    ++uploads;
    EXPECT_EQ(req.status, 200) << json::serialize(req.body);
  }
  EXPECT_GE(uploads, 1u);

  const std::string log = emu.dir() + "/requests.jsonl";
  ASSERT_TRUE(std::filesystem::exists(log));
  const std::string checker = std::string(GTEST_TMS_SOURCE_DIR) + "/test/spec/validate_requests.mjs";
  if (!std::filesystem::exists("/usr/bin/node") ||
      !std::filesystem::exists(std::string(GTEST_TMS_SOURCE_DIR) + "/test/spec/node_modules")) {
    GTEST_SKIP() << "node or test/spec/node_modules missing: the spec check did not run";
  }
  process_options spec;
  spec.args = {checker, log};
  spec.timeout = 120s;
  const process_result check = run_process("/usr/bin/node", spec);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

// A refused upload costs the attachments, never the results: every result arrives, the summary says
// what is incomplete, and the run is still completed.
TEST(AttachmentsEndToEnd, ARefusedUploadStillDeliversEveryResult) {
  emulator::emulator_options o = emulator_fixture::default_options();
  o.faults = emulator::parse_fault_plan("POST /v1/attachment/.*=413");
  emulator_fixture emu(o);
  temp_dir files;
  write_file(files.path() + "/first.log", "first log line\n");
  write_file(files.path() + "/second.bin", "second");
  auto env = emu.qase_env();
  env["ATTACH_DIR"] = files.path();
  process_options po;
  po.env = env;
  po.timeout = 180s;
  const process_result r = run_process(fixture_path("fixture_attachments"), po);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("gtest-tms: Qase: 5 results sent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Qase: incomplete Attach.FileAndContent: attachments not uploaded: HTTP 413"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("Qase: incomplete Attach.ByProperty: attachments not uploaded: HTTP 413"), std::string::npos)
      << r.err;
  const auto runs = emu.tms().qase_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_TRUE(runs[0].completed);
  const auto results = emu.tms().qase_results(runs[0].id);
  EXPECT_EQ(results.size(), 5u);
  for (const auto& res : results) EXPECT_TRUE(hashes_of(res).empty()) << json::serialize(res);
  EXPECT_TRUE(emu.tms().qase_attachments().empty());
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

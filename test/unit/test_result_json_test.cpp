// The shared readers of stored records (src/model/test_result_json.*): one status text mapping,
// one step-tree reader for both key sets (journal and Qase report), tolerant member access.

#include "model/test_result_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <vector>

namespace gtest_tms::detail {
namespace {

namespace json = boost::json;

TEST(StatusText, ExactOrLenient) {
  for (const auto st :
       {test_status::passed, test_status::failed, test_status::skipped, test_status::invalid, test_status::blocked}) {
    test_status out = test_status::failed;
    EXPECT_TRUE(status_from(to_string(st), out));
    EXPECT_EQ(out, st);
  }
  test_status out = test_status::passed;
  EXPECT_FALSE(status_from("PASSED", out));
  EXPECT_FALSE(status_from("disabled", out));
  EXPECT_FALSE(status_from("", out));
  EXPECT_TRUE(status_from("FAILED", out, true));
  EXPECT_EQ(out, test_status::failed);
  EXPECT_TRUE(status_from("Disabled", out, true));
  EXPECT_EQ(out, test_status::skipped);
  EXPECT_FALSE(status_from("weird", out, true));
}

TEST(RecordMembers, TolerateMissingAndWrongTypes) {
  const json::object o =
      json::parse(R"({"s":"x","n":1,"u":18446744073709551615,"d":2.9,"b":true,"z":null})").as_object();
  EXPECT_EQ(string_member(o, "s"), "x");
  EXPECT_EQ(string_member(o, "n"), "");
  EXPECT_EQ(string_member(o, "missing"), "");
  EXPECT_EQ(int_member(o, "n"), 1);
  EXPECT_EQ(int_member(o, "u", -1), -1);  // beyond int64
  EXPECT_EQ(int_member(o, "d"), 2);
  EXPECT_EQ(int_member(o, "s", 7), 7);
  double d = 0;
  EXPECT_TRUE(number_member(o, "d", d));
  EXPECT_DOUBLE_EQ(d, 2.9);
  EXPECT_FALSE(number_member(o, "z", d));
  EXPECT_TRUE(bool_member(o, "b"));
  EXPECT_FALSE(bool_member(o, "n"));
  EXPECT_EQ(seconds_to_ms(1767225600.005), 1767225600005);
  EXPECT_EQ(seconds_to_ms(1e300), 0);
  EXPECT_DOUBLE_EQ(epoch_seconds(1500), 1.5);
}

TEST(RecordSteps, OneReaderForFlatAndNestedKeys) {
  const step_keys flat{
      .action = "a", .expected = "e", .status = "st", .start = "sm", .duration = "d", .children = "ch"};
  const json::value journal = json::parse(
      R"([{"st":"failed","a":"outer","e":"x","sm":-5,"d":-1,"ch":[{"st":"bogus","a":"inner","sm":1,"d":2}]},7])");
  std::vector<step_record> a;
  steps_from(journal, flat, a);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].action, "outer");
  EXPECT_EQ(a[0].expected, "x");
  EXPECT_EQ(a[0].status, test_status::failed);
  EXPECT_EQ(a[0].start_ms, -5);  // exact: whatever the writer wrote
  EXPECT_EQ(a[0].duration_ms, -1);
  ASSERT_EQ(a[0].children.size(), 1u);
  EXPECT_EQ(a[0].children[0].status, test_status::passed);  // unknown status

  const step_keys nested{.data = "data",
                         .action = "action",
                         .expected = "expected_result",
                         .execution = "execution",
                         .status = "status",
                         .start = "start_time",
                         .duration = "duration",
                         .children = "steps",
                         .start_in_seconds = true,
                         .lenient = true};
  const json::value report = json::parse(R"([{"data":{"action":"outer","expected_result":null},
      "execution":{"status":"FAILED","start_time":1767225600.005,"duration":-3},
      "steps":[{"data":{"action":"inner"},"execution":{"status":"disabled","start_time":0,"duration":2.7}}]}])");
  std::vector<step_record> b;
  steps_from(report, nested, b);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].action, "outer");
  EXPECT_EQ(b[0].expected, "");
  EXPECT_EQ(b[0].status, test_status::failed);
  EXPECT_EQ(b[0].start_ms, 1767225600005);
  EXPECT_EQ(b[0].duration_ms, 0);  // negative: 0
  ASSERT_EQ(b[0].children.size(), 1u);
  EXPECT_EQ(b[0].children[0].status, test_status::skipped);
  EXPECT_EQ(b[0].children[0].start_ms, 0);
  EXPECT_EQ(b[0].children[0].duration_ms, 2);
}

TEST(RecordSteps, DeepTreesAreCut) {
  json::value v = json::array();
  for (std::size_t i = 0; i < max_stored_step_depth + 10; ++i) v = json::array{json::object{{"a", "s"}, {"ch", v}}};
  std::vector<step_record> out;
  steps_from(v, {.action = "a", .children = "ch"}, out);
  std::size_t depth = 0;
  for (const std::vector<step_record>* level = &out; !level->empty(); level = &level->front().children) ++depth;
  EXPECT_EQ(depth, max_stored_step_depth);
}

TEST(RecordParts, PropertiesAndStrings) {
  std::vector<failure_part> parts;
  parts_from(json::parse(R"([{"f":"a.cc","l":3,"s":"sum","m":"msg","fa":true},{"sk":true},"x"])"),
             {.file = "f", .line = "l", .summary = "s", .message = "m", .fatal = "fa", .skip = "sk"}, parts);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].file, "a.cc");
  EXPECT_EQ(parts[0].line, 3);
  EXPECT_EQ(parts[0].summary, "sum");
  EXPECT_EQ(parts[0].message, "msg");
  EXPECT_TRUE(parts[0].fatal);
  EXPECT_FALSE(parts[0].skip);
  EXPECT_EQ(parts[1].line, -1);
  EXPECT_TRUE(parts[1].skip);

  std::vector<std::pair<std::string, std::string>> props;
  properties_from(json::parse(R"([["k","v"],["only"],["k",1],"x",["a","b"]])"), props);
  EXPECT_EQ(props, (std::vector<std::pair<std::string, std::string>>{{"k", "v"}, {"a", "b"}}));
  std::vector<std::string> notes;
  strings_from(json::parse(R"(["a",1,"b"])"), notes);
  EXPECT_EQ(notes, (std::vector<std::string>{"a", "b"}));
  strings_from(json::parse(R"({"a":"b"})"), notes);
  EXPECT_EQ(notes.size(), 2u);
}

TEST(RecordParse, KeepsInvalidUtf8) {
  boost::system::error_code ec;
  const json::value v = parse_record_json("{\"s\":\"\xff\xfe\"}", ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(string_member(v.as_object(), "s"), "\xff\xfe");
  (void)parse_record_json("{", ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace gtest_tms::detail

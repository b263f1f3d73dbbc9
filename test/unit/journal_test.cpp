// The crash-safety journal: exact round trip of records, acknowledgements and runs per system,
// a crash at any point (torn line, reserved zero tail, SIGKILL), and the live-journal lock.

#include "storage/journal.hpp"
#include "record_compare.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "model/test_result_json.hpp"
#include "platform/native_file.hpp"
#include "str_cat.hpp"
#include "support/process.hpp"

namespace gtest_tms::detail {
namespace {

using testing_support::str_cat;

using testing_support::read_file;
using testing_support::temp_dir;
using testing_support::write_file;

test_result sample(const std::string& name, test_status st = test_status::passed) {
  test_result r;
  r.id =
      "0b7c4d2e-1f3a-4c5b-9d6e-" + std::string(12 - std::min<std::size_t>(12, name.size()), '0') + name.substr(0, 12);
  r.suite = "Suite";
  r.name = name;
  r.file = "/src/t.cpp";
  r.line = 12;
  r.status = st;
  r.start_ms = 1700000000123;
  r.duration_ms = 45;
  return r;
}

// Everything a record can hold, with hostile bytes in every string.
test_result hostile() {
  test_result r;
  r.id = "3f0a7c2e-0000-4000-8000-000000000001";
  r.suite = "Inst/Suite\"q\"/0";
  r.name = "Works/2\\back";
  r.value_param = "\"a\\b\"\n\t\x01\x1f end";
  r.type_param = "std::map<int, \xff\xfe bad utf8>";
  r.file = "/src/d\xc3\xa9j\xc3\xa0.cpp";
  r.line = 77;
  r.status = test_status::invalid;
  r.start_ms = 1700000000000;
  r.duration_ms = 1234;
  r.parts.push_back({"/src/a.cpp", 10, "Value of: x\nExpected: 1",
                     "Value of: x\nExpected: 1\nStack trace:\n#0 \x1b[31mred\x1b[0m", true, false});
  r.parts.push_back({"", -1, "C++ exception with description \"boom\" thrown in the test body.", "msg", false, false});
  r.parts.push_back({"/src/b.cpp", 3, "skip why", "skip why full", false, true});
  r.qase_ids = {7, 8, 7};
  r.properties = {{"owner", "me"}, {"note", "line1\nline2 \"quoted\""}};
  r.iteration = 3;
  r.run_level = true;
  r.attachments.push_back({"shot.png", "/tmp/shot.png", "", "image/png", 1234});
  r.attachments.push_back({"log.txt", "", std::string("bin\0\x01\xff\n\"", 8), "text/plain", 8});
  step_record child{"inner \"q\"", "", test_status::failed, 1700000000100, 5, {}};
  r.steps.push_back({"open page", "page shown", test_status::passed, 1700000000010, 20, {child, child}});
  r.steps.push_back({"second", "", test_status::skipped, 0, 0, {}});
  r.notes = {"2 attachments dropped", "line\nbreak"};
  return r;
}

using testing_support::expect_same;

journal_header header(std::vector<std::string> systems = {"qase", "qasphere"}) {
  journal_header h;
  h.binary = "my_tests";
  h.systems = std::move(systems);
  return h;
}

// The collector follows a journal while its process writes it: only complete lines, never the
// reserved zero space, a line longer than a read chunk whole, and each line once.
TEST(JournalReader, FollowsALiveJournalLineByLine) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  journal_reader reader(j->path());
  std::size_t offset = 0;
  ASSERT_TRUE(reader.read_from(j->path(), offset, error)) << error;
  EXPECT_TRUE(reader.has_header());
  EXPECT_TRUE(reader.contents().results.empty());
  j->append(sample("A"));
  j->append(hostile());
  ASSERT_TRUE(reader.read_from(j->path(), offset, error));
  ASSERT_EQ(reader.contents().results.size(), 2u);
  expect_same(*reader.contents().results[1], hostile());
  const std::size_t after_two = offset;
  ASSERT_TRUE(reader.read_from(j->path(), offset, error));  // nothing new: nothing taken twice
  EXPECT_EQ(offset, after_two);
  EXPECT_EQ(reader.contents().results.size(), 2u);

  test_result big = sample("Big", test_status::failed);
  big.parts.push_back({"/src/t.cpp", 3, std::string(300000, 'x'), std::string(300000, 'y'), true, false});
  j->append(big);
  j->ack(tms::qase, std::vector<std::string_view>{reader.contents().results[0]->id});
  j->ended();
  ASSERT_TRUE(reader.read_from(j->path(), offset, error));
  ASSERT_EQ(reader.contents().results.size(), 3u);
  EXPECT_EQ(reader.contents().results[2]->parts.at(0).message.size(), 300000u);
  EXPECT_EQ(reader.contents().acked.at("qase").size(), 1u);
  EXPECT_TRUE(reader.contents().ended);
  EXPECT_TRUE(reader.contents().warnings.empty());
  // While it is open, its process holds it; the reader took exactly up to the end of its content.
  EXPECT_EQ(journal::open_existing(j->path(), error), nullptr);
  j->close();
  EXPECT_EQ(offset, std::filesystem::file_size(j->path()));
}

// A journal sized for one result (a one-test CTest process) still takes many more: the next
// chunks follow the small first one.
TEST(JournalReader, AJournalSizedForOneResultGrowsPastItsFirstChunk) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error, 1);
  ASSERT_TRUE(j) << error;
  for (int i = 0; i < 3000; ++i) j->append(sample(str_cat("T", i)));
  j->close();
  journal_contents c;
  ASSERT_TRUE(read_journal(j->path(), c, error)) << error;
  EXPECT_EQ(c.results.size(), 3000u);
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_TRUE(j->healthy());
}

TEST(JournalReader, TakesATornLastLineOnlyOnceItIsComplete) {
  temp_dir dir;
  std::string line;
  serialize_journal_result(sample("A"), line);
  const std::string head = R"({"t":"h","v":1,"host":"h","pid":1,"start_ms":1,"binary":"b","systems":["qase"]})";
  const std::string path = dir.path() + "/journal-h-1-1.jsonl";
  write_file(path, head + "\n" + line.substr(0, 20));
  journal_reader reader(path);
  std::size_t offset = 0;
  std::string error;
  ASSERT_TRUE(reader.read_from(path, offset, error));
  EXPECT_EQ(offset, head.size() + 1);
  EXPECT_TRUE(reader.contents().results.empty());
  write_file(path, head + "\n" + line + "\n");
  ASSERT_TRUE(reader.read_from(path, offset, error));
  ASSERT_EQ(reader.contents().results.size(), 1u);
  EXPECT_TRUE(reader.contents().warnings.empty());
}

TEST(JournalSerialize, RoundTripKeepsEveryByte) {
  const test_result in = hostile();
  std::string line;
  serialize_journal_result(in, line);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one record must be one line";
  test_result out;
  std::string error;
  ASSERT_TRUE(parse_journal_result(line, out, error)) << error;
  expect_same(in, out);
}

// Whatever the writer can write, the reader gives back, extreme numbers too.
TEST(JournalSerialize, RoundTripKeepsExtremeValues) {
  test_result in = hostile();
  in.line = -3;
  in.start_ms = INT64_MIN;
  in.duration_ms = INT64_MAX;
  in.iteration = -1;
  in.qase_ids = {INT64_MIN, 0, INT64_MAX};
  in.parts[0].line = INT32_MIN;
  in.attachments[0].size = static_cast<std::uint64_t>(INT64_MAX);
  in.steps[0].start_ms = -5;
  in.steps[0].duration_ms = -1;
  in.steps[0].children[0].start_ms = INT64_MAX;
  in.steps[0].children[0].duration_ms = INT64_MIN;
  std::string line;
  serialize_journal_result(in, line);
  test_result out;
  std::string error;
  ASSERT_TRUE(parse_journal_result(line, out, error)) << error;
  expect_same(in, out);
}

// Steps as deep as the journal keeps them come back; deeper ones are cut at that depth.
TEST(JournalSerialize, DeepStepsComeBack) {
  for (const std::size_t levels : {std::size_t{16}, max_stored_step_depth, max_stored_step_depth + 5}) {
    test_result in = sample("Deep");
    step_record deep{"leaf", "", test_status::failed, 5, 1, {}};
    for (std::size_t i = 1; i < levels; ++i) deep = step_record{"level", "x", test_status::passed, 1, 2, {deep}};
    in.steps.push_back(deep);
    std::string line;
    serialize_journal_result(in, line);
    test_result out;
    std::string error;
    ASSERT_TRUE(parse_journal_result(line, out, error)) << levels << ": " << error;
    std::size_t depth = 0;
    for (const std::vector<step_record>* s = &out.steps; !s->empty(); s = &s->front().children) ++depth;
    EXPECT_EQ(depth, std::min(levels, max_stored_step_depth));
    if (levels <= max_stored_step_depth) expect_same(in, out);
  }
}

TEST(JournalSerialize, RejectsRecordsWithoutIdOrStatus) {
  test_result out;
  std::string error;
  EXPECT_FALSE(parse_journal_result(R"({"t":"r","s":"S","n":"N","st":"passed"})", out, error));
  EXPECT_FALSE(parse_journal_result(R"({"t":"r","id":"x","s":"S","n":"N","st":"weird"})", out, error));
  EXPECT_FALSE(parse_journal_result("{\"t\":\"r\",\"id\":", out, error));
}

TEST(Journal, AppendAckAndReplayPerSystem) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header(), error);
  ASSERT_TRUE(j) << error;
  const test_result a = sample("A"), b = sample("B", test_status::failed), c = hostile();
  j->append(a);
  j->append(b);
  j->run_started(tms::qase, 55, true);
  j->ack(tms::qase, std::vector<std::string_view>{a.id});
  j->append(c);
  j->ack(tms::qasphere, std::vector<std::string_view>{b.id, c.id});
  EXPECT_TRUE(j->healthy());
  const std::string path = j->path();
  EXPECT_EQ(std::filesystem::path(path).parent_path(), std::filesystem::path(dir.path()));
  EXPECT_EQ(std::filesystem::path(path).filename().string().rfind("journal-", 0), 0u);
  j->close();

  journal_contents jc;
  ASSERT_TRUE(read_journal(path, jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty());
  EXPECT_EQ(jc.header.systems, (std::vector<std::string>{"qase", "qasphere"}));
  EXPECT_EQ(jc.header.binary, "my_tests");
  EXPECT_EQ(jc.header.pid, static_cast<std::int64_t>(::getpid()));
  ASSERT_EQ(jc.results.size(), 3u);
  expect_same(*jc.results[0], a);
  expect_same(*jc.results[1], b);
  expect_same(*jc.results[2], c);
  ASSERT_EQ(jc.runs.count("qase"), 1u);
  EXPECT_EQ(jc.runs["qase"].id, 55);
  EXPECT_TRUE(jc.runs["qase"].created);

  const auto q = jc.unacknowledged("qase");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0]->id, b.id);
  EXPECT_EQ(q[1]->id, c.id);
  const auto s = jc.unacknowledged("qasphere");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]->id, a.id);
  EXPECT_FALSE(jc.fully_acknowledged());
  // The file holds exactly its content after close (the reserved space is given back).
  EXPECT_EQ(read_file(path).back(), '\n');
  EXPECT_EQ(read_file(path).find('\0'), std::string::npos);
}

TEST(Journal, NeverContainsSettings) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  j->append(sample("A"));
  j->close();
  const std::string text = read_file(j->path());
  for (const char* word : {"token", "Token", "api_key", "QASE_", "QAS_"})
    EXPECT_EQ(text.find(word), std::string::npos) << word;
}

TEST(Journal, TornLastLineAndZeroTailAreIgnored) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  j->append(sample("A"));
  j->append(sample("B"));
  j->close();
  std::string line;
  serialize_journal_result(sample("C"), line);
  // The process died in the middle of the third append: half a line, then never-written space.
  {
    std::ofstream f(j->path(), std::ios::app | std::ios::binary);
    f << line.substr(0, line.size() / 2) << std::string(5000, '\0');
  }
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  ASSERT_EQ(jc.results.size(), 2u);
  EXPECT_EQ(jc.results[1]->name, "B");
  EXPECT_TRUE(jc.warnings.empty()) << jc.warnings.front();
}

TEST(Journal, BadLineInTheMiddleIsSkippedWithAWarning) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  j->append(sample("A"));
  j->close();
  std::string line;
  serialize_journal_result(sample("C"), line);
  {
    std::ofstream f(j->path(), std::ios::app | std::ios::binary);
    f << "{not json\n"
      << R"({"t":"r","s":"S"})"
      << "\n"
      << line << "\n";
  }
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  ASSERT_EQ(jc.results.size(), 2u);
  EXPECT_EQ(jc.results[1]->name, "C");
  EXPECT_EQ(jc.warnings.size(), 2u);
}

TEST(Journal, FileWithoutHeaderIsNotAJournal) {
  temp_dir dir;
  const std::string path = dir.path() + "/journal-x.jsonl";
  write_file(path, "{\"t\":\"r\"}\n");
  journal_contents jc;
  std::string error;
  EXPECT_FALSE(read_journal(path, jc, error));
  EXPECT_NE(error.find("not a gtest-tms journal"), std::string::npos) << error;
}

// A hard crash right after the appends: nothing is trimmed or flushed by the process, and yet
// every appended result is in the file.
TEST(Journal, SurvivesSigkillOfTheWriter) {
  temp_dir dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string error;
    auto j = journal::create(dir.path(), header({"qase"}), error);
    if (!j) ::_exit(3);
    for (int i = 0; i < 2000; ++i) j->append(sample(str_cat("T", i)));  // > 1 MiB: several chunks
    j->ack(tms::qase, std::vector<std::string_view>{sample("T0").id});
    ::kill(::getpid(), SIGKILL);
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  const auto files = find_journals(dir.path());
  ASSERT_EQ(files.size(), 1u);
  journal_contents jc;
  std::string error;
  ASSERT_TRUE(read_journal(files[0], jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty());
  ASSERT_EQ(jc.results.size(), 2000u);
  EXPECT_EQ(jc.results[1999]->name, "T1999");
  EXPECT_EQ(jc.unacknowledged("qase").size(), 1999u);

  // Nobody holds it any more: upload may open it, and its acks land on a line of their own.
  auto j = journal::open_existing(files[0], error);
  ASSERT_TRUE(j) << error;
  j->ack(tms::qase, std::vector<std::string_view>{jc.results[5]->id});
  j->close();
  ASSERT_TRUE(read_journal(files[0], jc, error)) << error;
  EXPECT_EQ(jc.unacknowledged("qase").size(), 1998u);
  EXPECT_TRUE(jc.warnings.empty());
}

TEST(Journal, LiveJournalCannotBeOpenedByUpload) {
  temp_dir dir;
  std::string error;
  auto live = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(live) << error;
  live->append(sample("A"));
  auto other = journal::open_existing(live->path(), error);
  EXPECT_FALSE(other);
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
  live->close();
  other = journal::open_existing(live->path(), error);
  EXPECT_TRUE(other) << error;
}

TEST(Journal, OpenExistingCutsATornLine) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  j->append(sample("A"));
  j->close();
  {
    std::ofstream f(j->path(), std::ios::app | std::ios::binary);
    f << "{\"t\":\"r\",\"id\":\"half";
  }
  auto again = journal::open_existing(j->path(), error);
  ASSERT_TRUE(again) << error;
  again->ack(tms::qase, std::vector<std::string_view>{sample("A").id});
  again->close();
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty()) << jc.warnings.front();
  EXPECT_TRUE(jc.fully_acknowledged());
}

TEST(Journal, RecordLargerThanAChunk) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  test_result big = sample("Big", test_status::failed);
  big.parts.push_back({"/a.cpp", 1, "s", std::string(5 * 1024 * 1024, 'x'), true, false});
  j->append(sample("A"));
  j->append(big);
  j->append(sample("C"));
  j->close();
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  ASSERT_EQ(jc.results.size(), 3u);
  EXPECT_EQ(jc.results[1]->parts.at(0).message.size(), 5u * 1024 * 1024);
  EXPECT_EQ(jc.results[2]->name, "C");
}

// Past the first half of a chunk a helper thread maps the next one; lines of every length land
// on both sides of each chunk boundary (and one is longer than a chunk). Every record comes back
// exactly, and the closed file holds no reserved zeros.
TEST(Journal, ManyChunksComeBackExactlyAndTheFileIsTrimmed) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  std::vector<test_result> written;
  std::uint64_t x = 88172645463325252ULL;  // xorshift: varied, reproducible lengths
  for (int i = 0; i < 12000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    test_result r = sample(str_cat("T", i), i % 3 == 0 ? test_status::failed : test_status::passed);
    if (i % 3 == 0)
      r.parts.push_back({"/a.cpp", i, "s", std::string(x % 3000, static_cast<char>('a' + i % 26)), false, false});
    if (i == 7000)
      r.parts.push_back({"/a.cpp", 1, "big", std::string(append_mapping::chunk_size + 100, 'y'), true, false});
    j->append(r);
    written.push_back(std::move(r));
  }
  EXPECT_TRUE(j->healthy()) << j->error();
  j->close();
  const std::string bytes = read_file(j->path());
  EXPECT_GT(bytes.size(), 2 * append_mapping::chunk_size);
  EXPECT_EQ(bytes.find('\0'), std::string::npos);
  EXPECT_EQ(bytes.back(), '\n');
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty());
  ASSERT_EQ(jc.results.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) expect_same(*jc.results[i], written[i]);
}

// A death-test child inherits the journal (and its helper thread's handle, not the thread): its
// exit closes its copy without waiting for a thread it does not have, and leaves the file alone.
TEST(Journal, AForkedChildClosesItsCopyWithoutWaitingForTheHelper) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  test_result r = sample("Long", test_status::failed);
  r.parts.push_back({"/a.cpp", 1, "s", std::string(1000, 'z'), false, false});
  for (int i = 0; i < 3000; ++i) j->append(r);  // > half a chunk: the helper runs
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::alarm(20);  // a hang becomes SIGALRM, which the parent sees
    j.reset();
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  j->append(sample("After"));
  j->close();
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty());
  ASSERT_EQ(jc.results.size(), 2u);  // one id 3000 times is one result; then "After"
  EXPECT_EQ(jc.results[1]->name, "After");
}

run_plan three_planned_tests() {
  run_plan p;
  p.tests.push_back({"Suite", "Plain", false, "/src/t.cpp", 12});
  p.tests.push_back({"Inst/Values", "Works/0", false, "/src/values_test.cpp", 30, "42"});
  p.tests.push_back({"Typed/0", "Sorts", false, "", 0, "", "std::vector<int>"});
  p.tests.push_back({"Suite", "DISABLED_Later", true, "/src/t.cpp", 50});
  return p;
}

// A planned test's result line says "i" instead of its suite, name, file, line and parameters
// (about half the bytes the test thread writes); upload gets them back from the plan line.
TEST(Journal, ResultsOfPlannedTestsNameThemByIndex) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path(), header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  const run_plan plan = three_planned_tests();
  j->plan(plan);
  std::vector<test_result> written;
  for (std::size_t i = 0; i < 3; ++i) {
    test_result r = sample(str_cat("x", i));
    r.suite = plan.tests[i].suite;
    r.name = plan.tests[i].name;
    r.file = std::string(plan.tests[i].file);
    r.line = plan.tests[i].line;
    r.value_param = std::string(plan.tests[i].value_param);
    r.type_param = std::string(plan.tests[i].type_param);
    r.id.back() = static_cast<char>('a' + i);
    j->append(r, static_cast<std::int64_t>(i));
    written.push_back(r);
  }
  test_result unplanned = sample("SetUpTestSuite");
  unplanned.run_level = true;
  j->append(unplanned);      // not a planned test: written whole
  j->append(unplanned, 99);  // an index the plan does not have: written whole too
  written.push_back(unplanned);
  j->close();
  const std::string bytes = read_file(j->path());
  EXPECT_EQ(bytes.find("\"n\":\"Works/0\""), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("\"i\":1,"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("\"n\":\"SetUpTestSuite\""), std::string::npos) << bytes;
  journal_contents jc;
  ASSERT_TRUE(read_journal(j->path(), jc, error)) << error;
  EXPECT_TRUE(jc.warnings.empty());
  ASSERT_TRUE(jc.plan.sources);
  ASSERT_EQ(jc.plan.tests.size(), 4u);
  EXPECT_EQ(jc.plan.tests[3].file, "/src/t.cpp");
  EXPECT_EQ(jc.plan.tests[3].line, 50);
  EXPECT_TRUE(jc.plan.tests[3].disabled);
  ASSERT_EQ(jc.results.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) expect_same(*jc.results[i], written[i]);
}

// An index is only as good as the plan it points into: none, a short one or a malformed one
// makes the line unreadable, said once per line, and never a wrong test.
TEST(Journal, AnIndexWithoutAUsablePlanIsSkippedWithAWarning) {
  const std::string head = R"({"t":"h","v":1,"host":"h","pid":1,"start_ms":1,"binary":"b","systems":["qase"],"inc":0})";
  const std::string result =
      R"({"t":"r","id":"0b7c4d2e-1f3a-4c5b-9d6e-000000000001","i":1,"st":"passed","sm":1,"d":2})";
  const std::string plan_start = R"({"t":"plan","sh":-1,"of":0,"suites":[["S",["A","B"]]],"dis":[])";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"no plan", ""},
      {"plan without sources", plan_start + "}"},
      {"sources for one test of two", plan_start + R"(,"src":[[0,1]],"files":["a.cpp"]})"},
      {"file index out of range", plan_start + R"(,"src":[[0,1],[1,2]],"files":["a.cpp"]})"},
      {"not an array", plan_start + R"(,"src":[[0,1],7],"files":["a.cpp"]})"},
      {"parameter not a string", plan_start + R"(,"src":[[0,1],[0,2,5]],"files":["a.cpp"]})"},
  };
  for (const auto& [what, plan] : cases) {
    temp_dir dir;
    const std::string path = dir.path() + "/journal-h-1-1.jsonl";
    write_file(path, head + "\n" + (plan.empty() ? "" : plan + "\n") + result + "\n");
    journal_contents jc;
    std::string error;
    ASSERT_TRUE(read_journal(path, jc, error)) << what << ": " << error;
    EXPECT_TRUE(jc.results.empty()) << what;
    ASSERT_EQ(jc.warnings.size(), 1u) << what;
    EXPECT_NE(jc.warnings[0].find("names a test the journal's plan does not have"), std::string::npos)
        << what << ": " << jc.warnings[0];
  }
  // The same line with a usable plan: test B of a.cpp line 2.
  temp_dir dir;
  const std::string path = dir.path() + "/journal-h-1-1.jsonl";
  write_file(path, head + "\n" + plan_start + R"(,"src":[[0,1],[0,2,"p"]],"files":["a.cpp"]})" + "\n" + result + "\n");
  journal_contents jc;
  std::string error;
  ASSERT_TRUE(read_journal(path, jc, error)) << error;
  ASSERT_EQ(jc.results.size(), 1u);
  EXPECT_EQ(jc.results[0]->suite, "S");
  EXPECT_EQ(jc.results[0]->name, "B");
  EXPECT_EQ(jc.results[0]->file, "a.cpp");
  EXPECT_EQ(jc.results[0]->line, 2);
  EXPECT_EQ(jc.results[0]->value_param, "p");
}

TEST(Journal, RemoveDeletesTheFileAndTheDirectoriesItMade) {
  temp_dir dir;
  std::string error;
  auto j = journal::create(dir.path() + "/report/journal", header({"qase"}), error);
  ASSERT_TRUE(j) << error;
  j->append(sample("A"));
  EXPECT_TRUE(std::filesystem::exists(j->path()));
  EXPECT_TRUE(j->remove());
  EXPECT_FALSE(std::filesystem::exists(j->path()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/report"));
  EXPECT_TRUE(std::filesystem::exists(dir.path()));
}

TEST(Journal, RemoveKeepsDirectoriesOthersUse) {
  temp_dir dir;
  std::string error;
  auto mine = journal::create(dir.path() + "/journal", header({"qase"}), error);
  auto theirs = journal::create(dir.path() + "/journal", header({"qase"}), error);
  ASSERT_TRUE(mine && theirs) << error;
  EXPECT_TRUE(mine->remove());
  EXPECT_TRUE(std::filesystem::exists(theirs->path()));
  EXPECT_EQ(find_journals(dir.path() + "/journal"), std::vector<std::string>{theirs->path()});
}

TEST(Journal, TwoJournalsOfOneProcessGetDistinctFiles) {
  temp_dir dir;
  std::string error;
  journal_header h = header({"qase"});
  h.start_ms = 1234;
  auto a = journal::create(dir.path(), h, error);
  auto b = journal::create(dir.path(), h, error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_NE(a->path(), b->path());
  EXPECT_EQ(find_journals(dir.path()).size(), 2u);
  EXPECT_EQ(find_journals(a->path()), std::vector<std::string>{a->path()});
}

// A process stopped or killed while it makes its journal must not leave a file that looks like a
// journal without a header: the collector would wait on it and `upload` would call it unreadable,
// leaving the run open. A reader that lists the directory at any moment sees whole journals only.
TEST(Journal, AJournalIsVisibleOnlyWithItsHeader) {
  temp_dir dir;
  std::atomic<bool> done{false};
  std::atomic<int> seen{0};
  std::vector<std::string> headerless;
  std::thread reader([&] {
    for (int round = 0; round < 200000 && !done.load(); ++round) {
      for (const auto& f : find_journals(dir.path())) {
        journal_contents jc;
        std::string error;
        if (read_journal(f, jc, error)) {
          seen.fetch_add(1);
        } else if (error.find("no header") != std::string::npos && headerless.size() < 5) {
          headerless.push_back(f);
        }
      }
    }
  });
  std::string error;
  for (int i = 0; i < 300 && error.empty(); ++i) {
    // A first chunk of a 4000-test plan: the reservation widens the moment before the header.
    auto j = journal::create(dir.path(), header({"qase"}), error, 4000);
    if (j) j->remove();
  }
  done = true;
  reader.join();
  EXPECT_EQ(error, "");
  EXPECT_TRUE(headerless.empty()) << headerless.size() << " headerless, first " << headerless.front();
  EXPECT_TRUE(find_journals(dir.path()).empty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path(), ec)) << "a temporary file is left";
}

// What a process stopped while making its journal leaves: removed once no process holds it.
TEST(Journal, AbandonedJournalFilesAreRemovedUnlessHeld) {
  temp_dir dir;
  write_file(dir.path() + "/.journal-vm-1-2-0.making", std::string(64, '\0'));
  const std::string held = dir.path() + "/.journal-vm-3-4-0.making";
  write_file(held, "");
  int err = 0;
  const native_fd fd = open_file_rw(held, err);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(try_lock_file(fd), lock_result::locked);
  write_file(dir.path() + "/other.making", "");
  EXPECT_EQ(remove_abandoned_journal_files(dir.path()), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/.journal-vm-1-2-0.making"));
  EXPECT_TRUE(std::filesystem::exists(held));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/other.making"));
  close_file(fd);
  EXPECT_EQ(remove_abandoned_journal_files(dir.path()), 1u);
}

TEST(Journal, DirectoryFromSettings) {
  settings s;
  s.qase.report_path = "/r";
  EXPECT_EQ(journal_dir_for(s), "/r/journal");
  s.common.journal_dir = "/j";
  EXPECT_EQ(journal_dir_for(s), "/j");
  s.common.journal_dir = "off";
  EXPECT_EQ(journal_dir_for(s), "");
}

}  // namespace
}  // namespace gtest_tms::detail

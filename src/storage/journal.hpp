#pragma once
// Crash safety: every finished result is appended to a per-process journal file the moment it
// finishes, and every acknowledgement from a server is appended when it arrives. A SIGSEGV, abort()
// or exit() in the middle of a run therefore loses nothing: `gtest-tms upload` replays the journal
// and sends exactly the results a system has not acknowledged (Qase: with the same result ids).
//
// File: <dir>/journal-<host>-<pid>-<start_ms>.jsonl, one JSON object per line:
//   {"t":"h","v":1,"host":..,"pid":..,"start_ms":..,"binary":..,"systems":["qase","qasphere"]}
//   {"t":"r", ...one test_result, compact keys...}
//   {"t":"run","sys":"qase","id":5,"created":true}      the run the results belong to
//   {"t":"a","sys":"qase","ids":["<result id>",...]}   acknowledged (or safely in a fallback report)
//   {"t":"plan","sh":-1,"of":0,"suites":[["Suite",["A","B"]],...],"dis":[3]}   the selected tests, once
//   {"t":"s","i":7,"sm":..}                             test 7 of the plan started ("it": iteration)
//   {"t":"x","how":"SIGSEGV"}                           how the process died ("exit", a signal name)
//   {"t":"end"}                                         the process reached the end of its tests
// The header carries "inc":0, overwritten in place with 1 at the first failed write (no new space
// is needed for that), so a reader knows lines are missing. Journals of older versions have no
// plan, start, death or end lines and read as before.
// Never a token or any other setting value besides the system names.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "model/run_plan.hpp"
#include "model/test_result.hpp"
#include "model/tms.hpp"
#include "platform/append_mapping.hpp"

namespace gtest_tms::detail {

/// GTEST_TMS_JOURNAL_DIR, else <QASE_REPORT_CONNECTION_PATH>/journal; "" when the variable says
/// "off" (journaling disabled).
std::string journal_dir_for(const settings& s);

struct journal_header {
  std::string host;
  std::int64_t pid = 0;
  std::int64_t start_ms = 0;
  std::string binary;
  std::vector<std::string> systems;  // tags (model/tms.hpp) of the systems results were meant for
};

/// The tests a process is going to run, in order, as `upload` reads them back: "s" lines and
/// result lines refer to them by index.
struct journal_plan {
  struct entry {
    std::string suite;
    std::string name;
    bool disabled = false;  // a DISABLED_ test reported as skipped at the end of the iteration
    std::string file{};
    int line = 0;
    std::string value_param{};
    std::string type_param{};
  };
  std::vector<entry> tests;
  bool sources = false;  // file, line and parameters were read (result lines may then say "i")
  int shard_index = -1;
  int total_shards = 0;
  std::string creation_marker;  // run_plan::creation_marker: `upload` looks for the run it named
};

/// One open journal file. append()/ack()/run_started() may be called from different threads
/// (the test thread and the io thread); they never throw and never block on anything but a short
/// mutex.
///
/// Appends go into a MAP_SHARED mapping of pre-allocated file space: a memcpy instead of a
/// write() system call (a system call alone costs 1-2 us on virtualised CI machines, the whole
/// end-of-test budget). The pages belong to the kernel's page cache, so they reach the file
/// even when the process dies a moment later; there is no fsync (that would cost milliseconds
/// per test and only protects against power loss, which CI does not need). Space is reserved
/// with posix_fallocate before it is mapped, so a full disk makes the journal fall back to
/// pwrite() instead of raising SIGBUS; a helper thread prepares each next 2 MiB chunk
/// (platform/append_mapping.hpp). The file is trimmed to its content on close. Measured
/// (bench/journal_bench.cpp, -O2, 2-core VM): serialize + append of a passing test ~0.3 us CPU,
/// against 0.7-1.6 us for one write() call.
class journal {
 public:
  /// Creates <dir>/journal-<host>-<pid>-<start_ms>.jsonl (dir is created) and writes the header.
  /// Holds an exclusive flock() on it for the life of the process, so `upload` can tell a live
  /// journal from an abandoned one. nullptr and one line in `error` on failure. `expected_results`
  /// sizes the first mapped chunk (0: a full one): a one-test process under CTest would otherwise
  /// spend ~2.5 ms making 4 MiB writable for a few hundred bytes.
  static std::unique_ptr<journal> create(const std::string& dir, journal_header header, std::string& error,
                                         std::size_t expected_results = 0);
  /// Opens an existing journal to append acknowledgements (upload). Fails when another process
  /// holds it; a torn last line and the unused pre-allocated tail are cut off first.
  static std::unique_ptr<journal> open_existing(const std::string& path, std::string& error);

  ~journal();  // close()
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Test thread: one finished result. `plan_index` >= 0: it is of that test of plan(), whose
  /// suite, name, file, line and parameters it has (the line then names the test by index).
  void append(const test_result& r, std::int64_t plan_index = -1) noexcept;
  /// io thread: these results were acknowledged by `system` (or written to its fallback report).
  void ack(tms system, const std::vector<std::string_view>& ids) noexcept;
  void ack(tms system, const std::vector<std::shared_ptr<const test_result>>& results) noexcept;
  /// io thread: a request with these results is about to go to `system`, which has no idempotency
  /// key: after a crash, `upload` asks the server about them before sending them again.
  void sending(tms system, const std::vector<std::shared_ptr<const test_result>>& results) noexcept;
  /// io thread: the run results for `system` go to.
  void run_started(tms system, std::int64_t run_id, bool created) noexcept;
  /// Once, before the first test: what the process is going to run.
  void plan(const run_plan& p) noexcept;
  /// Test thread: test `index` of the plan starts (a few dozen bytes, no allocation).
  void started(std::uint32_t index, int iteration) noexcept;
  /// How the process is ending before its tests did ("exit", "SIGTERM"); not from a signal handler.
  void death(std::string_view how) noexcept;
  /// The tests are over: an upload must not report any test as lost.
  void ended() noexcept;
  /// Fatal signals: from now on on_fatal_signal() writes a death record into this journal
  /// (nullptr: into none). Only in the process that created it.
  static void arm_for_signals(journal* j) noexcept;
  /// Async-signal-safe: one death record with the signal's name, written with pwrite(2) at the
  /// end of the last complete line. Does nothing in another process (a forked child).
  static void on_fatal_signal(int sig) noexcept;

  /// Trims the file to its content and closes it (the file stays). Idempotent.
  void close() noexcept;
  /// close() and delete the file: nothing in it is needed any more. Directories create() made
  /// are removed too when they are empty (other processes' journals keep them).
  bool remove() noexcept;

  const std::string& path() const { return path_; }
  /// False once a write failed (the journal is then incomplete; the caller should say so).
  bool healthy() const;
  /// Why the first write failed ("" while healthy).
  std::string error() const;
  /// Results append() got into the file.
  std::size_t results_written() const;

 private:
  void id_line(const char* type, tms system, const std::vector<std::string_view>& ids) noexcept;
  journal(int fd, std::string path, std::size_t pos);
  void write_line(std::string_view line) noexcept;  // under mutex_
  void fail(int err) noexcept;                      // under mutex_: marks the file incomplete

  mutable std::mutex mutex_;
  int fd_ = -1;
  std::string path_;
  std::int64_t owner_pid_ = 0;          // a forked child must never trim the parent's file
  std::vector<std::string> made_dirs_;  // by create(), deepest first
  std::size_t pos_ = 0;                 // end of content (file offset)
  append_mapping map_;                  // (mutex_)
  bool use_map_ = true;                 // false after a failed mmap/fallocate: pwrite() from then on
  bool healthy_ = true;
  int error_ = 0;             // errno of the first failed write
  std::size_t inc_flag_ = 0;  // offset of the header's "inc" digit (0: none)
  std::size_t results_written_ = 0;
  std::atomic<std::size_t> planned_{0};  // tests plan() wrote: result lines may name them by index
  std::atomic<std::size_t> end_{0};      // pos_ after the last complete line, for the signal handler
};

/// The compact one-line form of a result used in the journal (no trailing newline). Exposed for
/// tests and the benchmark. Strings are kept byte for byte (no cleaning: the reader rebuilds the
/// exact record and cleaning happens when it is sent).
void serialize_journal_result(const test_result& r, std::string& out);

struct journal_run {
  std::int64_t id = 0;
  bool created = false;
};

/// What a journal file says, after replay.
struct journal_contents {
  std::string path;
  journal_header header;
  std::vector<std::shared_ptr<const test_result>> results;  // in order, unique by id
  std::map<std::string, std::set<std::string>> acked;       // system tag -> result ids
  std::map<std::string, std::set<std::string>> sent;        // system tag -> ids once in a request
  std::map<std::string, journal_run> runs;                  // system tag -> run
  std::vector<std::string> warnings;                        // one line per skipped line
  bool has_plan = false;
  journal_plan plan;
  std::int64_t last_started = -1;  // plan index of the last "s" line
  int last_started_iteration = 0;
  std::int64_t last_started_ms = 0;
  std::string death;        // from the "x" line: "SIGSEGV", "exit", ...; "" when none was written
  bool ended = false;       // an "end" line: the process finished its tests
  bool incomplete = false;  // a write failed: lines are missing

  /// Results `system` has not acknowledged, in journal order.
  std::vector<std::shared_ptr<const test_result>> unacknowledged(std::string_view system) const;
  /// True when every system in the header acknowledged every result.
  bool fully_acknowledged() const;
};

/// Reads a journal line by line, also while its process is still writing it (the collector, see
/// collector/collector.hpp, follows journals as they grow): only complete lines are taken.
class journal_reader {
 public:
  explicit journal_reader(std::string path);
  /// Takes the complete lines at the front of `data`; returns how many bytes they were.
  std::size_t feed(std::string_view data);
  /// The rest of a file that is complete (a torn last line is dropped silently).
  void finish(std::string_view rest);
  /// Reads `path` from `offset` up to its last complete line before the unwritten (zero) space,
  /// and moves `offset` past what it took. False (and `error`) when the file cannot be read.
  bool read_from(const std::string& path, std::size_t& offset, std::string& error);

  bool has_header() const { return have_header_; }
  const journal_contents& contents() const { return out_; }
  journal_contents& contents() { return out_; }

 private:
  void line(std::string_view line, bool last);

  journal_contents out_;
  bool have_header_ = false;
  std::set<std::string> seen_;
  std::size_t line_no_ = 0;
};

/// Reads one journal file. Tolerant: bad lines are skipped with a warning, a torn last line
/// (a crash mid-append) silently. False (and `error`) only when the file cannot be read at all or
/// has no valid header.
bool read_journal(const std::string& path, journal_contents& out, std::string& error);

/// The results a process that died before its "end" line never wrote: the test that was running
/// (failed, "the process died during this test (SIGSEGV)") and the selected tests that never ran
/// (blocked, "not run: the process died in Suite.Test"). Empty without a plan, with an end line or when incomplete.
std::vector<std::shared_ptr<const test_result>> results_lost_with_process(const journal_contents& c);

/// Writes results_lost_with_process(c) into the journal `j` of `c` (open_existing), then its end
/// line, and adds them to `c`, so every later reader sends the same results with the same ids.
/// Returns one line saying what was reported ("" when nothing was lost).
std::string record_lost_with_process(journal& j, journal_contents& c);

/// Removes the hidden files of journals whose making was cut short (their process was stopped or
/// killed before the journal had its header; see journal::create) in `dir`, when no process holds
/// them. Only for a directory no process starts in now (a drained spool). Returns how many.
std::size_t remove_abandoned_journal_files(const std::string& dir);
/// Journal files: `path` itself when it is a file, else the journal-*.jsonl files in it, sorted.
std::vector<std::string> find_journals(const std::string& path);

/// Rebuilds a result from its journal line (without the trailing newline). Exposed for tests.
bool parse_journal_result(std::string_view line, test_result& out, std::string& error);

}  // namespace gtest_tms::detail

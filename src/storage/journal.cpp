#include "storage/journal.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include <boost/json.hpp>

#include "model/limits.hpp"
#include "model/test_result_json.hpp"
#include "model/unfinished.hpp"
#include "platform/native_file.hpp"
#include "platform/process.hpp"
#include "platform/signals.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"
#include "util/uuid.hpp"

namespace gtest_tms::detail {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

std::string errno_text(int e) { return std::generic_category().message(e); }

// The journal fatal signals write into (see journal::arm_for_signals).
std::atomic<journal*> signal_journal{nullptr};

// --- compact serializer: a plain loop, no allocations beyond the reused buffer ---------------

// The test thread's buffer: raw pointer writes with one capacity check per token, growth out of
// line. std::string's out-of-line push_back/append per token cost more than the rest of a passing
// result's line. Uninitialised storage: a std::string resize would zero it first.
class line_buffer {
 public:
  line_buffer() = default;
  line_buffer(const line_buffer&) = delete;
  line_buffer& operator=(const line_buffer&) = delete;
  ~line_buffer() = default;

  void clear() { p_ = buf_.get(); }
  std::string_view view() const { return {buf_.get(), static_cast<std::size_t>(p_ - buf_.get())}; }

  void operator+=(char c) {
    if (p_ == end_) grow(1);
    *p_++ = c;
  }
  template <std::size_t N>
  void operator+=(const char (&z)[N]) {  // literals: a fixed-size copy the compiler inlines
    append(z, z + (N - 1));
  }
  void operator+=(std::string_view v) { append(v.data(), v.data() + v.size()); }
  void append(const char* b, const char* e) {
    const auto len = static_cast<std::size_t>(e - b);
    if (static_cast<std::size_t>(end_ - p_) < len) grow(len);
    std::memcpy(p_, b, len);
    p_ += len;
  }

 private:
  void grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(p_ - buf_.get());
    const std::size_t cap = std::max({std::size_t{512}, 2 * static_cast<std::size_t>(end_ - buf_.get()), used + n});
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (used > 0) std::memcpy(bigger.get(), buf_.get(), used);
    buf_ = std::move(bigger);
    p_ = buf_.get() + used;
    end_ = buf_.get() + cap;
  }

  std::unique_ptr<char[]> buf_;
  char* p_ = nullptr;
  char* end_ = nullptr;
};

// One byte per character: does it need an escape in a JSON string?
constexpr auto escape_table = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

// Whether any of 8 bytes is below 0x20, '"' or '\\' (exact; bytes >= 0x80 are not): the scan of
// a string that needs no escape goes 8 bytes at a time.
constexpr bool block_needs_escape(std::uint64_t x) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  const bool below_space = ((x - ones * 0x20) & ~x & highs) != 0;
  return below_space || has_zero(x ^ (ones * '"')) || has_zero(x ^ (ones * '\\'));
}

template <class Out>
void put_str(Out& o, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  o += '"';
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;
  for (; p != end; ++p) {
    while (end - p >= 8) {
      std::uint64_t block = 0;
      std::memcpy(&block, p, 8);
      if (block_needs_escape(block)) break;
      p += 8;
    }
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (!escape_table[c]) continue;
    o.append(run, p);
    run = p + 1;
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\t':
        o += "\\t";
        break;
      case '\r':
        o += "\\r";
        break;
      default:
        o += "\\u00";
        o += hex[c >> 4];
        o += hex[c & 0xF];
    }
  }
  o.append(run, end);
  o += '"';
}

template <class Out>
void put_int(Out& o, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  o.append(buf, r.ptr);
}

template <class Out>
void put_key(Out& o, std::string_view key) {
  o += ",\"";
  o += key;
  o += "\":";
}

template <class Out>
void put_str_field(Out& o, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  put_key(o, key);
  put_str(o, value);
}

template <class Out>
void put_steps(Out& o, const std::vector<step_record>& steps, std::size_t depth) {
  o += '[';
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const step_record& st = steps[i];
    if (i > 0) o += ',';
    o += "{\"st\":\"";
    o += to_string(st.status);
    o += '"';
    put_str_field(o, "a", st.action);
    put_str_field(o, "e", st.expected);
    put_key(o, "sm");
    put_int(o, st.start_ms);
    put_key(o, "d");
    put_int(o, st.duration_ms);
    if (!st.children.empty() && depth + 1 < max_stored_step_depth) {
      put_key(o, "ch");
      put_steps(o, st.children, depth + 1);
    }
    o += '}';
  }
  o += ']';
}

std::string sanitized_host() {
  const std::string name = host_name();
  if (name.empty()) return "host";
  std::string h;
  for (const char c : name) {
    if (h.size() >= 64) break;
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    h += ok ? c : '_';
  }
  return h.empty() ? std::string("host") : h;
}

std::string header_line(const journal_header& h) {
  std::string o = "{\"t\":\"h\",\"v\":1";
  put_key(o, "host");
  put_str(o, h.host);
  put_key(o, "pid");
  put_int(o, h.pid);
  put_key(o, "start_ms");
  put_int(o, h.start_ms);
  put_key(o, "binary");
  put_str(o, h.binary);
  put_key(o, "systems");
  o += '[';
  for (std::size_t i = 0; i < h.systems.size(); ++i) {
    if (i > 0) o += ',';
    put_str(o, h.systems[i]);
  }
  o += "],\"inc\":0}\n";  // "inc" last: its digit is overwritten in place (journal::fail)
  return o;
}

// The keys put_steps() and serialize_journal_result() write.
constexpr step_keys journal_step_keys{
    .action = "a", .expected = "e", .status = "st", .start = "sm", .duration = "d", .children = "ch"};
constexpr part_keys journal_part_keys{
    .file = "f", .line = "l", .summary = "s", .message = "m", .fatal = "fa", .skip = "sk"};

// `plan`: the journal's, for lines that name their test by index (nullptr: none read).
bool result_from_object(const json::object& o, const journal_plan* plan, test_result& r, std::string& error) {
  r = test_result{};
  r.id = string_member(o, "id");
  if (r.id.empty()) {
    error = "a result without an id";
    return false;
  }
  if (const json::value* i = o.if_contains("i")) {
    if (plan == nullptr || !plan->sources || !i->is_int64() || i->get_int64() < 0 ||
        static_cast<std::size_t>(i->get_int64()) >= plan->tests.size()) {
      error = "result " + r.id + " names a test the journal's plan does not have";
      return false;
    }
    const journal_plan::entry& t = plan->tests[static_cast<std::size_t>(i->get_int64())];
    r.suite = t.suite;
    r.name = t.name;
    r.value_param = t.value_param;
    r.type_param = t.type_param;
    r.file = t.file;
    r.line = t.line;
  } else {
    r.suite = string_member(o, "s");
    r.name = string_member(o, "n");
    r.value_param = string_member(o, "vp");
    r.type_param = string_member(o, "tp");
    r.file = string_member(o, "f");
    r.line = static_cast<int>(int_member(o, "l"));
  }
  if (r.suite.empty() || r.name.empty()) {
    error = "result " + r.id + " has no suite or name";
    return false;
  }
  if (!status_from(string_member(o, "st"), r.status)) {
    error = "result " + r.id + " has an unknown status";
    return false;
  }
  r.start_ms = int_member(o, "sm");
  r.duration_ms = int_member(o, "d");
  r.iteration = static_cast<int>(int_member(o, "it"));
  r.run_level = bool_member(o, "rl");
  r.type_repeats = bool_member(o, "trep");
  if (const json::value* at = o.if_contains("at"); at != nullptr && at->is_array()) {
    for (const auto& av : at->get_array()) {
      if (!av.is_object()) continue;
      const json::object& ao = av.get_object();
      attachment a;
      a.name = string_member(ao, "n");
      a.path = string_member(ao, "p");
      a.content = string_member(ao, "c");
      a.mime = string_member(ao, "m");
      a.size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_member(ao, "z")));
      r.attachments.push_back(std::move(a));
    }
  }
  if (const json::value* sp = o.if_contains("sp")) steps_from(*sp, journal_step_keys, r.steps);
  if (const json::value* no = o.if_contains("no")) strings_from(*no, r.notes);
  if (const json::value* q = o.if_contains("q"); q != nullptr && q->is_array()) {
    for (const auto& id : q->get_array()) {
      if (id.is_int64()) r.qase_ids.push_back(id.get_int64());
    }
  }
  if (const json::value* p = o.if_contains("p")) properties_from(*p, r.properties);
  if (const json::value* fp = o.if_contains("fp")) parts_from(*fp, journal_part_keys, r.parts);
  return true;
}

}  // namespace

// --- naming --------------------------------------------------------------------------------

std::string journal_dir_for(const settings& s) {
  const std::string& d = s.common.journal_dir;
  if (!d.empty()) {
    if (iequals(d, "off") || iequals(d, "none") || iequals(d, "false") || d == "0") return {};
    return d;
  }
  return s.qase.report_path + "/journal";
}

// --- serialization -------------------------------------------------------------------------

namespace {

template <class Out>
void serialize_result(const test_result& r, Out& o, std::int64_t plan_index) {
  o += "{\"t\":\"r\"";
  put_key(o, "id");
  put_str(o, r.id);
  if (plan_index >= 0) {  // suite, name, file, line and parameters are the plan's
    put_key(o, "i");
    put_int(o, plan_index);
  } else {
    put_key(o, "s");
    put_str(o, r.suite);
    put_key(o, "n");
    put_str(o, r.name);
    put_str_field(o, "vp", r.value_param);
    put_str_field(o, "tp", r.type_param);
    put_str_field(o, "f", r.file);
    if (r.line != 0) {
      put_key(o, "l");
      put_int(o, r.line);
    }
  }
  put_key(o, "st");
  o += '"';
  o += to_string(r.status);
  o += '"';
  put_key(o, "sm");
  put_int(o, r.start_ms);
  put_key(o, "d");
  put_int(o, r.duration_ms);
  if (r.iteration != 0) {
    put_key(o, "it");
    put_int(o, r.iteration);
  }
  if (r.run_level) o += ",\"rl\":true";
  if (r.type_repeats) o += ",\"trep\":true";
  if (!r.attachments.empty()) {
    put_key(o, "at");
    o += '[';
    for (std::size_t i = 0; i < r.attachments.size(); ++i) {
      const attachment& a = r.attachments[i];
      if (i > 0) o += ',';
      o += "{\"z\":";
      put_int(o, static_cast<std::int64_t>(a.size));
      put_str_field(o, "n", a.name);
      put_str_field(o, "p", a.path);
      put_str_field(o, "c", a.content);
      put_key(o, "m");
      put_str(o, a.mime);
      o += '}';
    }
    o += ']';
  }
  if (!r.steps.empty()) {
    put_key(o, "sp");
    put_steps(o, r.steps, 0);
  }
  if (!r.notes.empty()) {
    put_key(o, "no");
    o += '[';
    for (std::size_t i = 0; i < r.notes.size(); ++i) {
      if (i > 0) o += ',';
      put_str(o, r.notes[i]);
    }
    o += ']';
  }
  if (!r.qase_ids.empty()) {
    put_key(o, "q");
    o += '[';
    for (std::size_t i = 0; i < r.qase_ids.size(); ++i) {
      if (i > 0) o += ',';
      put_int(o, r.qase_ids[i]);
    }
    o += ']';
  }
  if (!r.properties.empty()) {
    put_key(o, "p");
    o += '[';
    for (std::size_t i = 0; i < r.properties.size(); ++i) {
      if (i > 0) o += ',';
      o += '[';
      put_str(o, r.properties[i].first);
      o += ',';
      put_str(o, r.properties[i].second);
      o += ']';
    }
    o += ']';
  }
  if (!r.parts.empty()) {
    put_key(o, "fp");
    o += '[';
    for (std::size_t i = 0; i < r.parts.size(); ++i) {
      const failure_part& p = r.parts[i];
      if (i > 0) o += ',';
      o += "{\"l\":";
      put_int(o, p.line);
      put_str_field(o, "f", p.file);
      put_str_field(o, "s", p.summary);
      put_str_field(o, "m", p.message);
      if (p.fatal) o += ",\"fa\":true";
      if (p.skip) o += ",\"sk\":true";
      o += '}';
    }
    o += ']';
  }
  o += '}';
}

}  // namespace

void serialize_journal_result(const test_result& r, std::string& o) {
  line_buffer b;
  b.clear();
  serialize_result(r, b, -1);
  o += b.view();
}

bool parse_journal_result(std::string_view line, test_result& out, std::string& error) {
  boost::system::error_code ec;
  const json::value v = parse_record_json(line, ec);
  if (ec || !v.is_object()) {
    error = "not a JSON object";
    return false;
  }
  return result_from_object(v.get_object(), nullptr, out, error);
}

// --- writer --------------------------------------------------------------------------------

namespace {
// A journal while it is being made (see journal::create).
constexpr std::string_view making_suffix = ".making";
}  // namespace

journal::journal(int fd, std::string path, std::size_t pos)
    : fd_(fd), path_(std::move(path)), owner_pid_(current_pid()), pos_(pos), map_(fd) {}

journal::~journal() { close(); }

std::unique_ptr<journal> journal::create(const std::string& dir, journal_header header, std::string& error,
                                         std::size_t expected_results) {
  // Directories that do not exist yet are made (and removed again with the journal).
  std::vector<std::string> made;
  std::error_code ec;
  for (fs::path p = fs::path(dir).lexically_normal(); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    made.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  if (header.host.empty()) header.host = sanitized_host();
  if (header.pid == 0) header.pid = current_pid();
  if (header.start_ms == 0) header.start_ms = now_epoch_ms();
  // Made under a name no reader lists, locked and given its header, and only then renamed to its
  // journal name: a process stopped or killed while it makes its journal leaves no headerless
  // journal for the collector to wait on or an upload to call unreadable (see
  // remove_abandoned_journal_files for the hidden file it may leave).
  const std::string stem =
      "journal-" + header.host + "-" + std::to_string(header.pid) + "-" + std::to_string(header.start_ms);
  int fd = -1;
  std::string making;
  int enoent = 0;
  for (int n = 0; n < 100 && fd < 0;) {
    fs::create_directories(dir, ec);
    if (ec) {
      error = "cannot create the journal directory " + dir + ": " + ec.message();
      return nullptr;
    }
    making = dir + "/." + stem + "-" + std::to_string(n) + std::string(making_suffix);
    int err = 0;
    fd = create_new_file(making, err);  // this process is the only writer
    if (fd >= 0) break;
    if (err == EEXIST) {
      ++n;
    } else if (err == ENOENT && ++enoent < 5) {
      // Another process removed the (then empty) directory just now: make it again.
    } else {
      error = "cannot create the journal " + making + ": " + errno_text(err);
      return nullptr;
    }
  }
  if (fd < 0) {
    error = "cannot create the journal in " + dir + ": too many files with the same name";
    return nullptr;
  }
  // Released by the kernel when the process dies, however it dies: marks the journal as live.
  if (try_lock_file(fd) != lock_result::locked) {
    // Not fatal (some file systems have no locks); upload then relies on the user's judgement.
  }
  std::unique_ptr<journal> j(new journal(fd, making, 0));
  if (expected_results > 0) {
    // The plan line and a result take well under 1 KiB per test: room for them and then some.
    constexpr std::size_t per_result = 1024;
    constexpr std::size_t base = std::size_t{64} * 1024;
    j->map_.first_chunk(expected_results < (append_mapping::chunk_size - base) / per_result
                            ? base + expected_results * per_result
                            : append_mapping::chunk_size);
  }
  j->made_dirs_ = std::move(made);
  const std::string head = header_line(header);
  j->write_line(head);
  j->inc_flag_ = head.size() - 3;
  if (!j->healthy()) {
    error = "cannot write the journal " + making;
    j->remove();
    return nullptr;
  }
  for (int n = 0; n < 100; ++n) {
    const std::string path = dir + "/" + stem + (n == 0 ? std::string() : "-" + std::to_string(n)) + ".jsonl";
    const int err = rename_no_replace(making, path);
    if (err == EEXIST) continue;
    if (err != 0) {
      error = "cannot name the journal " + path + ": " + errno_text(err);
      j->remove();
      return nullptr;
    }
    j->path_ = path;
    return j;
  }
  error = "cannot create the journal in " + dir + ": too many files with the same name";
  j->remove();
  return nullptr;
}

std::size_t remove_abandoned_journal_files(const std::string& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(".journal-", 0) != 0 || name.size() < making_suffix.size() ||
        name.compare(name.size() - making_suffix.size(), making_suffix.size(), making_suffix) != 0)
      continue;
    int err = 0;
    const native_fd fd = open_file_rw(it->path().string(), err);
    if (fd < 0) continue;
    // Locked: a process is making it right now.
    if (try_lock_file(fd) != lock_result::busy && remove_file(it->path().string())) ++removed;
    close_file(fd);
  }
  return removed;
}

std::unique_ptr<journal> journal::open_existing(const std::string& path, std::string& error) {
  int err = 0;
  const native_fd fd = open_file_rw(path, err);
  if (fd < 0) {
    error = "cannot open " + path + ": " + errno_text(err);
    return nullptr;
  }
  if (try_lock_file(fd) == lock_result::busy) {
    close_file(fd);
    error = path + " is in use by a running process";
    return nullptr;
  }
  // Keep everything up to the last complete line: drops the unused reserved space (zeros) and a
  // line torn by a crash, so appended lines start on a line of their own.
  std::size_t keep = 0;
  if (const std::int64_t size = file_size(fd); size > 0) {
    std::string buf(static_cast<std::size_t>(size), '\0');
    std::size_t got = 0;
    while (got < buf.size()) {
      const std::int64_t n = read_at(fd, buf.data() + got, buf.size() - got, got, err);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    buf.resize(got);
    const auto nl = buf.rfind('\n');
    keep = nl == std::string::npos ? 0 : nl + 1;
  }
  if (const int e = truncate_file(fd, keep); e != 0) {
    close_file(fd);
    error = "cannot update " + path + ": " + errno_text(e);
    return nullptr;
  }
  std::unique_ptr<journal> j(new journal(fd, path, keep));
  j->use_map_ = false;  // a handful of lines: plain writes are fine here
  return j;
}

bool journal::healthy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_;
}

std::string journal::error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return healthy_ ? std::string() : (error_ != 0 ? errno_text(error_) : std::string("out of memory"));
}

std::size_t journal::results_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return results_written_;
}

void journal::fail(int err) noexcept {
  if (!healthy_) return;
  healthy_ = false;
  error_ = err;
  // One byte inside the header needs no new space, so this works on a full disk too.
  if (inc_flag_ > 0 && fd_ >= 0 && owner_pid_ == current_pid()) {
    int ignored = 0;
    (void)write_at(fd_, "1", 1, inc_flag_, ignored);
  }
}

void journal::write_line(std::string_view line) noexcept {
  if (fd_ < 0 || !healthy_) return;
  if (use_map_) {
    if (char* dst = map_.at(pos_, line.size())) {
      std::memcpy(dst, line.data(), line.size());
      pos_ += line.size();
      end_.store(pos_, std::memory_order_release);
      return;
    }
    // No more mapping (no space to reserve, or no mmap on this file system): cut the reserved
    // zeros so plain writes continue right after the content.
    use_map_ = false;
    map_.release();
    if (const int e = truncate_file(fd_, pos_); e != 0) {
      fail(e);
      return;
    }
  }
  std::size_t done = 0;
  while (done < line.size()) {
    int err = 0;
    const std::int64_t n = write_at(fd_, line.data() + done, line.size() - done, pos_ + done, err);
    if (n <= 0) {
      // A short write is followed by this one (ENOSPC, EFBIG): the line is incomplete.
      fail(n < 0 ? err : ENOSPC);
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  pos_ += done;
  end_.store(pos_, std::memory_order_release);
}

void journal::append(const test_result& r, std::int64_t plan_index) noexcept {
  try {
    thread_local line_buffer buf;
    buf.clear();
    // planned_ only grows, once, before the first test: reading it early is safe.
    const bool by_index =
        plan_index >= 0 && static_cast<std::size_t>(plan_index) < planned_.load(std::memory_order_acquire);
    serialize_result(r, buf, by_index ? plan_index : -1);
    buf += '\n';
    std::lock_guard<std::mutex> lock(mutex_);
    write_line(buf.view());
    if (healthy_) ++results_written_;
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail(ENOMEM);  // bad_alloc: the journal no longer covers every result
  }
}

void journal::plan(const run_plan& p) noexcept {
  try {
    std::string o = "{\"t\":\"plan\",\"sh\":";
    put_int(o, p.shard_index);
    o += ",\"of\":";
    put_int(o, p.total_shards);
    // Grouped by suite: a suite name is written once, not once per test (100,000 tests ~ 2 MB).
    o += ",\"suites\":[";
    std::string dis;
    for (std::size_t i = 0; i < p.tests.size(); ++i) {
      const bool same = i > 0 && p.tests[i - 1].suite == p.tests[i].suite;
      if (!same) {
        if (i > 0) o += "]],";
        o += '[';
        put_str(o, p.tests[i].suite);
        o += ",[";
      } else {
        o += ',';
      }
      put_str(o, p.tests[i].name);
      if (p.tests[i].disabled) {
        if (!dis.empty()) dis += ',';
        put_int(dis, static_cast<std::int64_t>(i));
      }
    }
    if (!p.tests.empty()) o += "]]";
    o += "],\"dis\":[";
    o += dis;
    o += ']';
    // Where each test is defined and its parameters: its result lines then say only "i" (half the
    // bytes of a passing test's line, written on the test thread). Files are written once each.
    std::unordered_map<std::string_view, std::size_t> file_index;
    std::string files;
    o += ",\"src\":[";
    for (std::size_t i = 0; i < p.tests.size(); ++i) {
      const planned_test& t = p.tests[i];
      const auto [it, added] = file_index.emplace(t.file, file_index.size());
      if (added) {
        if (it->second > 0) files += ',';
        put_str(files, t.file);
      }
      if (i > 0) o += ',';
      o += '[';
      put_int(o, static_cast<std::int64_t>(it->second));
      o += ',';
      put_int(o, t.line);
      if (!t.value_param.empty() || !t.type_param.empty()) {
        o += ',';
        put_str(o, t.value_param);
      }
      if (!t.type_param.empty()) {
        o += ',';
        put_str(o, t.type_param);
      }
      o += ']';
    }
    o += "],\"files\":[";
    o += files;
    o += ']';
    put_str_field(o, "mk", p.creation_marker);
    o += "}\n";
    std::lock_guard<std::mutex> lock(mutex_);
    write_line(o);
    if (healthy_) planned_ = p.tests.size();
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail(ENOMEM);
  }
}

void journal::started(std::uint32_t index, int iteration) noexcept {
  char buf[96];
  char* p = buf;
  const auto lit = [&p](const char* s) {
    while (*s != '\0') *p++ = *s++;
  };
  lit("{\"t\":\"s\",\"i\":");
  p = std::to_chars(p, buf + 32, index).ptr;
  if (iteration != 0) {
    lit(",\"it\":");
    p = std::to_chars(p, buf + 56, iteration).ptr;
  }
  lit(",\"sm\":");
  p = std::to_chars(p, buf + 90, now_epoch_ms()).ptr;
  lit("}\n");
  std::lock_guard<std::mutex> lock(mutex_);
  write_line(std::string_view(buf, static_cast<std::size_t>(p - buf)));
}

void journal::death(std::string_view how) noexcept {
  try {
    std::string o = "{\"t\":\"x\",\"how\":";
    put_str(o, how);
    o += "}\n";
    std::lock_guard<std::mutex> lock(mutex_);
    write_line(o);
  } catch (...) {
  }
}

void journal::ended() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  write_line("{\"t\":\"end\"}\n");
}

void journal::arm_for_signals(journal* j) noexcept { signal_journal.store(j); }

void journal::on_fatal_signal(int sig) noexcept {
  journal* j = signal_journal.load();
  if (j == nullptr || j->fd_ < 0 || j->owner_pid_ != current_pid()) return;
  // Pre-formatted on the stack; the leading newline ends a line the crash may have torn.
  char buf[64];
  std::size_t n = 0;
  const auto lit = [&](const char* s) {
    while (*s != '\0' && n < sizeof buf) buf[n++] = *s++;
  };
  lit("\n{\"t\":\"x\",\"how\":\"");
  lit(signal_name(sig));
  lit("\"}\n");
  const std::size_t at = j->end_.load(std::memory_order_acquire);
  std::size_t done = 0;
  for (int tries = 0; done < n && tries < 8; ++tries) {
    int err = 0;
    const std::int64_t w = write_at(j->fd_, buf + done, n - done, at + done, err);
    if (w <= 0) break;
    done += static_cast<std::size_t>(w);
  }
}

namespace {

std::vector<std::string_view> ids_of(const std::vector<std::shared_ptr<const test_result>>& results) {
  std::vector<std::string_view> ids;
  ids.reserve(results.size());
  for (const auto& r : results)
    if (r) ids.push_back(r->id);
  return ids;
}

}  // namespace

void journal::ack(tms system, const std::vector<std::string_view>& ids) noexcept { id_line("a", system, ids); }

void journal::sending(tms system, const std::vector<std::shared_ptr<const test_result>>& results) noexcept {
  try {
    id_line("w", system, ids_of(results));
  } catch (...) {
  }
}

void journal::id_line(const char* type, tms system, const std::vector<std::string_view>& ids) noexcept {
  if (ids.empty()) return;
  try {
    std::string o = "{\"t\":\"";
    o += type;
    o += "\",\"sys\":";
    put_str(o, tag(system));
    o += ",\"ids\":[";
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i > 0) o += ',';
      put_str(o, ids[i]);
    }
    o += "]}\n";
    std::lock_guard<std::mutex> lock(mutex_);
    write_line(o);
  } catch (...) {
    // A lost ack only means a resend later, which the same result id makes harmless for Qase.
  }
}

void journal::ack(tms system, const std::vector<std::shared_ptr<const test_result>>& results) noexcept {
  try {
    ack(system, ids_of(results));
  } catch (...) {
  }
}

void journal::run_started(tms system, std::int64_t run_id, bool created) noexcept {
  if (run_id <= 0) return;
  try {
    std::string o = "{\"t\":\"run\",\"sys\":";
    put_str(o, tag(system));
    o += ",\"id\":";
    put_int(o, run_id);
    o += created ? ",\"created\":true}\n" : ",\"created\":false}\n";
    std::lock_guard<std::mutex> lock(mutex_);
    write_line(o);
  } catch (...) {
  }
}

void journal::close() noexcept {
  if (signal_journal.load() == this) signal_journal.store(nullptr);
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) return;
  map_.release();
  if (owner_pid_ == current_pid()) (void)truncate_file(fd_, pos_);  // the reader skips a zero tail anyway
  close_file(fd_);                                                  // also releases the lock
  fd_ = -1;
}

bool journal::remove() noexcept {
  if (owner_pid_ != current_pid()) return false;
  close();
  const bool ok = remove_file(path_);
  for (const auto& d : made_dirs_) {
    if (!remove_empty_dir(d)) break;  // not empty: another process still uses it
  }
  return ok;
}

// --- reader --------------------------------------------------------------------------------

std::vector<std::shared_ptr<const test_result>> journal_contents::unacknowledged(std::string_view system) const {
  std::vector<std::shared_ptr<const test_result>> out;
  const auto it = acked.find(std::string(system));
  for (const auto& r : results) {
    if (it == acked.end() || it->second.count(r->id) == 0) out.push_back(r);
  }
  return out;
}

bool journal_contents::fully_acknowledged() const {
  for (const auto& s : header.systems) {
    if (!unacknowledged(s).empty()) return false;
  }
  return true;
}

namespace {

// The plan's "src" and "files": [file index, line(, value param(, type param))] per test. Only a
// complete, well-formed list lets result lines name their test by index.
void read_plan_sources(const json::object& o, journal_plan& plan) {
  const json::value* src = o.if_contains("src");
  const json::value* files = o.if_contains("files");
  if (src == nullptr || files == nullptr || !src->is_array() || !files->is_array()) return;
  const json::array& list = src->get_array();
  const json::array& names = files->get_array();
  if (list.size() != plan.tests.size()) return;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json::array* a = list[i].if_array();
    if (a == nullptr || a->size() < 2 || a->size() > 4 || !(*a)[0].is_int64() || !(*a)[1].is_int64()) return;
    const std::int64_t f = (*a)[0].get_int64();
    if (f < 0 || static_cast<std::size_t>(f) >= names.size() || !names[static_cast<std::size_t>(f)].is_string()) return;
    for (std::size_t k = 2; k < a->size(); ++k)
      if (!(*a)[k].is_string()) return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json::array& a = list[i].get_array();
    journal_plan::entry& t = plan.tests[i];
    t.file = std::string(names[static_cast<std::size_t>(a[0].get_int64())].get_string());
    t.line = static_cast<int>(std::clamp<std::int64_t>(a[1].get_int64(), INT_MIN, INT_MAX));
    if (a.size() > 2) t.value_param = std::string(a[2].get_string());
    if (a.size() > 3) t.type_param = std::string(a[3].get_string());
  }
  plan.sources = true;
}

}  // namespace

journal_reader::journal_reader(std::string path) { out_.path = std::move(path); }

void journal_reader::line(std::string_view line, bool last) {
  ++line_no_;
  // Reserved but never written space reads as zeros.
  while (!line.empty() && line.front() == '\0') line.remove_prefix(1);
  while (!line.empty() && line.back() == '\0') line.remove_suffix(1);
  if (line.empty()) return;
  boost::system::error_code ec;
  const json::value v = parse_record_json(line, ec);
  if (ec || !v.is_object()) {
    // Without its newline the line was being written when the process died: expected.
    if (!last)
      out_.warnings.push_back(out_.path + ":" + std::to_string(line_no_) + ": skipped a line that is not JSON");
    return;
  }
  const json::object& o = v.get_object();
  const std::string t = string_member(o, "t");
  if (t == "h") {
    if (have_header_) return;
    have_header_ = true;
    out_.header.host = string_member(o, "host");
    out_.header.pid = int_member(o, "pid");
    out_.header.start_ms = int_member(o, "start_ms");
    out_.header.binary = string_member(o, "binary");
    if (const json::value* s = o.if_contains("systems")) strings_from(*s, out_.header.systems);
    out_.incomplete = int_member(o, "inc") != 0;
  } else if (t == "s") {
    out_.last_started = int_member(o, "i");
    out_.last_started_iteration = static_cast<int>(int_member(o, "it"));
    out_.last_started_ms = int_member(o, "sm");
  } else if (t == "x") {
    out_.death = string_member(o, "how");
  } else if (t == "end") {
    out_.ended = true;
  } else if (t == "plan") {
    if (out_.has_plan) return;
    out_.has_plan = true;
    out_.plan.shard_index = static_cast<int>(int_member(o, "sh"));
    out_.plan.total_shards = static_cast<int>(int_member(o, "of"));
    if (const json::value* mk = o.if_contains("mk"); mk != nullptr && mk->is_string())
      out_.plan.creation_marker = std::string(mk->get_string());
    if (const json::value* suites = o.if_contains("suites"); suites != nullptr && suites->is_array()) {
      for (const auto& sv : suites->get_array()) {
        const json::array* pair = sv.if_array();
        if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_array()) return;
        const std::string suite((*pair)[0].get_string());
        for (const auto& n : (*pair)[1].get_array())
          if (n.is_string()) out_.plan.tests.push_back({suite, std::string(n.get_string()), false});
      }
    }
    if (const json::value* dis = o.if_contains("dis"); dis != nullptr && dis->is_array()) {
      for (const auto& d : dis->get_array())
        if (d.is_int64() && d.get_int64() >= 0 && static_cast<std::size_t>(d.get_int64()) < out_.plan.tests.size())
          out_.plan.tests[static_cast<std::size_t>(d.get_int64())].disabled = true;
    }
    read_plan_sources(o, out_.plan);
  } else if (t == "r") {
    auto r = std::make_shared<test_result>();
    std::string why;
    if (!result_from_object(o, out_.has_plan ? &out_.plan : nullptr, *r, why)) {
      out_.warnings.push_back(out_.path + ":" + std::to_string(line_no_) + ": skipped: " + why);
      return;
    }
    if (!seen_.insert(r->id).second) return;
    out_.results.push_back(std::move(r));
  } else if (t == "a" || t == "w") {
    const std::string sys = string_member(o, "sys");
    const json::value* ids = o.if_contains("ids");
    if (sys.empty() || ids == nullptr || !ids->is_array()) {
      out_.warnings.push_back(out_.path + ":" + std::to_string(line_no_) + ": skipped a malformed " +
                              (t == "a" ? "acknowledgement" : "in-flight record"));
      return;
    }
    auto& set = t == "a" ? out_.acked[sys] : out_.sent[sys];
    for (const auto& id : ids->get_array())
      if (id.is_string()) set.emplace(id.get_string());
  } else if (t == "run") {
    const std::string sys = string_member(o, "sys");
    const std::int64_t id = int_member(o, "id");
    if (!sys.empty() && id > 0) out_.runs[sys] = journal_run{id, bool_member(o, "created")};
  } else {
    out_.warnings.push_back(out_.path + ":" + std::to_string(line_no_) + ": skipped a line of unknown type");
  }
}

std::size_t journal_reader::feed(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size()) {
    const std::size_t nl = data.find('\n', used);
    if (nl == std::string_view::npos) break;
    line(data.substr(used, nl - used), false);
    used = nl + 1;
  }
  return used;
}

void journal_reader::finish(std::string_view rest) {
  if (!rest.empty()) line(rest, true);
}

bool journal_reader::read_from(const std::string& path, std::size_t& offset, std::string& error) {
  int err = 0;
  const native_fd fd = open_file_read(path, err);
  if (fd < 0) {
    error = "cannot read " + path + ": " + errno_text(err);
    return false;
  }
  // Small reads: a live journal's content usually ends within the first chunk, and what follows
  // is reserved space (zeros) that would only be copied to be thrown away. A line longer than a
  // chunk is completed by the next ones.
  constexpr std::size_t chunk = std::size_t{64} << 10;
  std::string buf;
  std::size_t pos = offset;
  for (int round = 0; round < 1024; ++round) {  // at most 64 MiB a call: the next call goes on
    const std::size_t old = buf.size();
    buf.resize(old + chunk);
    const std::int64_t n = read_at(fd, buf.data() + old, chunk, pos, err);
    if (n <= 0) {
      buf.resize(old);
      break;
    }
    buf.resize(old + static_cast<std::size_t>(n));
    pos += static_cast<std::size_t>(n);
    const std::size_t zero = buf.find('\0', old);
    const bool at_end = zero != std::string::npos;
    if (at_end) buf.resize(zero);
    const std::size_t used = feed(buf);
    offset += used;
    buf.erase(0, used);
    if (at_end) break;
  }
  close_file(fd);
  return true;
}

bool read_journal(const std::string& path, journal_contents& out, std::string& error) {
  std::string data;
  if (int err = 0; !read_whole_file(path, data, err)) {
    out = journal_contents{};
    out.path = path;
    error = "cannot read " + path + ": " + errno_text(err);
    return false;
  }
  journal_reader reader(path);
  reader.finish(std::string_view(data).substr(reader.feed(data)));
  if (!reader.has_header()) {
    out = journal_contents{};
    out.path = path;
    error = path + " is not a gtest-tms journal (no header line)";
    return false;
  }
  out = std::move(reader.contents());
  return true;
}

std::vector<std::shared_ptr<const test_result>> results_lost_with_process(const journal_contents& c) {
  // An incomplete journal may lack results that were delivered: reporting them lost would double them.
  if (!c.has_plan || c.ended || c.incomplete) return {};
  std::set<std::tuple<std::string, std::string, int>> have;
  for (const auto& r : c.results) have.emplace(r->suite, r->name, r->iteration);
  const int it = c.last_started_iteration;
  const bool known = c.last_started >= 0 && static_cast<std::size_t>(c.last_started) < c.plan.tests.size();
  const journal_plan::entry* running = known ? &c.plan.tests[static_cast<std::size_t>(c.last_started)] : nullptr;
  if (running != nullptr && have.count({running->suite, running->name, it}) > 0) running = nullptr;

  // No death line: nothing could write one (kill -9, OOM killer, power loss).
  const std::string during = c.death.empty() ? std::string("the process was killed during this test")
                             : c.death == "exit"
                                 ? std::string("the process exited during this test (exit() was called)")
                                 : "the process died during this test (" + c.death + ")";
  const std::string verb = c.death.empty()     ? std::string("the process was killed")
                           : c.death == "exit" ? std::string("the process exited")
                                               : "the process died (" + c.death + ")";
  unfinished_texts how;
  how.during = during;
  how.iteration = it;
  how.start_ms = c.last_started_ms;
  how.disabled_too = it == 0;
  std::string last_name;
  if (running != nullptr) last_name = running->suite + "." + running->name;
  how.not_run = running != nullptr ? "not run: " + verb.substr(0, verb.find(" (")) + " in " + last_name
                                   : "not run: " + verb + " before this test";
  const std::int64_t index = running != nullptr ? running - c.plan.tests.data() : -1;
  return unfinished_results(
      c.plan.tests, index,
      [&](std::size_t i) {
        return have.count({c.plan.tests[i].suite, c.plan.tests[i].name, it}) > 0;
      },
      how);
}

std::string record_lost_with_process(journal& j, journal_contents& c) {
  const auto lost = results_lost_with_process(c);
  if (lost.empty()) return {};
  for (const auto& r : lost) {
    j.append(*r);
    c.results.push_back(r);
  }
  j.ended();
  c.ended = true;
  const bool failed_one = lost.front()->status == test_status::failed;
  const std::size_t not_run = lost.size() - (failed_one ? 1 : 0);
  return (failed_one ? lost.front()->parts.front().message + ": " + lost.front()->full_name() + " reported as failed, "
                     : std::string()) +
         std::to_string(not_run) + (not_run == 1 ? " test that never ran" : " tests that never ran") +
         " reported as not run";
}

std::vector<std::string> find_journals(const std::string& path) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return out;
  }
  if (!fs::is_directory(path, ec)) return out;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("journal-", 0) == 0 && name.size() > 6 && name.substr(name.size() - 6) == ".jsonl" &&
        it->is_regular_file(ec))
      out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace gtest_tms::detail

#include "listener/test_context.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include "gtest_tms/gtest_tms.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

namespace {

// [from, to) of the result's parts: a failure makes the step failed, a skip skipped.
test_status status_of(const testing::TestResult* r, int from, bool unwinding) {
  if (unwinding) return test_status::failed;  // an exception is leaving the step
  if (r == nullptr) return test_status::passed;
  bool skipped = false;
  const int to = r->total_part_count();
  for (int i = from; i < to; ++i) {
    const testing::TestPartResult& p = r->GetTestPartResult(i);
    if (p.failed()) return test_status::failed;
    if (p.skipped()) skipped = true;
  }
  return skipped ? test_status::skipped : test_status::passed;
}

const testing::TestResult* running_result() noexcept {
  const testing::TestInfo* info = testing::UnitTest::GetInstance()->current_test_info();
  return info != nullptr ? info->result() : nullptr;
}

}  // namespace

test_context& test_context::instance() noexcept {
  static test_context ctx;
  return ctx;
}

void test_context::begin() noexcept {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  thread_ = std::this_thread::get_id();
  nodes_.clear();
  top_ = -1;
  dropped_attachments_ = 0;
  dropped_steps_ = 0;
  data_ = {};
  lists_.clear();
  active_.store(true, std::memory_order_release);
}

std::string test_context::add_to_list(const std::string& key, const std::vector<std::string>& items) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = std::find_if(lists_.begin(), lists_.end(), [&](const auto& l) { return l.first == key; });
  if (it == lists_.end()) it = lists_.insert(lists_.end(), {key, {}});
  for (const auto& item : items) {
    std::string v(trim(item));
    if (!v.empty() && std::find(it->second.begin(), it->second.end(), v) == it->second.end())
      it->second.push_back(std::move(v));
  }
  return join(it->second, ',');
}

bool test_context::admit_attachment_locked(const std::string& name) {
  (void)name;
  if (data_.attachments.size() < max_attachments_per_test) return true;
  ++dropped_attachments_;
  return false;
}

void test_context::add_file(const std::string& path) {
  if (!active() || path.empty()) return;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  const bool regular = fs::is_regular_file(p, ec);
  const std::uintmax_t size = regular ? fs::file_size(p, ec) : 0;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_.load(std::memory_order_relaxed)) return;
  const std::string shown = clean_text(path, 512);
  if (!regular || ec) {
    data_.notes.push_back("attachment " + shown + " not found or not a regular file");
    return;
  }
  if (size > max_attachment_bytes) {
    data_.notes.push_back("attachment " + shown + " is larger than 32 MB and was not sent");
    return;
  }
  if (!admit_attachment_locked(path)) return;
  attachment a;
  a.name = p.filename().string();
  a.path = fs::absolute(p, ec).string();
  if (ec) a.path = path;
  a.size = size;
  a.mime = "application/octet-stream";
  data_.attachments.push_back(std::move(a));
}

void test_context::add_content(const std::string& name, std::string content, const std::string& mime) {
  if (!active()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_.load(std::memory_order_relaxed)) return;
  const std::string shown = name.empty() ? std::string("attachment.txt") : clean_text(name, 255);
  if (content.size() > max_attachment_bytes) {
    data_.notes.push_back("attachment " + shown + " is larger than 32 MB and was not sent");
    return;
  }
  if (!admit_attachment_locked(shown)) return;
  attachment a;
  a.name = shown;
  a.size = content.size();
  a.content = std::move(content);
  a.mime = mime.empty() ? std::string("application/octet-stream") : clean_text(mime, 255);
  data_.attachments.push_back(std::move(a));
}

long test_context::open_step(std::string action, std::string expected, const testing::TestResult* result,
                             unsigned long& test) {
  if (!active()) return -1;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_.load(std::memory_order_relaxed) || std::this_thread::get_id() != thread_) return -1;
  std::size_t depth = 0;
  for (long i = top_; i >= 0; i = nodes_[static_cast<std::size_t>(i)].parent) ++depth;
  if (nodes_.size() >= max_steps_per_test || depth >= max_step_depth) {
    ++dropped_steps_;
    return -1;
  }
  node n;
  n.record.action = std::move(action);
  n.record.expected = std::move(expected);
  n.record.start_ms = now_epoch_ms();
  n.parent = top_;
  n.parts_at_open = result != nullptr ? result->total_part_count() : 0;
  n.uncaught_at_open = std::uncaught_exceptions();
  nodes_.push_back(std::move(n));
  top_ = static_cast<long>(nodes_.size()) - 1;
  test = generation_;
  return top_;
}

void test_context::close_locked(long id, const testing::TestResult* result, bool unwinding) {
  // Closing an outer step first closes whatever is still open inside it.
  while (top_ >= 0) {
    node& n = nodes_[static_cast<std::size_t>(top_)];
    n.open = false;
    n.record.status = status_of(result, n.parts_at_open, unwinding && std::uncaught_exceptions() > n.uncaught_at_open);
    n.record.duration_ms = std::max<std::int64_t>(0, now_epoch_ms() - n.record.start_ms);
    const long closed = top_;
    top_ = n.parent;
    if (closed == id) break;
  }
}

void test_context::close_step(long id, unsigned long test, const testing::TestResult* result) {
  if (id < 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!active_.load(std::memory_order_relaxed) || test != generation_ || std::this_thread::get_id() != thread_) return;
  if (static_cast<std::size_t>(id) >= nodes_.size() || !nodes_[static_cast<std::size_t>(id)].open) return;
  close_locked(id, result, true);
}

test_context_data test_context::end(const testing::TestResult* result) {
  std::lock_guard<std::mutex> lock(mutex_);
  active_.store(false, std::memory_order_release);
  close_locked(-1, result, false);
  // Children are always after their parent: build bottom-up so each subtree is complete when moved.
  std::vector<std::vector<step_record>> children(nodes_.size());
  std::vector<step_record> roots;
  for (std::size_t i = nodes_.size(); i-- > 0;) {
    node& n = nodes_[i];
    n.record.children.assign(std::make_move_iterator(children[i].rbegin()),
                             std::make_move_iterator(children[i].rend()));
    if (n.parent >= 0) {
      children[static_cast<std::size_t>(n.parent)].push_back(std::move(n.record));
    } else {
      roots.push_back(std::move(n.record));
    }
  }
  test_context_data out = std::move(data_);
  out.steps.assign(std::make_move_iterator(roots.rbegin()), std::make_move_iterator(roots.rend()));
  if (dropped_attachments_ > 0)
    out.notes.push_back(plural(dropped_attachments_, "attachment", "attachments") + " dropped (at most " +
                        std::to_string(max_attachments_per_test) + " per test)");
  if (dropped_steps_ > 0)
    out.notes.push_back(plural(dropped_steps_, "step", "steps") + " not recorded (at most " +
                        std::to_string(max_steps_per_test) + " per test, " + std::to_string(max_step_depth) +
                        " levels deep)");
  nodes_.clear();
  data_ = {};
  lists_.clear();
  return out;
}

std::vector<std::string> split_attach_property(const std::string& value) {
  std::vector<std::string> out;
  for (const auto& part : split_list(value, ';')) {
    std::string p(trim(part));
    if (!p.empty()) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace gtest_tms::detail

// --- public API (include/gtest_tms/gtest_tms.hpp) ----------------------------------------------

namespace gtest_tms {

using detail::test_context;

void attach(const std::string& path) noexcept {
  try {
    test_context::instance().add_file(path);
  } catch (...) {
  }
}

void attach(const std::string& name, const std::string& content, const std::string& mime) noexcept {
  try {
    if (!test_context::instance().active()) return;  // no copy of the content when off
    test_context::instance().add_content(name, content, mime);
  } catch (...) {
  }
}

step::step(std::string action, std::string expected) noexcept {
  try {
    test_context& ctx = test_context::instance();
    if (!ctx.active()) return;
    id_ = ctx.open_step(std::move(action), std::move(expected), detail::running_result(), test_);
  } catch (...) {
    id_ = -1;
  }
}

step::~step() {
  if (id_ < 0) return;
  try {
    test_context::instance().close_step(id_, test_, detail::running_result());
  } catch (...) {
  }
}

}  // namespace gtest_tms

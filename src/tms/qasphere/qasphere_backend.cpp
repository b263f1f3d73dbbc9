#include "tms/qasphere/qasphere_backend.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "gtest_tms/version.hpp"
#include "net/multipart.hpp"
#include "tms/qasphere/markers.hpp"
#include "tms/qasphere/qasphere_mapping.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

namespace {

namespace json = boost::json;

constexpr std::string_view default_description = "Test run created through automation pipeline";
constexpr std::int64_t seq_page_limit = 5000;  // the server's cap per page
constexpr int max_seq_pages = 100;             // bounds the paging loop against a server ignoring offset
constexpr std::size_t max_examples = 3;

std::optional<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  return v;
}

/// The server's {"message": "..."}, or empty.
std::string server_message(const http_response& r) {
  const auto v = parse_json(r.body);
  if (!v || !v->is_object()) return {};
  const json::value* m = v->as_object().if_contains("message");
  if (!m || !m->is_string()) return {};
  return std::string(m->as_string());
}

/// One line: no line breaks, bounded.
std::string one_line(std::string_view text, std::size_t max_bytes) {
  std::string s = clean_text(text, max_bytes);
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return std::string(trim(s));
}

/// A paginated `data` or a `tcases` array; null (which the server sends for empty) is empty.
const json::array* array_field(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const json::value* a = v.as_object().if_contains(key);
  return a && a->is_array() ? &a->as_array() : nullptr;
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

/// "conflicting run id: N" at the end of a message (the CLI's /conflicting run id: (\d+)$/).
std::optional<std::int64_t> conflicting_run_id(std::string_view message) {
  message = trim(message);
  constexpr std::string_view key = "conflicting run id:";
  const std::size_t at = message.rfind(key);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view rest = trim(message.substr(at + key.size()));
  if (rest.empty() || rest.front() < '0' || rest.front() > '9') return std::nullopt;  // (\d+): no sign
  return parse_int(rest, 1, std::numeric_limits<std::int64_t>::max());
}

// The documented success answers (qasphere-api.md §5): a 2xx without its shape (a proxy's HTML
// page, "not json") confirms nothing.
bool is_object_answer(const http_response& r) {
  const auto v = parse_json(r.body);
  return v && v->is_object();
}

// An object whose `key` is an array, or null (the server's empty array).
bool has_array_or_null(const http_response& r, std::string_view key) {
  const auto v = parse_json(r.body);
  if (!v || !v->is_object()) return false;
  const json::value* a = v->as_object().if_contains(key);
  return a != nullptr && (a->is_array() || a->is_null());
}

bool confirms_run_created(const http_request&, const http_response& r) {
  const auto v = parse_json(r.body);
  if (!v || !v->is_object()) return false;
  const auto id = int_field(v->as_object(), "id");
  return id && *id > 0;
}

std::string example_name(std::string_view code) {
  // A letters-only code can be written hyphen-free: TestBd001Login.
  bool letters = !code.empty();
  for (char c : code) letters = letters && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  if (!letters) return "TestBd001Login";
  std::string s = "Test";
  s += code.front();
  s += to_lower(code.substr(1));
  return s + "001Login";
}

std::string count_of(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// --- the backend ----------------------------------------------------------------------------------

class qasphere_backend final : public backend {
 public:
  qasphere_backend(qasphere_settings s, common_settings c, qasphere_backend_hooks h)
      : settings_(std::move(s)), common_(std::move(c)), hooks_(std::move(h)) {
    project_path_ = settings_.project;
    code_ = upper_ascii(settings_.project);
    base_ = settings_.url;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  tms system() const override { return tms::qasphere; }

  // The server allows 20 requests/s per key. A sliding window of 20 in any 1.05 s lets a whole run's
  // requests (5,000 results are ~14) go at once, where a token bucket under 20 in any second paced
  // them one per 66 ms after a burst of 4; the 50 ms is slack for arrival jitter.
  rate_limit limit() const override { return {20.0 / 1.05, 20.0, true}; }

  std::size_t batch_size() const override {
    return settings_.batch_size > 0 ? static_cast<std::size_t>(settings_.batch_size) : 500;
  }
  bool idempotent_results() const override { return false; }  // no idempotency key exists

  void start(requester& r, const run_plan& plan, std::function<void(std::string)> done) override;
  void add(const std::shared_ptr<const test_result>& result, std::vector<outbound_item>& out) override;
  void flush_held(std::vector<outbound_item>& out) override;
  bool needs_preparation(const outbound_item& item) const override;
  void prepare(requester& r, std::vector<outbound_item>& batch,
               std::function<void(std::vector<std::string>)> done) override;
  http_request make_batch(const std::vector<outbound_item*>& items) override;
  bool confirms_batch(const http_request& request, const http_response& response, std::size_t items) const override;
  std::string describe_error(const http_response& response) const override;
  void finish(requester& r, bool complete, std::function<void(run_finish)> done) override;

  std::string run_link() const override {
    if (run_id_ <= 0) return {};
    return base_ + "/project/" + encoded_project() + "/run/" + std::to_string(run_id_);
  }
  std::int64_t run_id() const override { return run_id_; }
  // The test case page of the result's marker (qasphere-api.md: {base}/project/{CODE}/tcase/{seq}).
  // The marker as map_result() reads it, under the project path run_link() uses.
  std::string case_link(const test_result& r) const override {
    const auto m = extract_marker(r.name, code_);
    if (!m) return {};
    return base_ + "/project/" + encoded_project() + "/tcase/" + std::to_string(m->seq);
  }
  std::size_t not_sent_count() const override { return not_sent_ + dropped_; }
  std::string status_name(test_status s) const override { return qasphere_status(s); }

 private:
  enum class phase { idle, starting, ready, off, failed };

  // start() steps, each continuing in the response handler of the previous one.
  void check_project();
  void resolve_markers(std::int64_t offset, int page);
  void create_run();
  void post_run();
  void adopt_run(std::int64_t id);
  void find_marked_run(std::function<void(std::int64_t)> found);
  void read_run_cases(bool created_by_conflict);
  bool already_stored(const outbound_item& item) const override;
  void started();
  void stop_reporting(std::string why);  // reporting off: nothing of this run is for QA Sphere
  void fail_start(std::string why);

  http_request request(std::string method, const std::string& path, std::string body) const;
  void send(http_request req, bool idempotent, confirm_check confirms, response_handler handler);
  std::string encoded_project() const { return boost::urls::encode(project_path_, boost::urls::unreserved_chars); }
  std::string redact(std::string text) const;
  std::string project_check_error(const http_response& r) const;
  std::string request_error(const http_response& r, const std::string& doing) const;
  std::string markers_examples(const std::vector<int>& seqs) const;

  void map_result(const std::shared_ptr<const test_result>& r, std::vector<outbound_item>& out);

  struct file_upload {
    struct file_ref {
      std::size_t item;
      const attachment* a;
    };
    requester* req = nullptr;
    std::vector<outbound_item>* batch = nullptr;
    std::vector<file_ref> files;
    std::size_t next = 0;
    std::vector<std::vector<std::pair<std::string, std::string>>> links;  // per item: name, url
    std::vector<std::size_t> failed;                                      // per item
    std::vector<std::string> why;                                         // per item, the last failure
    std::vector<std::string> warnings;
    std::function<void(std::vector<std::string>)> done;
  };
  void send_files(const std::shared_ptr<file_upload>& u);
  static void append_comment(outbound_item& item, const std::string& html);
  void drain_backlog(std::vector<outbound_item>& out);
  void note_attempt(const test_result& r);
  outbound_item fold(int seq, std::vector<std::shared_ptr<const test_result>> rs, std::size_t expected) const;

  qasphere_settings settings_;
  common_settings common_;
  qasphere_backend_hooks hooks_;
  std::string base_;          // QAS_URL without trailing slashes
  std::string project_path_;  // project code as used in paths (configured, or detected)
  std::string code_;          // upper-case code for markers

  phase phase_ = phase::idle;
  requester* requester_ = nullptr;
  std::function<void(std::string)> start_done_;
  std::size_t planned_total_ = 0;
  std::map<int, std::size_t> planned_;    // seq -> planned instances per iteration
  std::map<int, std::string> case_ids_;   // seq -> case id, from /tcase/seq
  std::map<int, std::string> run_cases_;  // seq -> case id, for cases of the run we report to
  std::vector<std::string> notes_;        // for the summary (unknown markers, other projects)
  std::string marker_;                    // run_plan::creation_marker
  bool find_first_ = false;               // run_plan::find_created_run
  bool reposted_ = false;                 // the creation was sent again after a lookup found no run
  std::set<std::string> fate_unknown_;    // run_plan::fate_unknown
  std::set<std::string> stored_cases_;    // ids of the joined run's cases that have a result
  std::int64_t run_id_ = 0;
  bool created_run_ = false;
  bool sharded_ = false;
  int shards_ = 0;

  std::vector<std::shared_ptr<const test_result>> backlog_;                              // arrived while starting
  std::map<std::pair<int, int>, std::vector<std::shared_ptr<const test_result>>> held_;  // (seq, iteration)
  // Flaky tests: failed attempts per test (full name) since its last pass, across --gtest_repeat
  // iterations and the collector's processes of `ctest --repeat until-pass`; and the passes that
  // ended such a streak, by result id, with their attempt count.
  std::map<std::string, int> failed_attempts_;
  std::map<std::string, int> passed_in_attempts_;
  std::size_t not_sent_ = 0;
  std::size_t dropped_ = 0;  // folded before start() finished, then found not to be in the run
};

// --- requests -------------------------------------------------------------------------------------

http_request qasphere_backend::request(std::string method, const std::string& path, std::string body) const {
  http_request req;
  req.method = std::move(method);
  req.url = base_ + "/api/public/v0" + path;
  req.headers.push_back(
      {"Authorization",
       std::string(settings_.auth == qas_auth_scheme::bearer ? "Bearer " : "ApiKey ") + settings_.token});
  req.headers.push_back({"Accept", "application/json"});
  req.headers.push_back({"User-Agent", "gtest-tms-reporter/" GTEST_TMS_VERSION_STRING});
  // A body-less POST (close) gets no Content-Type: some servers refuse an empty JSON body.
  if (!body.empty()) req.content_type = "application/json";
  req.body = std::move(body);
  return req;
}

void qasphere_backend::send(http_request req, bool idempotent, confirm_check confirms, response_handler handler) {
  requester_->send(std::move(req), idempotent, std::move(confirms), std::move(handler));
}

std::string qasphere_backend::redact(std::string text) const {
  const std::string& t = settings_.token;
  if (t.size() < 4) return text;
  for (std::size_t at = text.find(t); at != std::string::npos; at = text.find(t, at)) {
    text.replace(at, t.size(), "****");
    at += 4;
  }
  return text;
}

std::string qasphere_backend::describe_error(const http_response& response) const {
  try {
    if (response.error != net_error::none) {
      std::string m = response.error_message.empty() ? std::string(to_string(response.error)) : response.error_message;
      return redact(one_line(m, 400));
    }
    std::string out = "HTTP " + std::to_string(response.status);
    if (response.unconfirmed) out += " without the documented success answer";
    std::string msg = server_message(response);
    if (msg.empty()) msg = response.body;
    msg = one_line(msg, 300);
    if (!msg.empty()) out += ": " + msg;
    return redact(std::move(out));
  } catch (...) {
    return "HTTP " + std::to_string(response.status);
  }
}

std::string qasphere_backend::request_error(const http_response& r, const std::string& doing) const {
  if (r.error == net_error::none && r.status == 401) {
    std::string msg = one_line(server_message(r), 300);
    return redact("QA Sphere rejected QAS_TOKEN: " + (msg.empty() ? std::string("HTTP 401") : msg));
  }
  return "QA Sphere: " + doing + ": " + describe_error(r);
}

std::string qasphere_backend::project_check_error(const http_response& r) const {
  if (r.error == net_error::none) {
    std::string msg = one_line(server_message(r), 300);
    if (msg.empty()) msg = "HTTP " + std::to_string(r.status);
    switch (r.status) {
      case 401:
        return request_error(r, "");
      case 403:
        return redact("QA Sphere tenant suspended, or QAS_TOKEN may not use this API (HTTP 403: " + msg + ")");
      case 400:
        return redact("QAS_TOKEN belongs to another QA Sphere domain than QAS_URL (" + base_ + "): " + msg);
      case 404:
        return "QA Sphere project '" + one_line(project_path_, 64) +
               "' not found (QAS_PROJECT_CODE or the markers' project code)";
      default:
        break;
    }
  }
  return request_error(r, "could not check project '" + one_line(project_path_, 64) + "' at " + base_);
}

std::string qasphere_backend::markers_examples(const std::vector<int>& seqs) const {
  std::string s;
  for (std::size_t i = 0; i < seqs.size() && i < max_examples; ++i) {
    if (i > 0) s += ", ";
    s += marker{code_, seqs[i]}.text();
  }
  if (seqs.size() > max_examples) s += ", ...";
  return s;
}

// --- start ----------------------------------------------------------------------------------------

void qasphere_backend::start(requester& r, const run_plan& plan, std::function<void(std::string)> done) {
  requester_ = &r;
  start_done_ = std::move(done);
  phase_ = phase::starting;
  shards_ = plan.total_shards;
  marker_ = plan.creation_marker;
  find_first_ = plan.find_created_run;
  fate_unknown_ = plan.fate_unknown;
  sharded_ = plan.total_shards > 1;
  planned_total_ = plan.tests.size();

  // The project code: configured, else the first marker's (as the CLI does).
  if (code_.empty()) {
    for (const planned_test& t : plan.tests) {
      if (auto m = extract_marker(t.name, "")) {
        code_ = m->project;
        project_path_ = m->project;
        break;
      }
    }
  }
  if (code_.empty()) {
    stop_reporting("no QA Sphere markers in the " + std::to_string(plan.tests.size()) +
                   " tests of this run (e.g. TEST(Suite, TestBd001Login)); QA Sphere reporting is off");
    return;
  }
  std::size_t other_projects = 0;
  std::string other_example;
  for (const planned_test& t : plan.tests) {
    if (auto m = extract_marker(t.name, code_)) {
      ++planned_[m->seq];
    } else if (auto other = extract_marker(t.name, "")) {
      ++other_projects;
      if (other_example.empty()) other_example = other->text();
    }
  }
  if (planned_.empty()) {
    std::string none = "no QA Sphere markers of project " + code_ + " in the " + std::to_string(plan.tests.size()) +
                       " tests of this run (e.g. TEST(Suite, " + example_name(code_) + "))";
    if (!settings_.run_id) {
      // Say so when the tests do carry markers, only of another project (QAS_PROJECT_CODE wrong?).
      if (other_projects > 0)
        none += ", but " + count_of(other_projects, "test") + " with markers of another project (e.g. " +
                one_line(other_example, 64) + ")";
      stop_reporting(none + "; QA Sphere reporting is off");
      return;
    }
    // A given run is still joined, so finish() can close it (`gtest-tms run complete` has no tests).
    if (!plan.tests.empty()) notes_.push_back(none);
  }
  if (other_projects > 0) {
    notes_.push_back(count_of(other_projects, "test") + " with markers of another project (e.g. " +
                     one_line(other_example, 64) + ") are not reported: only project " + code_ + " is" +
                     (settings_.project.empty() ? " (the first code found; set QAS_PROJECT_CODE to choose)" : ""));
  }
  check_project();
}

void qasphere_backend::check_project() {
  if (settings_.run_id && run_verified(common_, tag(tms::qasphere), *settings_.run_id)) {
    // `run create` checked the project a moment ago (the run file says so); the run's cases are
    // still read: they map markers to the run's entries.
    run_id_ = *settings_.run_id;
    return read_run_cases(false);
  }
  send(
      request("GET", "/project/" + encoded_project(), {}), true,
      [](const http_request&, const http_response& r) { return is_object_answer(r); },
      [this](http_response r) {
        if (!r.ok()) return fail_start(project_check_error(r));
        if (settings_.run_id) {
          run_id_ = *settings_.run_id;
          return read_run_cases(false);
        }
        resolve_markers(0, 0);
      });
}

void qasphere_backend::resolve_markers(std::int64_t offset, int page) {
  json::array seq_ids;
  for (const auto& [seq, count] : planned_) seq_ids.emplace_back(marker{code_, seq}.text());
  json::object body;
  body["seqIds"] = std::move(seq_ids);
  body["offset"] = offset;
  body["limit"] = seq_page_limit;
  send(
      request("POST", "/project/" + encoded_project() + "/tcase/seq", json::serialize(body)), true,
      [](const http_request&, const http_response& r) { return has_array_or_null(r, "data"); },
      [this, offset, page](http_response r) {
        if (!r.ok()) return fail_start(request_error(r, "could not look up the test cases of project " + code_));
        const auto v = parse_json(r.body);
        if (!v) return fail_start("QA Sphere: the test case lookup answered with invalid JSON: " + describe_error(r));
        std::size_t rows = 0;
        std::size_t fresh = 0;
        if (const json::array* data = array_field(*v, "data")) {
          rows = data->size();
          for (const json::value& e : *data) {
            if (!e.is_object()) continue;
            const auto seq = int_field(e.as_object(), "seq");
            std::string id = string_field(e.as_object(), "id");
            if (!seq || id.empty() || *seq < 0 || *seq > INT32_MAX) continue;
            const int s = static_cast<int>(*seq);
            if (planned_.count(s) && !case_ids_.count(s)) {
              case_ids_[s] = std::move(id);
              ++fresh;
            }
          }
        }
        // A full page may have more behind it, unless every planned marker is already resolved.
        if (rows == static_cast<std::size_t>(seq_page_limit) && fresh > 0 && case_ids_.size() < planned_.size() &&
            page + 1 < max_seq_pages)
          return resolve_markers(offset + seq_page_limit, page + 1);

        std::vector<int> unknown;
        for (const auto& [seq, count] : planned_) {
          if (!case_ids_.count(seq)) unknown.push_back(seq);
        }
        if (case_ids_.empty()) {
          return stop_reporting("none of the " + std::to_string(planned_.size()) + " QA Sphere markers of this run (" +
                                markers_examples(unknown) + ") exist in project " + code_ +
                                "; QA Sphere reporting is off");
        }
        if (!unknown.empty()) {
          notes_.push_back(count_of(unknown.size(), "marker") + " not found in project " + code_ + " (" +
                           markers_examples(unknown) + "); their tests are not reported");
        }
        create_run();
      });
}

// `upload` after a crash: the crashed process may have created the run without learning its id.
void qasphere_backend::create_run() {
  if (!find_first_ || marker_.empty()) return post_run();
  find_marked_run([this](std::int64_t id) {
    if (id > 0) return adopt_run(id);
    post_run();
  });
}

void qasphere_backend::adopt_run(std::int64_t id) {
  run_id_ = id;
  created_run_ = true;  // ours: closed at the end like one whose answer arrived
  notes_.push_back("found run " + std::to_string(id) + ", created earlier, whose creation answer was lost");
  read_run_cases(false);
}

// The open runs (qasphere-api.md, "List runs"), searched for our marker in the description.
void qasphere_backend::find_marked_run(std::function<void(std::int64_t)> found) {
  send(
      request("GET", "/project/" + encoded_project() + "/run?closed=false", {}), true,
      [](const http_request&, const http_response& r) { return has_array_or_null(r, "runs"); },
      [this, found = std::move(found)](http_response r) {
        if (!r.ok()) return found(0);
        const auto v = parse_json(r.body);
        if (const json::array* runs = v ? array_field(*v, "runs") : nullptr) {
          for (const json::value& e : *runs) {
            if (!e.is_object()) continue;
            const json::value* closed = e.as_object().if_contains("closed");
            if (closed != nullptr && closed->is_bool() && closed->get_bool()) continue;
            const json::value* d = e.as_object().if_contains("description");
            const auto id = int_field(e.as_object(), "id");
            if (d != nullptr && d->is_string() && id && *id > 0 &&
                std::string_view(d->get_string()).find(marker_) != std::string_view::npos)
              return found(*id);
          }
        }
        found(0);
      });
}

void qasphere_backend::post_run() {
  const std::int64_t now = hooks_.now_epoch_ms ? hooks_.now_epoch_ms() : now_epoch_ms();
  const int offset = hooks_.utc_offset_minutes ? *hooks_.utc_offset_minutes : local_utc_offset_minutes(now);
  std::string title = format_run_title(settings_.run_title, now, hooks_.env, offset);
  title = truncate_utf8(clean_text(title, 1024), 255, "");
  if (trim(title).empty()) title = format_run_title("", now, hooks_.env, offset);
  std::string description = settings_.run_description.empty()
                                ? std::string(default_description)
                                : truncate_utf8(clean_text(settings_.run_description, 2048),
                                                512 - (marker_.empty() ? 0 : marker_.size() + 2));
  if (!marker_.empty()) description += "\n\n" + marker_;  // finds the run again if the answer is lost

  json::array ids;
  for (const auto& [seq, id] : case_ids_) ids.emplace_back(id);
  json::object plan;
  plan["tcaseIds"] = std::move(ids);
  json::object body;
  body["title"] = title;
  body["description"] = description;
  body["type"] = "static_struct";
  body["queryPlans"] = json::array{std::move(plan)};

  send(request("POST", "/project/" + encoded_project() + "/run", json::serialize(body)), false, confirms_run_created,
       [this](http_response r) {
         if (r.ok()) {
           const auto v = parse_json(r.body);
           std::optional<std::int64_t> id;
           if (v && v->is_object()) id = int_field(v->as_object(), "id");
           if (!id || *id <= 0)
             return fail_start("QA Sphere created a run but did not say its id: " + describe_error(r));
           run_id_ = *id;
           created_run_ = true;
           run_cases_ = case_ids_;
           return started();
         }
         // Like the CLI: a title clash names the existing run, which we then join (match on the text;
         // the status is 403 in the CLI's mock, unverified).
         if (r.error == net_error::none) {
           if (auto existing = conflicting_run_id(server_message(r))) {
             run_id_ = *existing;
             notes_.push_back("joined run " + std::to_string(run_id_) + ", which already had this title");
             return read_run_cases(true);
           }
           if (r.status == 403)
             return fail_start(redact("QA Sphere refused to create a run in project " + code_ +
                                      " (QAS_TOKEN needs the Test Runner role or higher): " + describe_error(r)));
         }
         // No answer, a gateway's 5xx or a 2xx that confirms nothing: the run may exist.
         std::string error = request_error(r, "could not create a run in project " + code_);
         const bool refused = r.error == net_error::none && r.status >= 400 && r.status < 500;
         if (refused || marker_.empty()) return fail_start(std::move(error));
         // Not there: the request never reached the server, so sending it again (once) is safe.
         find_marked_run([this, error = std::move(error)](std::int64_t id) {
           if (id > 0) return adopt_run(id);
           if (std::exchange(reposted_, true)) return fail_start(error);
           post_run();
         });
       });
}

void qasphere_backend::read_run_cases(bool created_by_conflict) {
  const std::string path = "/project/" + encoded_project() + "/run/" + std::to_string(run_id_) + "/tcase";
  send(
      request("GET", path, {}), true,
      [](const http_request&, const http_response& r) { return has_array_or_null(r, "tcases"); },
      [this, created_by_conflict](http_response r) {
        if (!r.ok()) {
          if (r.error == net_error::none && r.status == 404)
            return fail_start("QA Sphere run " + std::to_string(run_id_) + " not found in project " + code_ +
                              (created_by_conflict ? std::string() : std::string(" (QAS_RUN_ID or QAS_RUN_URL)")));
          return fail_start(request_error(r, "could not read the test cases of run " + std::to_string(run_id_)));
        }
        const auto v = parse_json(r.body);
        if (!v) return fail_start("QA Sphere: the run's test case list was not JSON: " + describe_error(r));
        if (const json::array* cases = array_field(*v, "tcases")) {
          for (const json::value& e : *cases) {
            if (!e.is_object()) continue;
            const auto seq = int_field(e.as_object(), "seq");
            std::string id = string_field(e.as_object(), "id");
            if (!seq || id.empty() || *seq < 0 || *seq > INT32_MAX) continue;
            // "open": no result yet. Anything else: a result is stored (qasphere-api.md, RunTCase).
            if (const std::string st = string_field(e.as_object(), "status"); !st.empty() && st != "open")
              stored_cases_.insert(id);
            if (planned_.count(static_cast<int>(*seq))) run_cases_[static_cast<int>(*seq)] = std::move(id);
          }
        }
        if (planned_.empty()) return started();  // joined only to finish it
        std::vector<int> missing;
        for (const auto& [seq, count] : planned_) {
          // Markers already reported as unknown to the project are not repeated here.
          if (!run_cases_.count(seq) && (!created_by_conflict || case_ids_.count(seq))) missing.push_back(seq);
        }
        if (run_cases_.empty()) {
          const std::string run = std::to_string(run_id_);
          run_id_ = 0;  // nothing will be sent to it
          return stop_reporting("none of the " + std::to_string(planned_.size()) + " QA Sphere markers of this run (" +
                                markers_examples(missing) + ") are test cases of run " + run + " in project " + code_ +
                                "; QA Sphere reporting is off");
        }
        if (!missing.empty()) {
          notes_.push_back(count_of(missing.size(), "marker") + " (" + markers_examples(missing) + ")" +
                           (missing.size() == 1 ? " is not a test case" : " are not test cases") + " of run " +
                           std::to_string(run_id_) + "; their tests are not reported");
        }
        started();
      });
}

void qasphere_backend::started() {
  phase_ = phase::ready;
  auto done = std::move(start_done_);
  if (done) done(std::string());
}

void qasphere_backend::stop_reporting(std::string why) {
  phase_ = phase::off;
  auto done = std::move(start_done_);
  if (done) done(redact(std::move(why)));
}

void qasphere_backend::fail_start(std::string why) {
  phase_ = phase::failed;
  auto done = std::move(start_done_);
  if (done) done(redact(std::move(why)));
}

// --- results --------------------------------------------------------------------------------------

outbound_item qasphere_backend::fold(int seq, std::vector<std::shared_ptr<const test_result>> rs,
                                     std::size_t expected) const {
  outbound_item item;
  const bool known = phase_ == phase::ready;
  item.value = qasphere_result_json(known ? run_cases_.at(seq) : std::string(), rs, expected);
  // Case ids are strings: until start() knows this one, the marker's seq stands in (make_batch()
  // resolves it; by then start() has finished).
  if (!known) item.value["tcaseId"] = seq;
  if (!settings_.upload_attachments) {
    std::size_t files = 0;
    for (const auto& r : rs) files += r->attachments.size();
    append_comment(item, qasphere_attachments_html({}, files, "QAS_UPLOAD_ATTACHMENTS=false", 1024));
  }
  // As qas-cli notes a flaky test ("passed in N attempts"): a pass after failed attempts of the test.
  for (const auto& r : rs) {
    const auto it = passed_in_attempts_.find(r->id);
    if (it == passed_in_attempts_.end()) continue;
    append_comment(item, qasphere_flaky_html(*r, it->second, qasphere_single_instance(rs.size(), expected)));
  }
  // As the CLI sends links: {text, url} only (qasphere-api.md 5.8).
  json::array links;
  if (!settings_.ci_job_url.empty()) links.push_back(json::object{{"text", "CI job"}, {"url", settings_.ci_job_url}});
  if (hooks_.qase_run_link) {
    if (std::string qase = hooks_.qase_run_link(); !qase.empty())
      links.push_back(json::object{{"text", "Qase run"}, {"url", std::move(qase)}});
  }
  if (!links.empty()) item.value["links"] = std::move(links);
  if (qasphere_single_instance(rs.size(), expected)) {
    item.label = rs.front()->full_name();
  } else {
    item.label =
        marker{code_, seq}.text() + " (" + std::to_string(rs.size()) + " instances of " + rs.front()->full_name() + ")";
  }
  item.sources = std::move(rs);
  return item;
}

void qasphere_backend::map_result(const std::shared_ptr<const test_result>& r, std::vector<outbound_item>& out) {
  if (phase_ == phase::off || phase_ == phase::idle || code_.empty()) {
    ++not_sent_;
    return;
  }
  if (qasphere_run_log_worthy(*r)) {
    // A failure no test case carries: an entry of the run log, as qas-cli writes them.
    outbound_item item;
    item.value = qasphere_run_log_json(*r);
    item.label = r->full_name() + " (run log)";
    item.sources = {r};
    item.alone = true;
    out.push_back(std::move(item));
    return;
  }
  const auto m = extract_marker(r->name, code_);
  if (!m) {
    ++not_sent_;
    return;
  }
  note_attempt(*r);
  if (phase_ == phase::ready && !run_cases_.count(m->seq)) {
    ++not_sent_;
    return;
  }
  if (phase_ == phase::failed) {
    // Never sent: the item only carries the result to the pipeline's fallback accounting.
    out.push_back(fold(m->seq, {r}, 1));
    return;
  }
  const auto planned = planned_.find(m->seq);
  const std::size_t expected = planned == planned_.end() ? 1 : std::max<std::size_t>(1, planned->second);
  const auto key = std::make_pair(m->seq, r->iteration);
  auto& group = held_[key];
  group.push_back(r);
  if (group.size() >= expected) {
    auto rs = std::move(group);
    held_.erase(key);
    out.push_back(fold(m->seq, std::move(rs), expected));
  }
}

void qasphere_backend::note_attempt(const test_result& r) {
  if (counts_as_failed(r.status)) {
    ++failed_attempts_[r.full_name()];
  } else if (r.status == test_status::passed && !failed_attempts_.empty()) {  // no name built for most passes
    const auto it = failed_attempts_.find(r.full_name());
    if (it == failed_attempts_.end()) return;
    passed_in_attempts_[r.id] = it->second + 1;
    failed_attempts_.erase(it);
  }
}

void qasphere_backend::drain_backlog(std::vector<outbound_item>& out) {
  if (backlog_.empty()) return;
  auto pending = std::move(backlog_);
  backlog_.clear();
  for (const auto& r : pending) map_result(r, out);
}

void qasphere_backend::add(const std::shared_ptr<const test_result>& result, std::vector<outbound_item>& out) {
  if (!result) return;
  // Until start() knows the run's cases, results wait (normally well under a second).
  if (phase_ == phase::starting) {
    backlog_.push_back(result);
    return;
  }
  drain_backlog(out);
  map_result(result, out);
}

// Sent before, answer lost, and the run shows a result for the case: that request was stored.
bool qasphere_backend::already_stored(const outbound_item& item) const {
  if (fate_unknown_.empty()) return false;
  const json::value* tcase = item.value.if_contains("tcaseId");  // the case id; its seq before start() ended
  std::string id;
  if (tcase != nullptr && tcase->is_string()) id = std::string(tcase->get_string());
  if (tcase != nullptr && tcase->is_int64())
    if (const auto it = run_cases_.find(static_cast<int>(tcase->get_int64())); it != run_cases_.end()) id = it->second;
  if (id.empty() || stored_cases_.count(id) == 0) return false;
  return std::all_of(item.sources.begin(), item.sources.end(),
                     [this](const auto& s) { return s && fate_unknown_.count(s->id) > 0; });
}

void qasphere_backend::flush_held(std::vector<outbound_item>& out) {
  // Still starting at teardown (a short test binary): fold now with placeholder ids that
  // make_batch() resolves, since the pipeline sends nothing before start() has finished.
  drain_backlog(out);
  for (auto& [key, group] : held_) {
    if (group.empty()) continue;
    const auto planned = planned_.find(key.first);
    const std::size_t expected = planned == planned_.end() ? 1 : std::max<std::size_t>(1, planned->second);
    out.push_back(fold(key.first, std::move(group), expected));
  }
  held_.clear();
}

// --- attachments (POST /file/batch) ---------------------------------------------------------------

void qasphere_backend::append_comment(outbound_item& item, const std::string& html) {
  if (html.empty()) return;
  json::value& c = item.value["comment"];
  std::string text = c.is_string() ? std::string(c.get_string()) : std::string();
  c = text + html;
}

bool qasphere_backend::needs_preparation(const outbound_item& item) const {
  return settings_.upload_attachments && std::any_of(item.sources.begin(), item.sources.end(),
                                                     [](const auto& s) { return s && !s->attachments.empty(); });
}

namespace {
// qasphere-api.md, "Upload files": at most 100 files per request and 50 MiB per file; like qas-cli,
// at most 100 MiB per request (the server takes 500).
constexpr std::size_t qasphere_max_files_per_upload = 100;
constexpr std::uint64_t qasphere_max_upload_bytes = std::uint64_t{100} * 1024 * 1024;

// {"files":[{"id","url"}, ...]} in request order; empty unless every entry has a URL.
std::vector<std::string> uploaded_urls(const std::string& body, std::size_t expected) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const json::value* files = v.get_object().if_contains("files");
  if (files == nullptr || !files->is_array() || files->get_array().size() != expected) return {};
  std::vector<std::string> out;
  for (const auto& f : files->get_array()) {
    const json::value* url = f.is_object() ? f.get_object().if_contains("url") : nullptr;
    if (url == nullptr || !url->is_string() || url->get_string().empty()) return {};
    out.emplace_back(url->get_string());
  }
  return out;
}
}  // namespace

// One upload at a time, so at most one request's files are in memory; then each item's comment
// gets the links (and a note of what failed). A failed upload costs the attachment, never the result.
void qasphere_backend::prepare(requester& r, std::vector<outbound_item>& batch,
                               std::function<void(std::vector<std::string>)> done) {
  auto u = std::make_shared<file_upload>();
  u->req = &r;
  u->batch = &batch;
  u->links.resize(batch.size());
  u->failed.resize(batch.size());
  u->why.resize(batch.size());
  u->done = std::move(done);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].prepared) continue;
    for (const auto& src : batch[i].sources)
      if (src)
        for (const auto& a : src->attachments) u->files.push_back({i, &a});
  }
  send_files(u);
}

void qasphere_backend::send_files(const std::shared_ptr<file_upload>& u) {
  std::vector<outbound_item>& batch = *u->batch;
  if (u->next >= u->files.size()) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].prepared) continue;
      append_comment(batch[i], qasphere_attachments_html(u->links[i], u->failed[i], u->why[i], std::size_t{16} * 1024));
      batch[i].prepared = true;
    }
    auto done = std::move(u->done);
    done(std::move(u->warnings));
    return;
  }
  std::vector<form_file> parts;
  std::vector<std::size_t> owners;  // item index per part
  std::vector<std::string> names;
  std::uint64_t bytes = 0;
  while (u->next < u->files.size() && parts.size() < qasphere_max_files_per_upload) {
    const auto& f = u->files[u->next];
    if (!parts.empty() && bytes + f.a->size > qasphere_max_upload_bytes) break;
    ++u->next;
    form_file part;
    std::string error;
    if (!attachment_bytes(*f.a, part.data, error)) {
      u->warnings.push_back(batch[f.item].label + ": attachment " + one_line(f.a->name, 255) + " " + error);
      ++u->failed[f.item];
      u->why[f.item] = "a file " + error;
      continue;
    }
    part.field = "files";
    part.filename = f.a->name;
    part.content_type = f.a->mime;
    bytes += part.data.size();
    parts.push_back(std::move(part));
    owners.push_back(f.item);
    names.push_back(f.a->name);
  }
  if (parts.empty()) {
    send_files(u);
    return;
  }
  multipart_body mp = make_multipart(parts);
  parts.clear();
  http_request req = request("POST", "/file/batch", {});
  req.content_type = std::move(mp.content_type);
  req.body = std::move(mp.body);
  const std::size_t count = owners.size();
  // A repeated upload only stores the files twice: retrying is harmless.
  auto confirms = [count](const http_request&, const http_response& resp) {
    return uploaded_urls(resp.body, count).size() == count;
  };
  u->req->send(std::move(req), true, std::move(confirms),
               [this, u, owners = std::move(owners), names = std::move(names)](http_response resp) {
                 std::vector<std::string> urls =
                     resp.ok() ? uploaded_urls(resp.body, owners.size()) : std::vector<std::string>{};
                 if (urls.size() == owners.size()) {
                   for (std::size_t i = 0; i < owners.size(); ++i)
                     u->links[owners[i]].emplace_back(names[i], std::move(urls[i]));
                 } else {
                   const std::string why = redact(describe_error(resp));
                   std::vector<std::size_t> items = owners;
                   for (const auto i : items) {
                     ++u->failed[i];
                     u->why[i] = why;
                   }
                   items.erase(std::unique(items.begin(), items.end()), items.end());
                   for (const auto i : items)
                     u->warnings.push_back((*u->batch)[i].label + ": attachments not uploaded: " + why);
                 }
                 send_files(u);
               });
}

http_request qasphere_backend::make_batch(const std::vector<outbound_item*>& items) {
  if (items.size() == 1 && items.front()->alone) {  // a run log entry (qasphere-api.md 5.11)
    return request("POST", "/project/" + encoded_project() + "/run/" + std::to_string(run_id_) + "/log",
                   json::serialize(items.front()->value));
  }
  std::string body = "{\"items\":[";
  std::size_t kept = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    json::object& element = items[i]->value;
    const json::value* id = element.if_contains("tcaseId");
    if (id != nullptr && id->is_int64()) {
      const auto it = run_cases_.find(static_cast<int>(id->get_int64()));
      const bool last_chance = kept == 0 && i + 1 == items.size();
      if (it == run_cases_.end() && !last_chance) {
        dropped_ += items[i]->sources.size();  // not in the run: counted as not sent
        continue;
      }
      if (it != run_cases_.end()) element["tcaseId"] = it->second;
    }
    if (kept++ > 0) body += ",";
    body += json::serialize(element);
  }
  body += "]}";
  return request("POST", "/project/" + encoded_project() + "/run/" + std::to_string(run_id_) + "/result/batch",
                 std::move(body));
}

// {"ids": [n, ...]}, one id per item the request carried (make_batch may leave some out).
bool qasphere_backend::confirms_batch(const http_request& request, const http_response& response,
                                      std::size_t items) const {
  (void)items;
  const auto v = parse_json(response.body);
  if (request.url.ends_with("/log")) {  // {"id": "<string>"}
    const json::value* id = v && v->is_object() ? v->as_object().if_contains("id") : nullptr;
    return id != nullptr && id->is_string() && !id->get_string().empty();
  }
  const json::array* ids = v ? array_field(*v, "ids") : nullptr;
  if (ids == nullptr) return false;
  const auto sent = parse_json(request.body);
  const json::array* sent_items = sent ? array_field(*sent, "items") : nullptr;
  return sent_items != nullptr && ids->size() == sent_items->size();
}

// --- finish ---------------------------------------------------------------------------------------

void qasphere_backend::finish(requester& r, bool complete, std::function<void(run_finish)> done) {
  requester_ = &r;
  std::string notes;
  for (const auto& n : notes_) notes += "; " + n;
  if (run_id_ <= 0 || phase_ != phase::ready) {
    done({false, notes.empty() ? std::string() : redact(notes.substr(2))});
    return;
  }
  const std::string run = "run " + std::to_string(run_id_);
  std::string keep_open;
  if (settings_.close_run.has_value()) {
    if (!*settings_.close_run) keep_open = run + " left open (QAS_CLOSE_RUN=false)";
  } else if (!created_run_) {
    keep_open = run + " left open: this process did not create it (QAS_CLOSE_RUN=true closes it)";
  } else if (sharded_) {
    keep_open = run + " left open: one of " + std::to_string(shards_) +
                " shards cannot tell when the others are done (QAS_CLOSE_RUN=true closes it)";
  }
  if (keep_open.empty() && !complete) keep_open = run + " left open: not every result was delivered";
  if (!keep_open.empty()) {
    done({false, redact(keep_open + notes)});
    return;
  }
  const std::string path = "/project/" + encoded_project() + "/run/" + std::to_string(run_id_) + "/close";
  // {"message": "Run closed"}: any JSON object (a proxy's page is not one).
  send(
      request("POST", path, {}), true,
      [](const http_request&, const http_response& resp) { return is_object_answer(resp); },
      [this, run, notes, done = std::move(done)](http_response resp) {
        if (resp.ok()) return done({true, redact(run + " closed" + notes)});
        done({false, redact(run + " left open: closing it failed: " + describe_error(resp) + notes)});
      });
}

}  // namespace

std::unique_ptr<backend> make_qasphere_backend(const qasphere_settings& s, const common_settings& c,
                                               qasphere_backend_hooks hooks) {
  if (!hooks.env) {
    hooks.env = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
  }
  return std::make_unique<qasphere_backend>(s, c, std::move(hooks));
}

std::unique_ptr<backend> make_qasphere_backend(const qasphere_settings& s, const common_settings& c) {
  return make_qasphere_backend(s, c, qasphere_backend_hooks{});
}

}  // namespace gtest_tms::detail

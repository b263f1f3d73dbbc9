#pragma once
// What a TMS backend (Qase, QA Sphere) provides to the pipeline: a pure mapping from records to
// requests and from responses to messages. No sockets here; retries, batching, rate limits,
// deadlines and fallback belong to the pipeline, once for every backend.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "model/run_plan.hpp"
#include "model/test_result.hpp"
#include "model/tms.hpp"
#include "net/transport.hpp"

namespace gtest_tms::detail {

/// Whether a 2xx answer is the documented success answer of its request (a 2xx alone proves
/// nothing: a proxy or WAF may answer 200 with an HTML page). Gets the request it answers.
/// Empty: any 2xx confirms.
using confirm_check = std::function<bool(const http_request&, const http_response&)>;

/// The pipeline's side as a backend sees it: one way to send a request, with this backend's rate
/// limit and the common retry policy applied (transport errors, 408, 429 + Retry-After, 5xx, and
/// a 2xx that `confirms` refuses when the request is idempotent).
/// `done` gets the final response: a success, a non-retryable status, or the last failure; an
/// unconfirmed 2xx arrives with `unconfirmed` set, so its ok() is false.
class requester {
 public:
  virtual ~requester() = default;
  /// `idempotent`: retrying after the request was fully written cannot duplicate anything.
  virtual void send(http_request req, bool idempotent, confirm_check confirms, response_handler done) = 0;
};

/// One unit the backend sends: a JSON element of a batch, covering one or more results (QA Sphere
/// folds several gtest instances of one case into one item). Kept as a value until make_batch()
/// serializes the whole batch once, so preparing an item edits members instead of text. A backend
/// may leave `value` empty until the item is prepared or sent (Qase maps its sources only then), so
/// a queue of thousands of results holds no JSON.
struct outbound_item {
  boost::json::object value;  // one element of the batch array (empty: not mapped yet)
  std::string label;          // human name for messages, e.g. "Suite.Test/1"
  std::vector<std::shared_ptr<const test_result>> sources;
  bool prepared = false;  // backend::prepare ran for it (a resent or split batch is not prepared again)
  bool alone = false;     // goes in a request of its own (QA Sphere: a run log entry), never batched
  bool flaky = false;     // passed after a failed attempt of the same test (Qase: fields.is_flaky)
};

/// How finishing a run went: `finished` when this call completed (Qase) or closed (QA Sphere) it.
struct run_finish {
  bool finished = false;
  std::string message;  // for the summary: "run 5 completed", "run 5 left open: ..."
};

/// A token bucket by default: `burst` at once, then `per_second`, so up to burst + per_second * t
/// in any t seconds. `sliding`: at most `burst` requests in any `burst / per_second` seconds, for a
/// server that counts a window (QA Sphere: 20 in any second) and where a whole burst fits in it.
struct rate_limit {
  double per_second = 10.0;
  double burst = 10.0;
  bool sliding = false;
};

class backend {
 public:
  virtual ~backend() = default;
  virtual tms system() const = 0;
  virtual rate_limit limit() const = 0;
  virtual std::size_t batch_size() const = 0;
  /// Results sent per request are idempotent (Qase: every result carries its UUID).
  virtual bool idempotent_results() const = 0;

  /// Checks credentials and project, creates or joins the run. done("") on success, else one line.
  virtual void start(requester& r, const run_plan& plan, std::function<void(std::string error)> done) = 0;
  /// Maps a finished result to zero or more items (zero: not for this backend, or held back).
  virtual void add(const std::shared_ptr<const test_result>& result, std::vector<outbound_item>& out) = 0;
  /// At teardown: emits whatever add() held back.
  virtual void flush_held(std::vector<outbound_item>& out) { (void)out; }
  /// Whether an item needs work before its batch is sent (Qase: attachments to upload). Default: no.
  virtual bool needs_preparation(const outbound_item& item) const {
    (void)item;
    return false;
  }
  /// Prepares a batch in place (e.g. uploads attachments and links them in the items), then calls
  /// done(warnings) once on the io thread; `batch` stays valid until then. Never drops an item: on
  /// failure the items go as they are and the warnings ("Suite.Test: ...") say what is missing.
  virtual void prepare(requester& r, std::vector<outbound_item>& batch,
                       std::function<void(std::vector<std::string> warnings)> done) {
    (void)r;
    (void)batch;
    done({});
  }
  /// The request carrying these items, each serialized once into the body. May complete an item
  /// first (QA Sphere: a case id learnt after the item was made) and leave out one that turned out
  /// to have nowhere to go (counted in not_sent_count()).
  virtual http_request make_batch(const std::vector<outbound_item*>& items) = 0;
  /// Whether a 2xx answer to a make_batch() request is the documented success answer for all the
  /// items it carried (`items`: how many make_batch() got). Unconfirmed batches are retried when
  /// idempotent_results(), else kept undelivered as "fate unknown".
  virtual bool confirms_batch(const http_request& request, const http_response& response, std::size_t items) const = 0;
  /// One line explaining a failed response (server message, field paths), secrets never included.
  virtual std::string describe_error(const http_response& response) const = 0;
  /// Completes / closes the run when this process should. `complete`: every result was delivered.
  /// done once, with whether the run was finished here and a short note for the summary.
  virtual void finish(requester& r, bool complete, std::function<void(run_finish)> done) = 0;
  /// Link to the run in the web app, empty before start succeeded.
  virtual std::string run_link() const = 0;
  /// The run's id once started or joined (0 before).
  virtual std::int64_t run_id() const { return 0; }
  /// After start(): what the run lacks that the configuration asked for (a Qase configuration not
  /// found, a Jira link refused), one line each. The results are unaffected.
  virtual std::vector<std::string> run_warnings() const { return {}; }
  /// The web page of the test case `r` reports into (for the failed tests in the summary); "" when
  /// the result is linked to no case.
  virtual std::string case_link(const test_result& r) const {
    (void)r;
    return {};
  }
  /// The system's name of a status, for the summary's counts (QA Sphere: an exception is "blocked").
  virtual std::string status_name(test_status s) const { return to_string(s); }
  /// Results the backend deliberately does not send (e.g. tests without a QA Sphere marker).
  virtual std::size_t not_sent_count() const { return 0; }
  /// The server already holds this item (a request carried it, its answer was lost, and the run
  /// shows it stored): not sent again. Only for systems without idempotency keys.
  virtual bool already_stored(const outbound_item& item) const {
    (void)item;
    return false;
  }
};

}  // namespace gtest_tms::detail

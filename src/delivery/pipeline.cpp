#include "delivery/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <unordered_set>
#include <utility>

#include "delivery/rate_limiter.hpp"
#include "delivery/retry.hpp"
#include "util/time_format.hpp"
#include "util/uuid.hpp"

namespace gtest_tms::detail {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct queued_item {
  clock_type::time_point since;
  outbound_item item;
};

// A test of the plan as its plain results carry it (owned: the plan's own views may not outlive it).
struct plan_entry {
  std::string suite, name, file, value_param, type_param;
  int line = 0;
};

// A plain result waiting in a backlog (48 bytes): everything else it has is its plan entry's (see
// compact()).
struct spilled_result {
  uuid_bytes id{};  // the UUID (its text is make_uuid()'s lower-case form)
  std::uint32_t plan_index = 0;
  std::int32_t iteration = 0;
  std::int64_t start_ms = 0;
  std::int64_t duration_ms = 0;
  test_status status = test_status::passed;
  bool type_repeats = false;
};

}  // namespace

// Everything below runs on the io thread only, except where noted.
struct pipeline::channel final : requester {
  enum class phase { starting, ready, finishing, done, failed };

  channel(pipeline::state& s, std::unique_ptr<backend> b) : st(s), be(std::move(b)), limiter(be->limit()) {
    report.system = be->system();
    report.name = std::string(display_name(report.system));
  }

  void send(http_request req, bool idempotent, confirm_check confirms, response_handler done) override;
  void attempt(std::shared_ptr<http_request> req, bool idempotent, std::shared_ptr<confirm_check> confirms, int n,
               response_handler done);
  void acquire(std::function<void()> go);
  void release_waiters();

  pipeline::state& st;
  std::unique_ptr<backend> be;
  phase ph = phase::starting;
  std::deque<queued_item> pending;
  std::deque<std::vector<outbound_item>> forced;  // split batches, resent as they are
  std::map<std::uint64_t, std::vector<outbound_item>> in_flight;
  std::vector<std::shared_ptr<const test_result>> undelivered;
  bool age_timer_armed = false;
  std::optional<clock_type::time_point> last_sent;  // the last batch taken from `pending`
  rate_limiter limiter;
  std::deque<std::function<void()>> waiters;
  bool waiter_timer_armed = false;
  std::size_t unsent_compact = 0;  // results that waited as compact records until delivery stopped
  backend_report report;
};

struct pipeline::state : std::enable_shared_from_this<pipeline::state> {
  state(transport& t, pipeline_options o) : tr(t), opt(o), rng(std::random_device{}()) {}

  transport& tr;
  pipeline_options opt;
  std::vector<std::unique_ptr<channel>> channels;
  std::minstd_rand rng;
  std::uint64_t next_batch_id = 1;
  bool flushing = false;
  clock_type::time_point deadline = clock_type::time_point::max();
  std::promise<void> all_done;
  bool all_done_set = false;

  std::vector<plan_entry> plan;        // start()'s tests, to rebuild spilled results
  std::deque<spilled_result> spilled;  // oldest first
  std::size_t spilled_most = 0;

  double jitter() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

  // --- the backlog beyond opt.memory_backlog ------------------------------------------------------

  std::size_t queued_in_memory() const {
    std::size_t most = 0;
    for (const auto& c : channels) most = std::max(most, c->pending.size());
    return most;
  }

  // The result as a compact record when that loses nothing: every field is either stored or equal
  // to its plan entry's (otherwise it stays a record in memory).
  std::optional<spilled_result> compact(const test_result& r, std::int64_t plan_index) const {
    if (plan_index < 0 || static_cast<std::size_t>(plan_index) >= plan.size()) return std::nullopt;
    const plan_entry& p = plan[static_cast<std::size_t>(plan_index)];
    if (r.suite != p.suite || r.name != p.name || r.file != p.file || r.line != p.line ||
        r.value_param != p.value_param || r.type_param != p.type_param)
      return std::nullopt;
    if (!r.parts.empty() || !r.qase_ids.empty() || !r.properties.empty() || !r.attachments.empty() ||
        !r.steps.empty() || !r.notes.empty() || r.run_level)
      return std::nullopt;
    spilled_result s;
    if (!parse_uuid(r.id, s.id)) return std::nullopt;
    s.plan_index = static_cast<std::uint32_t>(plan_index);
    s.status = r.status;
    s.type_repeats = r.type_repeats;
    s.iteration = r.iteration;
    s.start_ms = r.start_ms;
    s.duration_ms = r.duration_ms;
    return s;
  }

  // The oldest waiting record, rebuilt (spilled is not empty).
  std::shared_ptr<const test_result> pop_spilled() {
    const spilled_result s = spilled.front();
    spilled.pop_front();
    return rebuild(s);
  }

  std::shared_ptr<const test_result> rebuild(const spilled_result& s) const {
    auto r = std::make_shared<test_result>();
    const plan_entry& p = plan[s.plan_index];
    r->id = uuid_text(s.id);
    r->suite = p.suite;
    r->name = p.name;
    r->value_param = p.value_param;
    r->type_param = p.type_param;
    r->type_repeats = s.type_repeats;
    r->file = p.file;
    r->line = p.line;
    r->status = s.status;
    r->start_ms = s.start_ms;
    r->duration_ms = s.duration_ms;
    r->iteration = s.iteration;
    return r;
  }

  // A result from the test thread: into the backends' queues, or, past the backlog bound (and then
  // behind the results already waiting), as a compact record.
  void take(const std::shared_ptr<const test_result>& r, std::int64_t plan_index) {
    if (!spilled.empty() || queued_in_memory() >= opt.memory_backlog) {
      if (auto s = compact(*r, plan_index)) {
        spilled.push_back(*s);
        spilled_most = std::max(spilled_most, spilled.size());
        return;
      }
    }
    add_result(r);
  }

  // Rebuilds waiting records while the queues have room (below half the bound: in steps, not one by
  // one), and has every backend but `pumping` (whose pump() is running) look at its queue again.
  void refill_from_spill(const channel* pumping = nullptr) {
    if (spilled.empty()) return;
    const std::size_t queued = queued_in_memory();
    if (queued > opt.memory_backlog / 2) return;
    // Measured on the queues, not counted: a result no backend queues (QA Sphere, unmarked) takes no room.
    while (!spilled.empty() && queued_in_memory() < opt.memory_backlog) add_result(pop_spilled());
    for (auto& cp : channels) {
      if (cp.get() == pumping) continue;
      tr.post([self = shared_from_this(), &c = *cp] { self->pump(c); });
    }
  }

  // After the deadline (finish(), single-threaded): the records still waiting are rebuilt straight into
  // each backend's undelivered results (what its add() makes of them), counted as queued, with no
  // queue entry each; then whatever a backend still holds back (QA Sphere: instances of a case
  // waiting for the rest) goes there too.
  void unspill_undelivered() {
    while (!spilled.empty()) {
      const auto r = pop_spilled();
      for (auto& cp : channels) {
        std::vector<outbound_item> items;
        be_add(*cp, r, items);
        hand_back(*cp, items);
      }
    }
    for (auto& cp : channels) {
      std::vector<outbound_item> held;
      try {
        cp->be->flush_held(held);
      } catch (const std::exception&) {
      }
      hand_back(*cp, held);
    }
  }

  static void hand_back(channel& c, std::vector<outbound_item>& items) {
    for (auto& item : items) {
      for (auto& s : item.sources) c.undelivered.push_back(std::move(s));
      c.unsent_compact += item.sources.size();
    }
  }

  // Delivery stops while the io thread runs (a cancelled batch, a break past the deadline): every
  // waiting record back into the queues, so the accounting and the fallback see them.
  void unspill_all() {
    while (!spilled.empty()) add_result(pop_spilled());
  }

  void add_result(const std::shared_ptr<const test_result>& r) {
    for (auto& c : channels) {
      std::vector<outbound_item> items;
      be_add(*c, r, items);
      for (auto& item : items) enqueue(*c, std::move(item));
    }
  }

  static void be_add(channel& c, const std::shared_ptr<const test_result>& r, std::vector<outbound_item>& out) {
    try {
      c.be->add(r, out);
    } catch (const std::exception& e) {
      // A mapping bug must not lose the result: keep it for the fallback.
      c.undelivered.push_back(r);
      c.report.rejections.push_back(r->full_name() + ": could not be mapped (" + e.what() + ")");
    }
  }

  // The server has these results: counted as delivered and acknowledged.
  void confirm(channel& c, const std::vector<outbound_item>& batch) {
    std::vector<std::shared_ptr<const test_result>> acked;
    for (const auto& item : batch) {
      for (const auto& s : item.sources) {
        ++c.report.delivered;
        if (counts_as_failed(s->status)) {
          ++c.report.delivered_failed;
          ++c.report.delivered_by_status[c.be->status_name(s->status)];
          note_failed_link(c, *s);
        }
        acked.push_back(s);
      }
    }
    if (opt.observer.delivered) {
      try {
        opt.observer.delivered(c.report.system, acked);
      } catch (...) {
      }
    }
  }

  // The case page of a delivered failure, for the summary. Bounded: a run with thousands of
  // failures prints a few links and a count.
  static void note_failed_link(channel& c, const test_result& r) {
    constexpr std::size_t max_links = 10;
    std::string link;
    try {
      link = c.be->case_link(r);
    } catch (...) {
    }
    if (link.empty()) return;
    const std::string line = r.full_name() + ": " + link;
    auto& links = c.report.failed_links;
    if (std::find(links.begin(), links.end(), line) != links.end()) return;
    if (links.size() < max_links) {
      links.push_back(line);
    } else {
      ++c.report.failed_links_more;
    }
  }

  void enqueue(channel& c, outbound_item item) {
    if (c.ph == channel::phase::failed || c.ph == channel::phase::done) {
      for (auto& s : item.sources) c.undelivered.push_back(s);
      return;
    }
    c.pending.push_back({c.st.tr.now(), std::move(item)});
  }

  // When a partial batch may go (Nagle's idea at the HTTP level): at once when the pipe is idle,
  // else once its oldest result is batch_age old; never sooner than batch_age after the previous
  // batch. Low rates get one request per result or per batch_age (visible within ~batch_age, at
  // most 1 s / batch_age requests per second), high rates full batches.
  clock_type::time_point partial_due(const channel& c) const {
    clock_type::time_point due =
        c.in_flight.empty() ? c.pending.front().since : c.pending.front().since + opt.batch_age;
    if (c.last_sent) due = std::max(due, *c.last_sent + opt.batch_age);
    return due;
  }

  void pump(channel& c) {
    refill_from_spill(&c);
    if (c.ph != channel::phase::ready && c.ph != channel::phase::finishing) return;
    const std::size_t batch_size = std::max<std::size_t>(1, c.be->batch_size());
    while (c.in_flight.size() < opt.max_in_flight) {
      std::vector<outbound_item> batch;
      if (!c.forced.empty()) {
        batch = std::move(c.forced.front());
        c.forced.pop_front();
      } else if (!c.pending.empty() && (c.pending.size() >= batch_size || flushing || partial_due(c) <= tr.now())) {
        const std::size_t n = std::min(batch_size, c.pending.size());
        batch.reserve(n);
        // In order; an item that goes alone ends the batch before it, and its own after it.
        for (std::size_t i = 0; i < n && !(i > 0 && c.pending.front().item.alone); ++i) {
          batch.push_back(std::move(c.pending.front().item));
          c.pending.pop_front();
          if (batch.back().alone) break;
        }
        c.last_sent = tr.now();
      } else {
        break;
      }
      send_batch(c, std::move(batch));
    }
    if (!c.pending.empty() && !c.age_timer_armed && !flushing) {
      c.age_timer_armed = true;
      const auto due = partial_due(c) - tr.now();
      tr.post_after(std::max(milliseconds(1), std::chrono::ceil<milliseconds>(due)), [self = shared_from_this(), &c] {
        c.age_timer_armed = false;
        self->pump(c);
      });
    }
    check_done(c);
  }

  // Resends of results whose first request's answer was lost and which the run shows stored.
  // Asked here, not at enqueue: only a started backend knows what the run holds.
  bool drop_already_stored(channel& c, std::vector<outbound_item>& batch) {
    std::vector<outbound_item> stored;
    for (auto it = batch.begin(); it != batch.end();) {
      bool known = false;
      try {
        known = c.be->already_stored(*it);
      } catch (...) {
      }
      if (!known) {
        ++it;
        continue;
      }
      c.report.already_stored += it->sources.size();
      stored.push_back(std::move(*it));
      it = batch.erase(it);
    }
    if (!stored.empty()) confirm(c, stored);
    return batch.empty();
  }

  void send_batch(channel& c, std::vector<outbound_item> batch) {
    if (drop_already_stored(c, batch)) return;
    const std::uint64_t id = next_batch_id++;
    const bool prepare = std::any_of(batch.begin(), batch.end(),
                                     [&](const outbound_item& i) { return !i.prepared && c.be->needs_preparation(i); });
    // In flight from here on, so the deadline accounting sees it while it is being prepared.
    std::vector<outbound_item>& stored = c.in_flight.emplace(id, std::move(batch)).first->second;
    if (!prepare) {
      send_prepared(c, id);
      return;
    }
    auto after = [self = shared_from_this(), &c, id](std::vector<std::string> warnings) {
      for (auto& w : warnings) c.report.warnings.push_back(std::move(w));
      self->send_prepared(c, id);
    };
    try {
      c.be->prepare(c, stored, after);
    } catch (const std::exception& e) {
      for (auto& i : stored) i.prepared = true;
      after({std::string("could not prepare a batch (") + e.what() + "): sent without attachments"});
    }
  }

  void send_prepared(channel& c, std::uint64_t id) {
    auto it = c.in_flight.find(id);
    if (it == c.in_flight.end()) return;
    std::vector<outbound_item*> ptrs;
    ptrs.reserve(it->second.size());
    for (auto& i : it->second) ptrs.push_back(&i);
    http_request req = c.be->make_batch(ptrs);
    const std::size_t items = ptrs.size();
    if (!c.be->idempotent_results() && opt.observer.sending) {
      std::vector<std::shared_ptr<const test_result>> sources;
      for (const auto* i : ptrs) sources.insert(sources.end(), i->sources.begin(), i->sources.end());
      try {
        opt.observer.sending(c.report.system, sources);
      } catch (...) {
      }
    }
    confirm_check confirms = [&c, items](const http_request& sent, const http_response& r) {
      return c.be->confirms_batch(sent, r, items);
    };
    c.send(std::move(req), c.be->idempotent_results(), std::move(confirms),
           [self = shared_from_this(), &c, id](http_response r) { self->on_batch_done(c, id, std::move(r)); });
  }

  void on_batch_done(channel& c, std::uint64_t id, http_response r) {
    auto it = c.in_flight.find(id);
    if (it == c.in_flight.end()) return;
    std::vector<outbound_item> batch = std::move(it->second);
    c.in_flight.erase(it);
    if (r.ok()) {
      confirm(c, batch);
    } else if (r.error == net_error::none && (r.status == 413 || r.status == 400 || r.status == 422)) {
      if (batch.size() > 1) {
        // One bad result refuses the whole batch: bisect until the culprits stand alone.
        std::vector<outbound_item> second(
            std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2)),
            std::make_move_iterator(batch.end()));
        batch.resize(batch.size() / 2);
        c.forced.push_front(std::move(second));
        c.forced.push_front(std::move(batch));
      } else {
        for (auto& item : batch) {
          c.report.rejections.push_back(item.label + ": " + c.be->describe_error(r));
          for (auto& s : item.sources) c.undelivered.push_back(s);
        }
      }
    } else {
      std::string why =
          r.error == net_error::cancelled ? std::string("stopped at the deadline") : c.be->describe_error(r);
      // Before fail() empties the queue: cancelled at the deadline, or a break that outlasts it.
      if (r.error == net_error::cancelled || asks_for_a_break(r)) {
        unspill_all();
        account_for_queue(c, &batch);
      }
      if (r.unconfirmed && !c.be->idempotent_results()) {
        // Not resent: the server may have stored the batch, and resending could duplicate it.
        std::size_t n = 0;
        for (const auto& item : batch) n += item.sources.size();
        why = std::to_string(n) + (n == 1 ? " result" : " results") +
              " of unknown fate (the server may have stored them, so they were not resent): " + why;
      }
      fail(c, why);
      for (auto& item : batch)
        for (auto& s : item.sources) c.undelivered.push_back(s);
    }
    pump(c);
  }

  // What was still queued when delivery stopped, and whether the rate limit is why: requests waiting
  // for the limiter, no token left for the next one, or a break the server asked for. The estimate is
  // that break plus the limiter's pace. Taken when a batch is cancelled at the deadline or answered with
  // a break that outlasts it (either hands the queue to the fallback), or else by finish().
  void account_for_queue(channel& c, const std::vector<outbound_item>* unanswered = nullptr) const {
    std::size_t queued = 0;
    if (unanswered)  // the batch whose answer stops delivery: no longer in flight, still not sent
      for (const auto& item : *unanswered) queued += item.sources.size();
    queued += c.unsent_compact;
    for (const auto& q : c.pending) queued += q.item.sources.size();
    for (const auto& b : c.forced)
      for (const auto& item : b) queued += item.sources.size();
    const std::size_t batch = std::max<std::size_t>(1, c.be->batch_size());
    const std::size_t requests = c.waiters.size() + (queued + batch - 1) / batch;
    // Batches waiting for the limiter are in flight but never left: they wait in FIFO order, so
    // they are the newest ones (with 8 in flight a short backlog is all there, none pending).
    std::size_t waiting = std::min(c.waiters.size(), c.in_flight.size());
    for (auto it = c.in_flight.rbegin(); waiting > 0 && it != c.in_flight.rend(); ++it, --waiting)
      for (const auto& item : it->second) queued += item.sources.size();
    if (queued == 0 || c.ph != channel::phase::ready) return;
    const rate_limit l = c.be->limit();
    const std::int64_t wait_ms = c.limiter.wait(tr.now()).count();  // a server-asked break included
    c.report.queued_at_deadline = queued;
    c.report.rate_limited = !c.waiters.empty() || wait_ms > 0;
    c.report.requests_per_second = l.per_second;
    if (l.per_second > 0)
      c.report.more_ms = wait_ms + static_cast<std::int64_t>(static_cast<double>(requests) / l.per_second * 1000.0);
  }

  /// Stops sending to this backend; everything it still holds goes to the fallback.
  void fail(channel& c, const std::string& why) {
    if (c.ph == channel::phase::failed) return;
    if (c.report.failure.empty() && c.report.start_error.empty()) c.report.failure = why;
    c.ph = channel::phase::failed;
    move_all_to_undelivered(c);
    refill_from_spill(&c);  // its queue no longer holds the others' waiting results back
    check_done(c);
  }

  static void move_all_to_undelivered(channel& c) {
    for (auto& q : c.pending)
      for (auto& s : q.item.sources) c.undelivered.push_back(s);
    c.pending.clear();
    for (auto& b : c.forced)
      for (auto& item : b)
        for (auto& s : item.sources) c.undelivered.push_back(s);
    c.forced.clear();
  }

  void check_done(channel& c) {
    if (flushing && c.ph == channel::phase::ready && c.pending.empty() && c.forced.empty() && c.in_flight.empty() &&
        spilled.empty()) {
      c.ph = channel::phase::finishing;
      const bool complete = c.undelivered.empty() && c.report.rejections.empty();
      try {
        c.be->finish(c, complete, [self = shared_from_this(), &c](run_finish f) {
          c.report.run_finished = f.finished;
          c.report.finish_message = std::move(f.message);
          if (c.ph == channel::phase::finishing) c.ph = channel::phase::done;
          self->check_all_done();
        });
      } catch (const std::exception& e) {
        c.report.finish_message = std::string("could not finish the run: ") + e.what();
        c.ph = channel::phase::done;
      }
    }
    check_all_done();
  }

  void check_all_done() {
    if (!flushing || all_done_set) return;
    for (auto& c : channels) {
      if (c->ph != channel::phase::done && c->ph != channel::phase::failed) return;
    }
    all_done_set = true;
    all_done.set_value();
  }
};

void pipeline::channel::send(http_request req, bool idempotent, confirm_check confirms, response_handler done) {
  req.idempotent = idempotent;
  auto shared_req = std::make_shared<http_request>(std::move(req));
  auto check = std::make_shared<confirm_check>(std::move(confirms));
  acquire([this, shared_req, idempotent, check, done = std::move(done)]() mutable {
    attempt(std::move(shared_req), idempotent, std::move(check), 0, std::move(done));
  });
}

void pipeline::channel::attempt(std::shared_ptr<http_request> req, bool idempotent,
                                std::shared_ptr<confirm_check> confirms, int n, response_handler done) {
  const auto sent_at = st.tr.now();
  st.tr.async_send(
      *req, [this, req, idempotent, confirms, n, sent_at, done = std::move(done)](http_response r) mutable {
        if (r.success_status() && *confirms) {
          try {
            r.unconfirmed = !(*confirms)(*req, r);
          } catch (...) {
            r.unconfirmed = true;  // a check that cannot read the answer did not see a confirmation
          }
        }
        const auto elapsed = std::chrono::duration_cast<milliseconds>(st.tr.now() - sent_at);
        if (!r.ok() && is_retryable(r, idempotent) && n < st.opt.retry.max_retries) {
          const milliseconds delay = retry_delay(n, r.header("Retry-After"), st.opt.retry, st.jitter());
          const auto when = st.tr.now() + delay;
          // The server's break holds every request back, also when this one is not retried: the
          // summary then names the rate limit as why the rest is still queued.
          if (asks_for_a_break(r)) limiter.pause_until(when);
          // Give up rather than sleep past the teardown deadline; the caller falls back to disk.
          if (!(st.flushing && when >= st.deadline)) {
            debug_log(report.name, *req, r, elapsed,
                      "retry " + std::to_string(n + 1) + " of " + std::to_string(st.opt.retry.max_retries) + " in " +
                          std::to_string(delay.count()) + " ms",
                      st.opt.debug);
            st.tr.post_after(delay, [this, req, idempotent, confirms, n, done = std::move(done)]() mutable {
              acquire([this, req, idempotent, confirms, n, done = std::move(done)]() mutable {
                attempt(std::move(req), idempotent, std::move(confirms), n + 1, std::move(done));
              });
            });
            return;
          }
          debug_log(report.name, *req, r, elapsed, "no retry: the deadline would pass first", st.opt.debug);
        } else {
          debug_log(report.name, *req, r, elapsed,
                    r.ok() ? std::string("done")
                           : (is_retryable(r, idempotent) ? "no retry left" : "not retried (it would not help)"),
                    st.opt.debug);
        }
        done(std::move(r));
      });
}

// Requests wait for the rate limiter in FIFO order.
void pipeline::channel::acquire(std::function<void()> go) {
  waiters.push_back(std::move(go));
  release_waiters();
}

void pipeline::channel::release_waiters() {
  while (!waiters.empty()) {
    const milliseconds wait = limiter.wait(st.tr.now());
    if (wait.count() > 0) {
      if (!waiter_timer_armed) {
        waiter_timer_armed = true;
        st.tr.post_after(wait, [self = st.shared_from_this(), this] {
          waiter_timer_armed = false;
          release_waiters();
        });
      }
      return;
    }
    limiter.take(st.tr.now());
    auto go = std::move(waiters.front());
    waiters.pop_front();
    go();
  }
}

pipeline::pipeline(transport& t, std::vector<std::unique_ptr<backend>> backends, pipeline_options options)
    : state_(std::make_shared<state>(t, options)), transport_(t) {
  for (auto& b : backends) state_->channels.push_back(std::make_unique<channel>(*state_, std::move(b)));
}

pipeline::~pipeline() = default;

void pipeline::start(run_plan plan) {
  const std::size_t planned = plan.tests.size();
  transport_.post([s = state_, plan = std::move(plan)] {
    s->plan.reserve(plan.tests.size());
    for (const auto& t : plan.tests) {
      s->plan.push_back(
          {t.suite, t.name, std::string(t.file), std::string(t.value_param), std::string(t.type_param), t.line});
    }
    for (auto& cp : s->channels) {
      channel& c = *cp;
      try {
        c.be->start(c, plan, [s, &c](std::string error) {
          if (!error.empty()) {
            c.report.start_error = error;
            s->fail(c, error);
            return;
          }
          c.report.started = true;
          c.report.link = c.be->run_link();
          c.report.run_id = c.be->run_id();
          c.report.run_warnings = c.be->run_warnings();
          if (s->opt.observer.run_started) {
            try {
              s->opt.observer.run_started(c.report.system, c.report.run_id);
            } catch (...) {
            }
          }
          if (c.ph == channel::phase::starting) c.ph = channel::phase::ready;
          s->pump(c);
        });
      } catch (const std::exception& e) {
        c.report.start_error = e.what();
        s->fail(c, e.what());
      }
    }
  });
  // Spares for the first interval, made after the first requests went out, while they wait.
  transport_.post([this, planned] { refill_spares(planned); });
}

void pipeline::submit(std::shared_ptr<const test_result> result, std::int64_t plan_index) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    incoming_.push_back({std::move(result), plan_index});
    schedule = !std::exchange(drain_scheduled_, true);
  }
  // One wake-up of the io thread per interval, however many tests end in it.
  if (schedule) transport_.post_after(state_->opt.hand_off_interval, [this] { drain(); });
}

std::shared_ptr<test_result> pipeline::new_result() {
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    if (!spares_.empty()) {
      auto r = std::move(spares_.back());
      spares_.pop_back();
      return r;
    }
  }
  return std::make_shared<test_result>();
}

namespace {

constexpr std::size_t max_spares = 2048;  // ~2 MB; a 2 ms interval of the fastest tests

// Room for what a passing test writes: UUID, file path, ids (see fill_test_result).
std::shared_ptr<test_result> spare_result() {
  auto r = std::make_shared<test_result>();
  r->id.reserve(36);
  r->file.reserve(160);
  r->qase_ids.reserve(4);
  return r;
}

}  // namespace

// io thread: tops the spares up to `want`, allocating outside the test thread's lock.
void pipeline::refill_spares(std::size_t want) {
  want = std::min(want, max_spares);
  std::size_t have = 0;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    have = spares_.size();
  }
  if (want <= have) return;
  std::vector<std::shared_ptr<test_result>> made;
  made.reserve(want - have);
  for (std::size_t i = have; i < want; ++i) made.push_back(spare_result());
  std::lock_guard<std::mutex> lock(incoming_mutex_);
  for (auto& r : made) spares_.push_back(std::move(r));
}

void pipeline::drain() {
  // The empty vector swapped in has room for as many results as the last interval brought, so
  // the test thread's push_back does not reallocate (the io thread allocates instead).
  std::vector<handed_over> batch;
  batch.reserve(std::min<std::size_t>(last_drained_, 4096));
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    batch.swap(incoming_);
    drain_scheduled_ = false;
  }
  last_drained_ = batch.size();
  // As many as the last interval used, before the batches are built: the test thread goes on
  // ending tests meanwhile, and without spares it allocates.
  refill_spares(last_drained_);
  for (const auto& h : batch) state_->take(h.result, h.plan_index);
  for (auto& c : state_->channels) state_->pump(*c);
}

std::vector<backend_report> pipeline::finish(std::chrono::steady_clock::time_point deadline) {
  std::future<void> done = state_->all_done.get_future();
  transport_.post([this, s = state_, deadline] {
    drain();
    s->deadline = deadline;
    s->flushing = true;
    for (auto& c : s->channels) {
      std::vector<outbound_item> held;
      try {
        c->be->flush_held(held);
      } catch (const std::exception&) {
      }
      for (auto& item : held) s->enqueue(*c, std::move(item));
      s->pump(*c);
    }
    s->check_all_done();
  });
  done.wait_until(deadline);
  transport_.stop();  // cancels whatever is left; the io thread is gone after this

  // Single-threaded from here on: account for everything that did not get an answer.
  std::vector<backend_report> reports;
  {
    std::lock_guard<std::mutex> lock(incoming_mutex_);
    for (const auto& h : incoming_) state_->add_result(h.result);
    incoming_.clear();
  }
  state_->unspill_undelivered();
  for (auto& cp : state_->channels) {
    channel& c = *cp;
    if (c.report.queued_at_deadline == 0) state_->account_for_queue(c);
    // Requests still waiting for the rate limiter hold the state they belong to: drop them, their
    // batches are in flight and accounted below.
    c.waiters.clear();
    state::move_all_to_undelivered(c);
    for (auto& [id, batch] : c.in_flight)
      for (auto& item : batch)
        for (auto& s : item.sources) c.undelivered.push_back(s);
    c.in_flight.clear();
    if (c.ph == channel::phase::starting && c.report.start_error.empty())
      c.report.start_error = "the run was not ready before the deadline";
    if (c.ph == channel::phase::ready && c.report.failure.empty() && !c.undelivered.empty())
      c.report.failure = "the deadline passed before every result was confirmed";
    if (c.ph == channel::phase::finishing && c.report.finish_message.empty())
      c.report.finish_message = "the deadline passed while finishing the run";
    // A result folded into several items is reported once.
    std::unordered_set<const test_result*> seen;
    std::vector<std::shared_ptr<const test_result>> unique;
    for (auto& r : c.undelivered)
      if (seen.insert(r.get()).second) unique.push_back(r);
    c.report.undelivered = std::move(unique);
    c.report.not_sent = c.be->not_sent_count();
    c.report.compact_most = state_->spilled_most;
    if (c.report.link.empty()) c.report.link = c.be->run_link();
    if (c.report.run_id == 0) c.report.run_id = c.be->run_id();
    reports.push_back(std::move(c.report));
  }
  return reports;
}

}  // namespace gtest_tms::detail

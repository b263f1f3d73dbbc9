// Emulated Qase TestOps API (v1 runs/projects/attachments, v2 results), following
// the Qase API reference (qase-api.md §4–§8) and the OpenAPI spec (test/spec/qase).
//
// Error shapes mirror what has been observed from the real service:
//  - 401 {"status":false,"errorMessage":"Unauthenticated."}; 404 {"status":false,"errorMessage":"... not found"};
//  - Laravel validation (required fields, enums such as execution.status) → 422
//    {"message":"...","errors":{"results.3.execution.status":["The selected ... is invalid."]}};
//  - type errors deeper in a result (step action, testops_ids, params, ...) → 400
//    {"status":false,"errorMessage":"Data is invalid.","errorFields":[{"field":...,"error":...}]}
//    (qase-tms/qase-python#247). When both kinds occur, the 422 wins (it is checked first).
//  - results to a completed run → 400 {"status":false,"errorMessage":"Test run is not active"}.
// Choices where the real behaviour is unverified (documented in the reference §16):
//  - completing a completed run answers 400 "Test run is already completed" (and is counted);
//  - idempotency by result "id" is per run: a resent id is accepted (202) and not stored again.

#include <algorithm>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "emulator/emulator_state.hpp"
#include "emulator/multipart.hpp"

namespace gtest_tms::detail::emulator {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using error_list = std::vector<std::pair<std::string, std::string>>;

// The service's documented limits, deliberately not the reporter's constants (model/limits.hpp):
// the emulator checks the reporter against the server, so it must not move when the reporter does.
constexpr std::size_t max_results_per_request = 200;
constexpr std::size_t max_error_context_total = 4194304;
constexpr std::size_t max_attachment_files = 20;
constexpr std::size_t max_attachment_file_bytes = std::size_t{32} * 1024 * 1024;
constexpr std::size_t max_attachment_request_bytes = std::size_t{128} * 1024 * 1024;

server_reply envelope(int status, const std::string& message) {
  return json_reply(status, {{"status", false}, {"errorMessage", message}});
}

server_reply data_invalid(const error_list& errors) {
  array fields;
  for (const auto& [field, msg] : errors) fields.push_back({{"field", field}, {"error", msg}});
  return json_reply(400, {{"status", false}, {"errorMessage", "Data is invalid."}, {"errorFields", std::move(fields)}});
}

// Laravel names an attribute by its key with underscores shown as spaces.
std::string attr(const std::string& field) {
  std::string out = field;
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// Validation messages, Laravel wording.
std::string msg_required(const std::string& f) { return "The " + attr(f) + " field is required."; }
std::string msg_string(const std::string& f) { return "The " + attr(f) + " must be a string."; }
std::string msg_max(const std::string& f, std::size_t n) {
  return "The " + attr(f) + " must not be greater than " + std::to_string(n) + " characters.";
}
std::string msg_boolean(const std::string& f) { return "The " + attr(f) + " field must be true or false."; }
std::string msg_integer(const std::string& f) { return "The " + attr(f) + " must be an integer."; }
std::string msg_min(const std::string& f, long long n) {
  return "The " + attr(f) + " must be at least " + std::to_string(n) + ".";
}
std::string msg_array(const std::string& f) { return "The " + attr(f) + " must be an array."; }
std::string msg_object(const std::string& f) { return "The " + attr(f) + " must be an object."; }
std::string msg_in(const std::string& f) { return "The selected " + attr(f) + " is invalid."; }
std::string msg_number(const std::string& f) { return "The " + attr(f) + " must be a number."; }

const value* find(const object& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

// ---- RunCreate -----------------------------------------------------------------------------

error_list validate_run_create(const object& body) {
  error_list e;
  auto string_field = [&](const char* key, std::size_t max, bool nullable) {
    const value* v = find(body, key);
    if (!v || (v->is_null() && nullable)) return;
    if (!v->is_string()) {
      e.emplace_back(key, msg_string(key));
    } else if (utf8_length(v->as_string()) > max) {
      e.emplace_back(key, msg_max(key, max));
    }
  };
  const value* title = find(body, "title");
  if (!title || title->is_null() || (title->is_string() && title->as_string().empty())) {
    e.emplace_back("title", msg_required("title"));
  } else {
    string_field("title", 255, false);
  }
  string_field("description", 10000, true);  // JS sends "" which Laravel turns into null
  string_field("environment_slug", 255, true);
  for (const char* key : {"include_all_cases", "is_autotest", "is_cloud"}) {
    const value* v = find(body, key);
    if (v && !v->is_bool()) e.emplace_back(key, msg_boolean(key));
  }
  for (const char* key : {"environment_id", "milestone_id", "plan_id", "author_id"}) {
    const value* v = find(body, key);
    if (!v || v->is_null()) continue;
    if (!json_is_integer(*v)) {
      e.emplace_back(key, msg_integer(key));
    } else if (json_integer(*v) < 1) {
      e.emplace_back(key, msg_min(key, 1));
    }
  }
  for (const char* key : {"cases", "configurations"}) {
    const value* v = find(body, key);
    if (!v) continue;
    if (!v->is_array()) {
      e.emplace_back(key, msg_array(key));
      continue;
    }
    for (std::size_t i = 0; i < v->as_array().size(); ++i)
      if (!json_is_integer(v->as_array()[i])) {
        auto f = std::string(key) + "." + std::to_string(i);
        e.emplace_back(f, msg_integer(f));
      }
  }
  if (const value* tags = find(body, "tags")) {
    if (!tags->is_array()) {
      e.emplace_back("tags", msg_array("tags"));
    } else {
      for (std::size_t i = 0; i < tags->as_array().size(); ++i)
        if (!tags->as_array()[i].is_string()) {
          auto f = "tags." + std::to_string(i);
          e.emplace_back(f, msg_string(f));
        }
    }
  }
  for (const char* key : {"custom_field", "cloud_run_config"}) {
    const value* v = find(body, key);
    if (v && !v->is_object()) e.emplace_back(key, msg_object(key));
  }
  static const std::regex date_re(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})");
  for (const char* key : {"start_time", "end_time"}) {
    const value* v = find(body, key);
    if (!v || v->is_null()) continue;
    if (!v->is_string() || !std::regex_match(std::string(v->as_string()), date_re))
      e.emplace_back(key, "The " + attr(key) + " does not match the format Y-m-d H:i:s.");
  }
  return e;
}

// ---- v2 ResultCreate -------------------------------------------------------------------------

struct result_errors {
  error_list laravel;  // → 422
  error_list data;     // → 400 "Data is invalid."
};

void check_nullable_string(const object& o, const char* key, const std::string& prefix, error_list& e) {
  const value* v = find(o, key);
  if (v && !v->is_null() && !v->is_string()) e.emplace_back(prefix + key, msg_string(prefix + key));
}

void check_string_array(const value& v, const std::string& field, error_list& e) {
  if (!v.is_array()) {
    e.emplace_back(field, msg_array(field));
    return;
  }
  for (std::size_t i = 0; i < v.as_array().size(); ++i)
    if (!v.as_array()[i].is_string())
      e.emplace_back(field + "." + std::to_string(i), msg_string(field + "." + std::to_string(i)));
}

void check_string_map(const value& v, const std::string& field, error_list& e) {
  if (!v.is_object()) {
    e.emplace_back(field, msg_object(field));
    return;
  }
  for (const auto& kv : v.as_object())
    if (!kv.value().is_string()) {
      auto f = field + "." + std::string(kv.key());
      e.emplace_back(f, msg_string(f));
    }
}

void validate_step(const value& v, const std::string& prefix, int depth, result_errors& e) {
  const std::string here = prefix.substr(0, prefix.size() - 1);
  if (!v.is_object()) {
    e.data.emplace_back(here, msg_object(here));
    return;
  }
  const auto& step = v.as_object();
  const value* data = find(step, "data");
  if (!data || !data->is_object()) {
    e.data.emplace_back(prefix + "data", data ? msg_object(prefix + "data") : msg_required(prefix + "data"));
  } else {
    const auto& d = data->as_object();
    const value* action = find(d, "action");
    if (!action || !action->is_string()) {
      e.data.emplace_back(prefix + "data.action", "The action must be a string.");
    } else if (action->as_string().empty()) {
      e.data.emplace_back(prefix + "data.action", "The action field is required.");
    }
    check_nullable_string(d, "expected_result", prefix + "data.", e.data);
    check_nullable_string(d, "input_data", prefix + "data.", e.data);
    if (const value* a = find(d, "attachments")) check_string_array(*a, prefix + "data.attachments", e.data);
  }
  if (const value* ex = find(step, "execution")) {
    if (!ex->is_object()) {
      e.data.emplace_back(prefix + "execution", msg_object(prefix + "execution"));
    } else {
      const auto& x = ex->as_object();
      static const std::vector<std::string> step_statuses{"passed", "failed", "blocked", "skipped", "in_progress"};
      const value* s = find(x, "status");
      if (!s) {
        e.data.emplace_back(prefix + "execution.status", msg_required(prefix + "execution.status"));
      } else if (!s->is_string() || std::find(step_statuses.begin(), step_statuses.end(),
                                              std::string(s->as_string())) == step_statuses.end()) {
        e.data.emplace_back(prefix + "execution.status", msg_in(prefix + "execution.status"));
      }
      for (const char* key : {"start_time", "end_time"}) {
        const value* t = find(x, key);
        if (t && !t->is_null() && !t->is_number())
          e.data.emplace_back(prefix + "execution." + key, msg_number(prefix + "execution." + key));
      }
      if (const value* d = find(x, "duration"); d && !d->is_null() && !json_is_integer(*d))
        e.data.emplace_back(prefix + "execution.duration", msg_integer(prefix + "execution.duration"));
      check_nullable_string(x, "comment", prefix + "execution.", e.data);
      if (const value* a = find(x, "attachments")) check_string_array(*a, prefix + "execution.attachments", e.data);
    }
  }
  if (const value* sub = find(step, "steps")) {
    if (!sub->is_array()) {
      e.data.emplace_back(prefix + "steps", msg_array(prefix + "steps"));
    } else if (depth >= 32) {
      e.data.emplace_back(prefix + "steps", "Steps are nested too deeply.");
    } else {
      for (std::size_t i = 0; i < sub->as_array().size(); ++i)
        validate_step(sub->as_array()[i], prefix + "steps." + std::to_string(i) + ".", depth + 1, e);
    }
  }
}

void validate_result(const value& v, const std::string& prefix, const std::vector<std::string>& statuses,
                     result_errors& e) {
  const std::string here = prefix.empty() ? "result" : prefix.substr(0, prefix.size() - 1);
  if (!v.is_object()) {
    e.laravel.emplace_back(here, msg_object(here));
    return;
  }
  const auto& r = v.as_object();
  if (const value* id = find(r, "id"); id && !id->is_null() && (!id->is_string() || id->as_string().empty()))
    e.data.emplace_back(prefix + "id", msg_string(prefix + "id"));
  const value* title = find(r, "title");
  if (!title || title->is_null() || (title->is_string() && title->as_string().empty())) {
    e.laravel.emplace_back(prefix + "title", msg_required(prefix + "title"));
  } else if (!title->is_string()) {
    e.laravel.emplace_back(prefix + "title", msg_string(prefix + "title"));
  }
  if (const value* s = find(r, "signature"); s && !s->is_string())
    e.data.emplace_back(prefix + "signature", msg_string(prefix + "signature"));

  const value* one = find(r, "testops_id");
  const value* many = find(r, "testops_ids");
  if (one && !one->is_null()) {
    if (!json_is_integer(*one)) {
      e.data.emplace_back(prefix + "testops_id", msg_integer(prefix + "testops_id"));
    } else if (json_integer(*one) < 1) {
      e.data.emplace_back(prefix + "testops_id", msg_min(prefix + "testops_id", 1));
    }
  }
  if (many && !many->is_null()) {
    if (!many->is_array()) {
      e.data.emplace_back(prefix + "testops_ids", msg_array(prefix + "testops_ids"));
    } else if (many->as_array().empty()) {
      e.data.emplace_back(prefix + "testops_ids",
                          "The " + prefix + "testops_ids must not be empty; send null or omit it.");
    } else {
      for (std::size_t i = 0; i < many->as_array().size(); ++i) {
        const auto& item = many->as_array()[i];
        auto f = prefix + "testops_ids." + std::to_string(i);
        if (!json_is_integer(item)) {
          e.data.emplace_back(f, msg_integer(f));
        } else if (json_integer(item) < 1) {
          e.data.emplace_back(f, msg_min(f, 1));
        }
      }
    }
    if (one && !one->is_null())
      e.data.emplace_back(prefix + "testops_id",
                          "The " + prefix + "testops_id cannot be specified together with testops_ids.");
  }

  const value* exec = find(r, "execution");
  if (!exec || exec->is_null()) {
    e.laravel.emplace_back(prefix + "execution", msg_required(prefix + "execution"));
  } else if (!exec->is_object()) {
    e.laravel.emplace_back(prefix + "execution", msg_object(prefix + "execution"));
  } else {
    const auto& x = exec->as_object();
    const value* s = find(x, "status");
    if (!s || s->is_null() || (s->is_string() && s->as_string().empty())) {
      e.laravel.emplace_back(prefix + "execution.status", msg_required(prefix + "execution.status"));
    } else if (!s->is_string() ||
               std::find(statuses.begin(), statuses.end(), std::string(s->as_string())) == statuses.end()) {
      e.laravel.emplace_back(prefix + "execution.status", msg_in(prefix + "execution.status"));
    }
    for (const char* key : {"start_time", "end_time"}) {
      const value* t = find(x, key);
      if (t && !t->is_null() && !t->is_number())
        e.data.emplace_back(prefix + "execution." + key, msg_number(prefix + "execution." + key));
    }
    if (const value* d = find(x, "duration"); d && !d->is_null()) {
      if (!json_is_integer(*d)) {
        e.data.emplace_back(prefix + "execution.duration", msg_integer(prefix + "execution.duration"));
      } else if (json_integer(*d) < 0) {
        e.data.emplace_back(prefix + "execution.duration", msg_min(prefix + "execution.duration", 0));
      }
    }
    for (const char* key : {"stacktrace", "error_context", "thread"})
      check_nullable_string(x, key, prefix + "execution.", e.data);
  }

  if (const value* f = find(r, "fields")) check_string_map(*f, prefix + "fields", e.data);
  if (const value* a = find(r, "attachments")) check_string_array(*a, prefix + "attachments", e.data);
  if (const value* p = find(r, "params")) check_string_map(*p, prefix + "params", e.data);
  if (const value* g = find(r, "param_groups"); g && !g->is_null()) {
    if (!g->is_array()) {
      e.data.emplace_back(prefix + "param_groups", msg_array(prefix + "param_groups"));
    } else {
      for (std::size_t i = 0; i < g->as_array().size(); ++i)
        check_string_array(g->as_array()[i], prefix + "param_groups." + std::to_string(i), e.data);
    }
  }
  if (const value* st = find(r, "steps_type");
      st && !st->is_null() && !(st->is_string() && (st->as_string() == "classic" || st->as_string() == "gherkin")))
    e.data.emplace_back(prefix + "steps_type", msg_in(prefix + "steps_type"));
  if (const value* steps = find(r, "steps"); steps && !steps->is_null()) {
    if (!steps->is_array()) {
      e.data.emplace_back(prefix + "steps", msg_array(prefix + "steps"));
    } else {
      for (std::size_t i = 0; i < steps->as_array().size(); ++i)
        validate_step(steps->as_array()[i], prefix + "steps." + std::to_string(i) + ".", 1, e);
    }
  }
  if (const value* rel = find(r, "relations"); rel && !rel->is_null()) {
    if (!rel->is_object()) {
      e.data.emplace_back(prefix + "relations", msg_object(prefix + "relations"));
    } else if (const value* suite = find(rel->as_object(), "suite"); suite && !suite->is_null()) {
      const value* data = suite->is_object() ? find(suite->as_object(), "data") : nullptr;
      if (!data || !data->is_array()) {
        e.data.emplace_back(prefix + "relations.suite.data", msg_array(prefix + "relations.suite.data"));
      } else {
        for (std::size_t i = 0; i < data->as_array().size(); ++i) {
          const auto& item = data->as_array()[i];
          auto f = prefix + "relations.suite.data." + std::to_string(i);
          const value* t = item.is_object() ? find(item.as_object(), "title") : nullptr;
          if (!t || !t->is_string()) e.data.emplace_back(f + ".title", msg_string(f + ".title"));
          const value* pid = item.is_object() ? find(item.as_object(), "public_id") : nullptr;
          if (pid && !pid->is_null() && !json_is_integer(*pid))
            e.data.emplace_back(f + ".public_id", msg_integer(f + ".public_id"));
        }
      }
    }
  }
  check_nullable_string(r, "message", prefix, e.data);
  if (const value* d = find(r, "defect"); d && !d->is_bool())
    e.data.emplace_back(prefix + "defect", msg_boolean(prefix + "defect"));
}

/// The name a result is listed under: suite path and title, then its params.
std::string result_name(const object& r) {
  std::string name;
  if (const value* rel = find(r, "relations"); rel && rel->is_object())
    if (const value* suite = find(rel->as_object(), "suite"); suite && suite->is_object())
      if (const value* data = find(suite->as_object(), "data"); data && data->is_array())
        for (const auto& item : data->as_array())
          if (item.is_object())
            if (const value* t = find(item.as_object(), "title"); t && t->is_string())
              name += std::string(t->as_string()) + " > ";
  name += std::string(r.at("title").as_string());
  if (const value* p = find(r, "params"); p && p->is_object() && !p->as_object().empty()) {
    std::vector<std::string> kv;
    for (const auto& item : p->as_object())
      kv.push_back(std::string(item.key()) + "=" + std::string(item.value().as_string()));
    std::sort(kv.begin(), kv.end());
    name += " [";
    for (std::size_t i = 0; i < kv.size(); ++i) name += (i ? ", " : "") + kv[i];
    name += "]";
  }
  return name;
}

std::vector<std::string> result_statuses(const emulator_state& st) {
  std::vector<std::string> s{"passed", "failed", "blocked", "skipped", "invalid"};
  s.insert(s.end(), st.options.qase_extra_statuses.begin(), st.options.qase_extra_statuses.end());
  return s;
}

// Stores validated results, skipping ids already seen in the run; records what happened.
void store_results(qase_run_state& run, const std::vector<const object*>& results, recorded_request& rec) {
  array effects;
  for (const object* r : results) {
    std::string id;
    if (const value* v = find(*r, "id"); v && v->is_string()) id = std::string(v->as_string());
    bool duplicate = !id.empty() && !run.result_ids.insert(id).second;
    if (!duplicate) run.results.push_back(*r);
    effects.push_back({{"run", run.id},
                       {"name", result_name(*r)},
                       {"status", r->at("execution").at("status")},
                       {"duplicate", duplicate}});
  }
  rec.effects["results"] = std::move(effects);
}

server_reply bulk_results(emulator_state& st, request_context& ctx, qase_run_state& run) {
  if (!ctx.body_empty && !ctx.body_is_json) return envelope(400, "The request body is not valid JSON.");
  const value* results = ctx.body.is_object() ? find(ctx.body.as_object(), "results") : nullptr;
  if (!results || results->is_null() || (results->is_array() && results->as_array().empty()))
    return laravel_422({{"results", msg_required("results")}});
  if (!results->is_array()) return laravel_422({{"results", msg_array("results")}});
  const auto& items = results->as_array();
  if (items.size() > max_results_per_request)
    return envelope(413, "Too many results in one request: " + std::to_string(items.size()) + " (at most " +
                             std::to_string(max_results_per_request) + ").");
  std::size_t context_total = 0;
  for (const auto& item : items)
    if (item.is_object())
      if (const value* ex = find(item.as_object(), "execution"); ex && ex->is_object())
        if (const value* c = find(ex->as_object(), "error_context"); c && c->is_string())
          context_total += c->as_string().size();
  if (context_total > max_error_context_total)
    return envelope(413, "The combined execution.error_context of the batch exceeds " +
                             std::to_string(max_error_context_total) + " characters.");
  result_errors errors;
  auto statuses = result_statuses(st);
  for (std::size_t i = 0; i < items.size(); ++i)
    validate_result(items[i], "results." + std::to_string(i) + ".", statuses, errors);
  if (!errors.laravel.empty()) return laravel_422(errors.laravel);
  if (!errors.data.empty()) return data_invalid(errors.data);
  if (run.completed) return envelope(400, "Test run is not active");
  std::vector<const object*> list;
  for (const auto& item : items) list.push_back(&item.as_object());
  store_results(run, list, ctx.record);
  return json_reply(202, {{"status", true}});
}

server_reply single_result(emulator_state& st, request_context& ctx, qase_run_state& run) {
  if (!ctx.body_empty && !ctx.body_is_json) return envelope(400, "The request body is not valid JSON.");
  result_errors errors;
  validate_result(ctx.body.is_object() ? ctx.body : value(object{}), "", result_statuses(st), errors);
  if (!errors.laravel.empty()) return laravel_422(errors.laravel);
  if (!errors.data.empty()) return data_invalid(errors.data);
  if (run.completed) return envelope(400, "Test run is not active");
  const object& r = ctx.body.as_object();
  store_results(run, {&r}, ctx.record);
  value case_id = nullptr;
  if (const value* one = find(r, "testops_id"); one && !one->is_null()) case_id = *one;
  std::string hash = sha256_hex(boost::json::serialize(r)).substr(0, 40);
  return json_reply(202, {{"status", true}, {"result", {{"case_id", case_id}, {"hash", hash}}}});
}

value run_json(const qase_run_state& run) {
  object statuses;
  for (const auto& r : run.results) {
    std::string s(r.at("execution").at("status").as_string());
    auto& n = statuses[s];
    n = n.is_int64() ? n.as_int64() + 1 : 1;
  }
  const object& req = run.request;
  auto get = [&](const char* key) -> value {
    const value* v = find(req, key);
    return v ? *v : value(nullptr);
  };
  return {{"id", run.id},
          {"title", run.title},
          {"description", get("description")},
          {"status", run.completed ? 1 : 0},
          {"status_text", run.completed ? "complete" : "active"},
          {"start_time", get("start_time")},
          {"end_time", nullptr},
          {"public", run.is_public},
          {"stats", {{"total", run.results.size()}, {"statuses", std::move(statuses)}}},
          {"time_spent", 0},
          {"elapsed_time", 0},
          {"environment", nullptr},
          {"milestone", nullptr},
          {"custom_fields", array{}},
          {"tags", array{}},
          {"cases", array{}},
          {"plan_id", get("plan_id")},
          {"configurations", get("configurations").is_array() ? get("configurations") : value(array{})},
          {"external_issue", run.external_issue}};
}

// Laravel's "exists" rule on each configuration id of a run.
void unknown_configurations(const emulator_state& st, const std::string& project, const object& body,
                            error_list& errors) {
  const value* ids = find(body, "configurations");
  if (ids == nullptr || !ids->is_array()) return;
  const auto groups = st.qase_configurations.find(project);
  for (std::size_t i = 0; i < ids->as_array().size(); ++i) {
    const std::int64_t id = json_integer(ids->as_array()[i]);
    bool known = false;
    if (groups != st.qase_configurations.end())
      for (const auto& g : groups->second)
        for (const auto& c : g.configurations) known = known || c.first == id;
    if (!known)
      errors.emplace_back("configurations." + std::to_string(i), msg_in("configurations." + std::to_string(i)));
  }
}

server_reply create_run(emulator_state& st, request_context& ctx, const std::string& project) {
  if (!ctx.body_empty && !ctx.body_is_json) return envelope(400, "The request body is not valid JSON.");
  object body = ctx.body.is_object() ? ctx.body.as_object() : object{};
  auto errors = validate_run_create(body);
  if (errors.empty()) unknown_configurations(st, project, body, errors);
  if (!errors.empty()) return laravel_422(errors);
  qase_run_state run;
  run.id = st.next_qase_run++;
  run.project = project;
  run.title = std::string(body.at("title").as_string());
  run.request = body;
  ctx.record.effects["run_created"] = {{"id", run.id}, {"title", run.title}, {"project", project}};
  auto id = run.id;
  st.qase_runs.emplace(id, std::move(run));
  return json_reply(200, {{"status", true}, {"result", {{"id", id}}}});
}

server_reply complete_run(qase_run_state& run, request_context& ctx) {
  ++run.complete_count;
  ctx.record.effects["run_completed"] = run.id;
  if (run.completed) {
    ctx.record.effects["repeat"] = true;
    return envelope(400, "Test run is already completed");
  }
  run.completed = true;
  return json_reply(200, {{"status", true}});
}

server_reply upload_attachments(emulator_state& st, request_context& ctx) {
  auto boundary = multipart_boundary(find_header(ctx.request, "Content-Type"));
  if (!boundary) return envelope(400, "Attachments must be sent as multipart/form-data.");
  auto parts = parse_multipart(ctx.request.body, *boundary);
  if (!parts) return envelope(400, "The multipart/form-data body is malformed.");
  std::vector<const form_part*> files;
  array recorded;
  for (const auto& p : *parts) {
    if (p.name != "file[]") continue;
    files.push_back(&p);
    recorded.push_back({{"filename", p.filename}, {"size", p.data.size()}, {"mime", p.content_type}});
  }
  ctx.record.body = {{"files", recorded}};
  if (files.empty()) return laravel_422({{"file", "The file field is required."}});
  if (files.size() > max_attachment_files) return envelope(413, "At most 20 files per request.");
  std::size_t total = 0;
  for (const auto* f : files) {
    if (f->data.size() > max_attachment_file_bytes) return envelope(413, "A file is larger than 32 MB: " + f->filename);
    total += f->data.size();
  }
  if (total > max_attachment_request_bytes) return envelope(413, "The files of one request exceed 128 MB.");
  array result;
  for (const auto* f : files) {
    std::string hash = sha256_hex(f->data);
    auto dot = f->filename.rfind('.');
    std::string ext = dot == std::string::npos ? "" : f->filename.substr(dot + 1);
    result.push_back({{"hash", hash},
                      {"filename", f->filename},
                      {"mime", f->content_type.empty() ? "application/octet-stream" : f->content_type},
                      {"extension", ext},
                      {"url", "https://emulator.invalid/attachment/" + hash},
                      {"team", "emulator"}});
    st.qase_attachments.push_back(hash);
  }
  ctx.record.effects["attachments"] = files.size();
  return json_reply(200, {{"status", true}, {"result", std::move(result)}});
}

// GET /v1/configuration/{code} (v1/paths/configurations.yaml): every group with its configurations.
server_reply list_configurations(const emulator_state& st, const std::string& project) {
  array entities;
  if (const auto it = st.qase_configurations.find(project); it != st.qase_configurations.end())
    for (const auto& g : it->second) {
      array configs;
      for (const auto& [id, title] : g.configurations) configs.push_back({{"id", id}, {"title", title}});
      entities.push_back({{"id", g.id}, {"title", g.title}, {"configurations", std::move(configs)}});
    }
  const auto n = entities.size();
  return json_reply(
      200,
      {{"status", true}, {"result", {{"total", n}, {"filtered", n}, {"count", n}, {"entities", std::move(entities)}}}});
}

// POST /v1/configuration/{code}/group {title} and POST /v1/configuration/{code} {title, group_id}:
// IdResponse. Titles are not unique on the server either: a second "os" group is a second group.
server_reply create_configuration(emulator_state& st, request_context& ctx, const std::string& project, bool group) {
  const object body = ctx.body.is_object() ? ctx.body.as_object() : object{};
  error_list e;
  const value* title = find(body, "title");
  if (title == nullptr || !title->is_string() || title->as_string().empty()) {
    e.emplace_back("title", msg_required("title"));
  } else if (utf8_length(title->as_string()) > 255) {
    e.emplace_back("title", msg_max("title", 255));
  }
  auto& groups = st.qase_configurations[project];
  qase_configuration_group* owner = nullptr;
  if (!group) {
    const value* gid = find(body, "group_id");
    if (gid == nullptr || !json_is_integer(*gid)) {
      e.emplace_back("group_id", msg_required("group_id"));
    } else {
      for (auto& g : groups)
        if (g.id == json_integer(*gid)) owner = &g;
      if (owner == nullptr) e.emplace_back("group_id", msg_in("group_id"));
    }
  }
  if (!e.empty()) return laravel_422(e);
  const std::int64_t id = st.next_qase_configuration++;
  std::string t(title->as_string());
  if (group) {
    groups.push_back({id, t, {}});
    ctx.record.effects["configuration_group_created"] = {{"id", id}, {"title", t}};
  } else {
    owner->configurations.emplace_back(id, t);
    ctx.record.effects["configuration_created"] = {{"id", id}, {"title", t}, {"group_id", owner->id}};
  }
  return json_reply(200, {{"status", true}, {"result", {{"id", id}}}});
}

// POST /v1/run/{code}/external-issue (v1/schemas/RunExternalIssues.yaml): one link per run, replaced
// by a second one, removed by null.
server_reply external_issue(emulator_state& st, request_context& ctx, const std::string& project) {
  const object body = ctx.body.is_object() ? ctx.body.as_object() : object{};
  error_list e;
  const value* type = find(body, "type");
  if (type == nullptr || !type->is_string() ||
      (type->as_string() != "jira-cloud" && type->as_string() != "jira-server"))
    e.emplace_back("type", msg_in("type"));
  const value* links = find(body, "links");
  if (links == nullptr || !links->is_array()) {
    e.emplace_back("links", msg_array("links"));
  } else {
    for (std::size_t i = 0; i < links->as_array().size(); ++i) {
      const std::string f = "links." + std::to_string(i);
      const value& l = links->as_array()[i];
      const value* run_id = l.is_object() ? find(l.as_object(), "run_id") : nullptr;
      const value* issue = l.is_object() ? find(l.as_object(), "external_issue") : nullptr;
      if (run_id == nullptr || !json_is_integer(*run_id)) {
        e.emplace_back(f + ".run_id", msg_required(f + ".run_id"));
        continue;
      }
      const auto run = st.qase_runs.find(json_integer(*run_id));
      if (run == st.qase_runs.end() || run->second.project != project)
        e.emplace_back(f + ".run_id", msg_in(f + ".run_id"));
      if (issue != nullptr && !issue->is_null() && (!issue->is_string() || issue->as_string().empty()))
        e.emplace_back(f + ".external_issue", msg_string(f + ".external_issue"));
    }
  }
  if (!e.empty()) return laravel_422(e);
  for (const auto& l : links->as_array()) {
    auto& run = st.qase_runs.at(json_integer(l.as_object().at("run_id")));
    const value* issue = find(l.as_object(), "external_issue");
    run.external_issue = issue == nullptr || issue->is_null()
                             ? value(nullptr)
                             : value({{"id", issue->as_string()}, {"type", type->as_string()}, {"link", nullptr}});
    ctx.record.effects["external_issue"] = {{"run", run.id}, {"issue", run.external_issue}};
  }
  return json_reply(200, {{"status", true}});
}

server_reply environments(request_context& ctx) {
  // One environment, "local", so that a slug lookup can succeed or miss.
  array entities;
  auto slug = ctx.query.find("slug");
  if (slug == ctx.query.end() || slug->second == "local")
    entities.push_back({{"id", 1}, {"title", "Local"}, {"description", nullptr}, {"slug", "local"}, {"host", nullptr}});
  auto n = entities.size();
  return json_reply(
      200,
      {{"status", true}, {"result", {{"total", 1}, {"filtered", n}, {"count", n}, {"entities", std::move(entities)}}}});
}

server_reply route_qase(emulator_state& st, request_context& ctx);

}  // namespace

server_reply handle_qase(emulator_state& st, request_context& ctx) {
  const auto token = find_header(ctx.request, "Token");
  const auto& tokens = st.options.qase_tokens;
  if (token.empty() || std::find(tokens.begin(), tokens.end(), token) == tokens.end())
    return envelope(401, "Unauthenticated.");
  const int limit = st.options.qase_rate_limit_per_minute;
  if (limit <= 0) return route_qase(st, ctx);

  // Sliding one-minute window shared by every token (Qase limits per workspace).
  const auto now = st.now();
  auto& window = st.qase_window;
  while (!window.empty() && window.front() <= now - std::chrono::minutes(1)) window.pop_front();
  const bool over = window.size() >= static_cast<std::size_t>(limit);
  if (!over) window.push_back(now);
  auto reset_in = window.empty()
                      ? std::chrono::seconds(60)
                      : std::chrono::ceil<std::chrono::seconds>(window.front() + std::chrono::minutes(1) - now);
  server_reply reply = over ? envelope(429, "API rate limit exceeded.") : route_qase(st, ctx);
  if (over) reply.headers.push_back({"Retry-After", std::to_string(std::max<long long>(1, reset_in.count()))});
  reply.headers.push_back({"X-RateLimit-Limit", std::to_string(limit)});
  reply.headers.push_back({"X-RateLimit-Remaining", std::to_string(limit - static_cast<int>(window.size()))});
  return reply;
}

namespace {

// GET /v1/run/{code} (v1/paths/runs.yaml): status (comma-separated; in_progress = not completed,
// passed/failed/complete = completed), limit (default 10, at most 100), offset.
server_reply list_runs(const emulator_state& st, const request_context& ctx, const std::string& code) {
  auto query_int = [&](const char* key, std::int64_t fallback) {
    const auto it = ctx.query.find(key);
    if (it == ctx.query.end()) return fallback;
    const auto v = parse_id(it->second);
    return v ? *v : fallback;
  };
  const std::int64_t limit = std::clamp<std::int64_t>(query_int("limit", 10), 1, 100);
  const std::int64_t offset = std::max<std::int64_t>(query_int("offset", 0), 0);
  std::string status;
  if (const auto it = ctx.query.find("status"); it != ctx.query.end()) status = it->second;
  const bool want_open =
      status.empty() || status.find("in_progress") != std::string::npos || status.find("active") != std::string::npos;
  const bool want_done = status.empty() || status.find("passed") != std::string::npos ||
                         status.find("failed") != std::string::npos || status.find("complete") != std::string::npos;
  array entities;
  std::int64_t filtered = 0;
  std::int64_t total = 0;
  for (const auto& [id, r] : st.qase_runs) {
    if (r.project != code) continue;
    ++total;
    if (r.completed ? !want_done : !want_open) continue;
    if (filtered++ < offset || static_cast<std::int64_t>(entities.size()) >= limit) continue;
    entities.push_back(run_json(r));
  }
  const auto count = static_cast<std::int64_t>(entities.size());
  return json_reply(
      200,
      {{"status", true},
       {"result", {{"total", total}, {"filtered", filtered}, {"count", count}, {"entities", std::move(entities)}}}});
}

server_reply route_qase(emulator_state& st, request_context& ctx) {
  const auto& s = ctx.segments;
  const auto& m = ctx.method;
  auto not_found = [] { return envelope(404, "Not found"); };
  // Project code position: /v1/<resource>/<code>/... or /v2/<code>/...
  std::string code;
  if (s.size() >= 3 && s[0] == "v1") code = s[2];
  if (s.size() >= 2 && s[0] == "v2") code = s[1];
  if (code.empty()) return not_found();
  const auto& projects = st.options.qase_projects;
  if (std::find(projects.begin(), projects.end(), code) == projects.end()) return envelope(404, "Project not found");

  auto find_run = [&](const std::string& seg) -> qase_run_state* {
    auto id = parse_id(seg);
    if (!id) return nullptr;
    auto it = st.qase_runs.find(*id);
    return it == st.qase_runs.end() || it->second.project != code ? nullptr : &it->second;
  };

  if (s[0] == "v1") {
    const std::string& res = s[1];
    if (res == "project" && s.size() == 3 && m == "GET") {
      int active = 0;
      int total = 0;
      for (const auto& [id, r] : st.qase_runs)
        if (r.project == code) {
          ++total;
          active += r.completed ? 0 : 1;
        }
      return json_reply(200, {{"status", true},
                              {"result",
                               {{"title", "Emulated project " + code},
                                {"code", code},
                                {"counts",
                                 {{"cases", 0},
                                  {"suites", 0},
                                  {"milestones", 0},
                                  {"runs", {{"total", total}, {"active", active}}},
                                  {"defects", {{"total", 0}, {"open", 0}}}}}}}});
    }
    if (res == "environment" && s.size() == 3 && m == "GET") return environments(ctx);
    if (res == "configuration" && s.size() == 3 && m == "GET") return list_configurations(st, code);
    if (res == "configuration" && s.size() == 3 && m == "POST") return create_configuration(st, ctx, code, false);
    if (res == "configuration" && s.size() == 4 && s[3] == "group" && m == "POST")
      return create_configuration(st, ctx, code, true);
    if (res == "attachment" && s.size() == 3 && m == "POST") return upload_attachments(st, ctx);
    if (res == "run") {
      if (s.size() == 3 && m == "POST") return create_run(st, ctx, code);
      if (s.size() == 3 && m == "GET") return list_runs(st, ctx, code);
      if (s.size() == 4 && s[3] == "external-issue" && m == "POST") return external_issue(st, ctx, code);
      if (s.size() >= 4) {
        qase_run_state* run = find_run(s[3]);
        if (!run) return envelope(404, "Run not found");
        if (s.size() == 4 && m == "GET") return json_reply(200, {{"status", true}, {"result", run_json(*run)}});
        if (s.size() == 5 && s[4] == "complete" && m == "POST") return complete_run(*run, ctx);
        if (s.size() == 5 && s[4] == "public" && m == "PATCH") {
          const value* flag = ctx.body.is_object() ? find(ctx.body.as_object(), "status") : nullptr;
          if (!flag || !flag->is_bool()) return laravel_422({{"status", msg_boolean("status")}});
          run->is_public = flag->as_bool();
          value url = run->is_public ? value("https://emulator.invalid/public/report/" + std::to_string(run->id))
                                     : value(nullptr);
          return json_reply(200, {{"status", true}, {"result", {{"url", url}}}});
        }
      }
    }
    return not_found();
  }
  // v2: /v2/{code}/run/{id}/results|result
  if (s.size() == 5 && s[2] == "run" && m == "POST" && (s[4] == "results" || s[4] == "result")) {
    qase_run_state* run = find_run(s[3]);
    if (!run) return envelope(404, "Run not found");
    return s[4] == "results" ? bulk_results(st, ctx, *run) : single_result(st, ctx, *run);
  }
  return not_found();
}

}  // namespace

}  // namespace gtest_tms::detail::emulator

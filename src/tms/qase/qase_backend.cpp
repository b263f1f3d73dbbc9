// Qase TestOps backend: project check, run creation/join, v2 bulk results, run completion.
// Endpoints and shapes: the Qase API reference (qase-api.md §4-§8) and the official OpenAPI spec
// (test/spec/qase/testops-api).

#include "tms/qase/qase_backend.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "gtest_tms/version.hpp"
#include "model/limits.hpp"
#include "net/multipart.hpp"
#include "tms/qase/qase_mapping.hpp"
#include "tms/qase/qase_metadata.hpp"
#include "tms/qase/qase_run_options.hpp"
#include "util/text.hpp"
#include "util/time_format.hpp"

namespace gtest_tms::detail {

namespace {

namespace json = boost::json;

std::string clean(std::string_view s, std::size_t max_bytes) { return clean_text(s, max_bytes); }

constexpr std::size_t max_bulk = 200;      // server-side cap per bulk request (413 above)
constexpr std::size_t raw_body_cap = 200;  // raw error bodies quoted in messages
constexpr std::size_t error_line_cap = 600;

std::string one_line(std::string_view s, std::size_t cap) {
  std::string out = clean(s, cap);
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string strip_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

const json::value* find(const json::object& o, std::string_view key) {
  const auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string string_of(const json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  return {};
}

struct field_error {
  std::string field;
  std::string message;
};

// Field errors of either observed shape: errorFields [{field,error}] or errors {field:[msg]}
// (also errors [msg] / errors {field: msg}).
std::vector<field_error> field_errors(const json::object& o) {
  std::vector<field_error> out;
  if (const auto* ef = find(o, "errorFields"); ef != nullptr && ef->is_array()) {
    for (const auto& e : ef->get_array()) {
      if (!e.is_object()) continue;
      field_error fe{string_of(find(e.get_object(), "field")), string_of(find(e.get_object(), "error"))};
      if (!fe.field.empty() || !fe.message.empty()) out.push_back(std::move(fe));
    }
  }
  if (const auto* er = find(o, "errors"); er != nullptr) {
    if (er->is_object()) {
      for (const auto& kv : er->get_object()) {
        field_error fe{std::string(kv.key()), {}};
        if (kv.value().is_array()) {
          for (const auto& m : kv.value().get_array()) {
            if (m.is_string()) {
              fe.message = std::string(m.get_string());
              break;
            }
          }
        } else {
          fe.message = string_of(&kv.value());
        }
        out.push_back(std::move(fe));
      }
    } else if (er->is_array()) {
      for (const auto& m : er->get_array()) {
        if (m.is_string()) out.push_back({{}, std::string(m.get_string())});
      }
    }
  }
  return out;
}

// Qase's success envelope (qase-api.md, BaseResponse): a JSON object with "status": true. A 2xx
// without it (a proxy's HTML page, "status": false) confirms nothing.
const json::object* success_envelope(const json::value& v) {
  if (!v.is_object()) return nullptr;
  const auto* st = find(v.get_object(), "status");
  return st != nullptr && st->is_bool() && st->get_bool() ? &v.get_object() : nullptr;
}

bool status_true(const http_response& r) {
  boost::system::error_code ec;
  const json::value v = json::parse(r.body, ec);
  return !ec && success_envelope(v) != nullptr;
}

// The run id of an IdResponse {"status":true,"result":{"id":N}}; 0 when absent.
std::int64_t run_id_of(const std::string& body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return 0;
  const auto* result = find(v.get_object(), "result");
  if (result == nullptr || !result->is_object()) return 0;
  const auto* id = find(result->get_object(), "id");
  if (id == nullptr) return 0;
  if (id->is_int64()) return id->get_int64();
  if (id->is_uint64() && id->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(id->get_uint64());
  }
  return 0;
}

// The hashes of an AttachmentUploadsResponse, in request order; empty when the shape is wrong.
std::vector<std::string> upload_hashes(const std::string& body) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* result = find(v.get_object(), "result");
  if (result == nullptr || !result->is_array()) return {};
  for (const auto& e : result->get_array()) {
    if (!e.is_object()) return {};
    std::string h = string_of(find(e.get_object(), "hash"));
    if (h.empty()) return {};
    out.push_back(std::move(h));
  }
  return out;
}

class qase_backend final : public backend {
 public:
  qase_backend(const qase_settings& s, epoch_ms_clock now, bool run_verified)
      : s_(s), now_(now ? std::move(now) : epoch_ms_clock([] { return now_epoch_ms(); })), verified_(run_verified) {
    api_ = strip_slash(s_.api_base);
    app_ = strip_slash(s_.app_base);
    code_ = boost::urls::encode(s_.project, boost::urls::unreserved_chars);
    mapping_ = {s_.root_suite, s_.defect, {}, s_.project, s_.status_mapping, s_.exclude_params};
    headers_ = {
        {"Token", s_.token},
        {"Accept", "application/json"},
        {"X-Client", qase_x_client()},
        {"X-Platform", qase_x_platform()},
    };
  }

  tms system() const override { return tms::qase; }
  // The summary counts what Qase got: QASE_STATUS_MAPPING applied.
  std::string status_name(test_status s) const override { return to_string(qase_sent_status(s, mapping_)); }
  // Qase allows 600 requests per minute. A token bucket lets through at most burst + 60 * rate in any
  // 60 s window: 120 + 60 * 8 = 600, so a whole binary's batches can leave at once without ever
  // exceeding the limit, even when sustained.
  rate_limit limit() const override { return {8.0, 120.0}; }
  std::size_t batch_size() const override {
    return static_cast<std::size_t>(std::clamp<int>(s_.batch_size, 1, static_cast<int>(max_bulk)));
  }
  bool idempotent_results() const override { return true; }

  void start(requester& r, const run_plan& plan, std::function<void(std::string)> done) override {
    marker_ = plan.creation_marker;
    find_first_ = plan.find_created_run;
    std::string& thread = mapping_.thread;
    thread = plan.binary_name;
    if (plan.total_shards > 1 && plan.shard_index >= 0) {
      thread += (thread.empty() ? "" : " ") + std::string("shard ") + std::to_string(plan.shard_index);
    }
    if (verified_ && *s_.run_id > 0) {
      // `run create` checked project and run a moment ago (the run file says so): no second look.
      run_id_ = *s_.run_id;
      created_run_ = false;
      done("");
      return;
    }
    r.send(
        get(api_ + "/v1/project/" + code_), true,
        [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, &r, done = std::move(done)](http_response resp) mutable {
          if (!resp.ok()) {
            done(project_error(resp));
            return;
          }
          if (s_.run_id) {
            if (*s_.run_id <= 0) {
              done("QASE_TESTOPS_RUN_ID must be a positive run id, not " + std::to_string(*s_.run_id));
              return;
            }
            join_run(r, std::move(done));
          } else {
            create_run(r, std::move(done));
          }
        });
  }

  void add(const std::shared_ptr<const test_result>& result, std::vector<outbound_item>& out) override {
    if (!result || qase_ignored(*result)) return;  // qase.ignore: the test asked not to be reported
    // A pass after a failed attempt of the same test (--gtest_repeat in one process, or the
    // collector's processes of `ctest --repeat until-pass`) is flaky, as the official reporters mark
    // retry passes. Every attempt stays its own result. Each instance of a TEST_P/TYPED_TEST has
    // its own name, so attempts of different instances are never mixed up.
    const bool failed = counts_as_failed(result->status);
    const bool flaky = result->status == test_status::passed && failed_before_.count(result->full_name()) > 0;
    if (failed) failed_before_.insert(result->full_name());
    const std::string status = to_string(qase_sent_status(result->status, mapping_));
    for (const auto& f : s_.status_filter) {
      if (iequals(trim(f), status)) return;
    }
    // Mapped to JSON only when it is prepared or sent (mapped()): a backlog holds records, not JSON.
    outbound_item item;
    item.flaky = flaky;
    item.label = result->full_name();
    item.sources.push_back(result);
    out.push_back(std::move(item));
  }

  bool needs_preparation(const outbound_item& item) const override {
    if (!s_.upload_attachments) return false;  // QASE_TESTOPS_UPLOAD_ATTACHMENTS=false
    return std::any_of(item.sources.begin(), item.sources.end(),
                       [](const auto& s) { return s && !s->attachments.empty(); });
  }

  // Uploads the batch's attachments (v1/paths/attachment.code.yaml: "file[]" parts, at most 20 files and
  // 128 MB per request), one request at a time so at most one request's files are in memory, then
  // links the hashes from each result. A failed upload costs the attachment, never the result.
  void prepare(requester& r, std::vector<outbound_item>& batch,
               std::function<void(std::vector<std::string>)> done) override {
    struct file_ref {
      std::size_t item;
      const attachment* a;
    };
    struct upload {
      requester* req;
      std::vector<outbound_item>* batch;
      std::vector<file_ref> files;
      std::size_t next = 0;
      std::vector<std::vector<std::string>> hashes;
      std::vector<std::string> warnings;
      std::function<void(std::vector<std::string>)> done;
    };
    auto u = std::make_shared<upload>();
    u->req = &r;
    u->batch = &batch;
    u->hashes.resize(batch.size());
    u->done = std::move(done);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].prepared) continue;
      for (const auto& s : batch[i].sources)
        if (s)
          for (const auto& a : s->attachments) u->files.push_back({i, &a});
    }
    send_uploads(u);
  }

  http_request make_batch(const std::vector<outbound_item*>& items) override {
    http_request req = post(api_ + "/v2/" + code_ + "/run/" + std::to_string(run_id_) + "/results");
    req.body = "{\"results\":[";
    bool first = true;
    for (auto* i : items) {
      if (!first) req.body += ',';
      first = false;
      req.body += json::serialize(mapped(*i));
    }
    req.body += "]}";
    return req;
  }

  // v2 bulk: 202 {"status": true} (v2/schemas/responses/ResultCreateBulkResponse.yaml).
  bool confirms_batch(const http_request&, const http_response& response, std::size_t) const override {
    return status_true(response);
  }

  std::string describe_error(const http_response& resp) const override {
    if (resp.error != net_error::none) {
      return one_line(
          resp.error_message.empty() ? std::string("transport error: ") + to_string(resp.error) : resp.error_message,
          error_line_cap);
    }
    const std::string prefix = "HTTP " + std::to_string(resp.status);
    if (resp.unconfirmed) {
      return one_line(prefix + " without the documented success answer {\"status\": true}: " +
                          (resp.body.empty() ? std::string("(empty body)") : one_line(resp.body, raw_body_cap)),
                      error_line_cap);
    }
    boost::system::error_code ec;
    const json::value v = json::parse(resp.body, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.get_object();
      std::string main = string_of(find(o, "errorMessage"));
      if (main.empty()) main = string_of(find(o, "message"));
      const auto fields = field_errors(o);
      std::string text = main;
      if (!fields.empty()) {
        // The field path points at the offending result ("results.3.execution.status").
        const auto& fe = fields.front();
        std::string f = fe.field.empty() ? fe.message : fe.message.empty() ? fe.field : fe.field + ": " + fe.message;
        if (fields.size() > 1) f += " (+" + std::to_string(fields.size() - 1) + " more)";
        text = (main.empty() || main == fe.message) ? f : main + " [" + f + "]";
      }
      if (!text.empty()) return one_line(prefix + ": " + text, error_line_cap);
    }
    if (resp.body.empty()) return prefix + " (empty body)";
    std::string raw = one_line(resp.body, raw_body_cap);
    return prefix + ": " + raw;
  }

  void finish(requester& r, bool complete, std::function<void(run_finish)> done) override {
    if (run_id_ <= 0) {
      done({false, "no Qase run was started"});
      return;
    }
    const std::string run = "run " + std::to_string(run_id_);
    const bool wanted = s_.run_complete.value_or(created_run_);
    if (!wanted) {
      done({false, created_run_ ? run + " left open (QASE_TESTOPS_RUN_COMPLETE=false)"
                                : run + " left open (joined via QASE_TESTOPS_RUN_ID)"});
      return;
    }
    if (!complete) {
      done({false, run + " left open: not every result was delivered"});
      return;
    }
    http_request req = post(api_ + "/v1/run/" + code_ + "/" + std::to_string(run_id_) + "/complete");
    req.content_type.clear();  // the endpoint takes no body
    r.send(
        std::move(req), true, [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, &r, run, done = std::move(done)](http_response resp) mutable {
          if (resp.ok()) {
            if (s_.show_public_report_link) {
              publish(r, run + " completed", std::move(done));
            } else {
              done({true, run + " completed"});
            }
          } else {
            done({false, run + " could not be completed: " + describe_error(resp)});
          }
        });
  }

  std::int64_t run_id() const override { return run_id_; }
  std::vector<std::string> run_warnings() const override { return run_warnings_; }

  // The case page in the web app, {app}/case/{CODE}-{id}, of the first id the result is sent with.
  std::string case_link(const test_result& r) const override {
    if (app_.empty()) return {};
    const auto ids = qase_case_ids(r, qase_metadata_of(r), s_.project);
    return ids.empty() ? std::string() : app_ + "/case/" + upper(code_) + "-" + std::to_string(ids.front());
  }

  std::string run_link() const override {
    if (run_id_ <= 0 || app_.empty()) return {};
    return app_ + "/run/" + upper(code_) + "/dashboard/" + std::to_string(run_id_);
  }

 private:
  // The item's ResultCreate, made from its result the first time it is needed; kept while the
  // batch is in flight, so a resend or a split maps nothing again.
  json::object& mapped(outbound_item& item) const {
    if (item.value.empty() && !item.sources.empty() && item.sources.front()) {
      item.value = qase_result_json(*item.sources.front(), mapping_);
      if (item.flaky) {
        json::value& fields = item.value["fields"];
        if (!fields.is_object()) fields = json::object();
        fields.get_object()["is_flaky"] = "true";
      }
    }
    return item.value;
  }

  template <class Upload>
  void send_uploads(std::shared_ptr<Upload> u) {
    std::vector<outbound_item>& batch = *u->batch;
    if (u->next >= u->files.size()) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!batch[i].prepared && !u->hashes[i].empty()) qase_set_attachments(mapped(batch[i]), u->hashes[i]);
        batch[i].prepared = true;
      }
      auto done = std::move(u->done);
      done(std::move(u->warnings));
      return;
    }
    std::vector<form_file> parts;
    std::vector<std::size_t> owners;  // item index per part
    std::uint64_t bytes = 0;
    while (u->next < u->files.size() && parts.size() < qase_max_files_per_upload) {
      const auto& f = u->files[u->next];
      if (!parts.empty() && bytes + f.a->size > qase_max_upload_bytes) break;
      ++u->next;
      form_file part;
      std::string error;
      if (!attachment_bytes(*f.a, part.data, error)) {
        u->warnings.push_back(batch[f.item].label + ": attachment " + one_line(f.a->name, 255) + " " + error);
        continue;
      }
      part.field = "file[]";
      part.filename = f.a->name;
      part.content_type = f.a->mime;
      bytes += part.data.size();
      parts.push_back(std::move(part));
      owners.push_back(f.item);
    }
    if (parts.empty()) {
      send_uploads(u);
      return;
    }
    multipart_body mp = make_multipart(parts);
    parts.clear();
    http_request req = post(api_ + "/v1/attachment/" + code_);
    req.content_type = std::move(mp.content_type);
    req.body = std::move(mp.body);
    // A repeated upload only stores the file twice: retrying is harmless. Confirmed: one hash per file.
    const std::size_t files = owners.size();
    auto confirms = [files](const http_request&, const http_response& resp) {
      boost::system::error_code ec;
      const json::value v = json::parse(resp.body, ec);
      return !ec && success_envelope(v) != nullptr && upload_hashes(resp.body).size() == files;
    };
    u->req->send(std::move(req), true, std::move(confirms), [this, u, owners = std::move(owners)](http_response resp) {
      std::vector<std::string> hashes = resp.ok() ? upload_hashes(resp.body) : std::vector<std::string>{};
      if (hashes.size() == owners.size()) {
        for (std::size_t i = 0; i < owners.size(); ++i) u->hashes[owners[i]].push_back(std::move(hashes[i]));
      } else {
        const std::string why = describe_error(resp);
        std::vector<std::size_t> items = owners;
        items.erase(std::unique(items.begin(), items.end()), items.end());
        for (const auto i : items) u->warnings.push_back((*u->batch)[i].label + ": attachments not uploaded: " + why);
      }
      send_uploads(u);
    });
  }

  // QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK, as the official reporters do once the run is completed:
  // PATCH .../public (v1/paths/run_public.yaml) and the link in the summary. A failure costs the
  // link only, never the completion.
  void publish(requester& r, std::string message, std::function<void(run_finish)> done) {
    http_request req = post(api_ + "/v1/run/" + code_ + "/" + std::to_string(run_id_) + "/public");
    req.method = "PATCH";
    req.body = R"({"status":true})";
    r.send(
        std::move(req), true, [](const http_request&, const http_response& resp) { return public_url(resp) != ""; },
        [this, message = std::move(message), done = std::move(done)](http_response resp) {
          const std::string url = public_url(resp);
          if (resp.ok() && !url.empty()) {
            done({true, message + ", public report: " + url});
          } else {
            done({true, message + " (no public report link: " +
                            (resp.ok() ? std::string("the answer has no result.url") : describe_error(resp)) + ")"});
          }
        });
  }

  // RunPublicResponse: {"status": true, "result": {"url": "..."}}; "" otherwise.
  static std::string public_url(const http_response& resp) {
    boost::system::error_code ec;
    const json::value v = json::parse(resp.body, ec);
    const json::object* o = ec ? nullptr : success_envelope(v);
    const json::value* res = o != nullptr ? find(*o, "result") : nullptr;
    const json::value* url = res != nullptr && res->is_object() ? find(res->get_object(), "url") : nullptr;
    if (url == nullptr || !url->is_string()) return {};
    const std::string u = one_line(std::string(url->get_string()), 2048);
    return u.rfind("https://", 0) == 0 ? u : std::string();
  }

  http_request get(std::string url) const {
    http_request req;
    req.method = "GET";
    req.url = std::move(url);
    req.headers = headers_;
    return req;
  }

  http_request post(std::string url) const {
    http_request req = get(std::move(url));
    req.method = "POST";
    req.content_type = "application/json";
    return req;
  }

  std::string project_error(const http_response& resp) const {
    if (resp.error == net_error::none && resp.status == 401) {
      return "Qase rejected the API token (QASE_TESTOPS_API_TOKEN): check that it is valid and not revoked (" +
             describe_error(resp) + ")";
    }
    if (resp.error == net_error::none && resp.status == 404) {
      return "Qase project '" + one_line(s_.project, 64) +
             "' not found (QASE_TESTOPS_PROJECT): check the project code and the token's access (" +
             describe_error(resp) + ")";
    }
    if (resp.error == net_error::none && resp.status == 403) {
      return "Qase denied access to project '" + one_line(s_.project, 64) + "' for this API token (" +
             describe_error(resp) + ")";
    }
    return "Qase project check failed: " + describe_error(resp);
  }

  // `upload` after a crash: the crashed process may have created the run and never learned its id.
  void create_run(requester& r, std::function<void(std::string)> done) {
    if (!find_first_ || marker_.empty()) return post_run(r, std::move(done));
    find_marked_run(r, 0, [this, &r, done = std::move(done)](std::int64_t id) mutable {
      if (id > 0) return adopt_run(r, id, std::move(done));
      post_run(r, std::move(done));
    });
  }

  void adopt_run(requester& r, std::int64_t id, std::function<void(std::string)> done) {
    run_id_ = id;
    created_run_ = true;  // ours: completed at the end like one whose answer arrived
    link_external_issue(r, std::move(done));
  }

  // QASE_TESTOPS_CONFIGURATIONS_VALUES: the ids of the wanted configurations, made when missing and
  // QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS says so. One that cannot be found or made costs
  // that configuration (a line in the summary), never the run.
  void resolve_configurations(requester& r, std::function<void()> then) {
    r.send(
        get(api_ + "/v1/configuration/" + code_), true,
        [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, &r, then = std::move(then)](http_response resp) mutable {
          auto found = resp.ok() ? match_qase_configurations(resp.body, s_.configurations) : std::nullopt;
          if (!found) {
            run_warnings_.push_back(
                "the run has no configurations (QASE_TESTOPS_CONFIGURATIONS_VALUES): " +
                (resp.ok() ? std::string("the configuration list has an unexpected shape") : describe_error(resp)));
            return then();
          }
          next_configuration(r, std::make_shared<std::vector<qase_configuration_match>>(std::move(*found)), 0,
                             std::move(then));
        });
  }

  // Creation is not idempotent (a second POST makes a second group), so it is sent once: a lost
  // answer costs the configuration, never a duplicate.
  void next_configuration(requester& r, std::shared_ptr<std::vector<qase_configuration_match>> all, std::size_t i,
                          std::function<void()> then) {
    for (; i < all->size(); ++i) {
      const auto& m = (*all)[i];
      if (m.id != 0) {
        if (std::find(configuration_ids_.begin(), configuration_ids_.end(), m.id) == configuration_ids_.end())
          configuration_ids_.push_back(m.id);
        continue;
      }
      if (s_.create_configurations) break;
      run_warnings_.push_back("configuration " + one_line(m.group, 255) + "=" + one_line(m.value, 255) +
                              " not found in project '" + one_line(s_.project, 64) +
                              "'; set QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS=true to create it");
    }
    if (i >= all->size()) return then();
    const auto& m = (*all)[i];
    const bool group = m.group_id == 0;
    http_request req = post(api_ + "/v1/configuration/" + code_ + (group ? "/group" : ""));
    json::object body{{"title", group ? m.group : m.value}};
    if (!group) body["group_id"] = m.group_id;
    req.body = json::serialize(body);
    r.send(
        std::move(req), false,
        [](const http_request&, const http_response& resp) { return qase_id_response(resp.body) > 0; },
        [this, &r, all, i, group, then = std::move(then)](http_response resp) mutable {
          const std::int64_t id = resp.ok() ? qase_id_response(resp.body) : 0;
          auto& m = (*all)[i];
          if (id == 0) {
            run_warnings_.push_back("configuration " + std::string(group ? "group " : "") + one_line(m.group, 255) +
                                    (group ? "" : "=" + one_line(m.value, 255)) +
                                    " could not be created: " + describe_error(resp));
            return next_configuration(r, all, i + 1, std::move(then));
          }
          for (auto& later : *all) {  // later pairs of the same group (or value) need no second one
            if (group && later.group == m.group && later.group_id == 0) later.group_id = id;
            if (!group && later.group == m.group && later.value == m.value && later.id == 0) later.id = id;
          }
          next_configuration(r, all, i, std::move(then));
        });
  }

  // QASE_TESTOPS_RUN_EXTERNAL_LINK, once the run exists: a second link replaces the first, so the
  // request may be repeated. Its failure costs the link only.
  void link_external_issue(requester& r, std::function<void(std::string)> done) {
    if (s_.external_link.empty()) return done("");
    http_request req = post(api_ + "/v1/run/" + code_ + "/external-issue");
    req.body = qase_external_issue_body(s_.external_link_type, s_.external_link, run_id_);
    // The spec documents a bare 200; a 200 that says {"status": false} is a refusal.
    auto confirms = [](const http_request&, const http_response& resp) {
      boost::system::error_code ec;
      const json::value v = json::parse(resp.body, ec);
      const json::value* st = !ec && v.is_object() ? find(v.get_object(), "status") : nullptr;
      return resp.status == 200 && !(st != nullptr && st->is_bool() && !st->get_bool());
    };
    r.send(std::move(req), true, std::move(confirms), [this, done = std::move(done)](http_response resp) {
      if (!resp.ok())
        run_warnings_.push_back("Jira issue " + one_line(s_.external_link, 255) +
                                " not linked to the run (QASE_TESTOPS_RUN_EXTERNAL_LINK): " + describe_error(resp));
      done("");
    });
  }

  // The open runs (v1/paths/runs.yaml: status=in_progress, pages of 100), searched for our
  // marker in the description; 0 when none has it or the list cannot be read.
  void find_marked_run(requester& r, int offset, std::function<void(std::int64_t)> found) {
    constexpr int page = 100;
    constexpr int max_pages = 10;
    r.send(
        get(api_ + "/v1/run/" + code_ + "?status=in_progress&limit=" + std::to_string(page) +
            "&offset=" + std::to_string(offset)),
        true, [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, &r, offset, found = std::move(found)](http_response resp) mutable {
          if (!resp.ok()) return found(0);
          boost::system::error_code ec;
          const json::value v = json::parse(resp.body, ec);
          const json::object* env = ec ? nullptr : success_envelope(v);
          const json::value* result = env != nullptr ? find(*env, "result") : nullptr;
          const json::value* entities =
              result != nullptr && result->is_object() ? find(result->get_object(), "entities") : nullptr;
          if (entities == nullptr || !entities->is_array()) return found(0);
          for (const auto& e : entities->get_array()) {
            if (!e.is_object()) continue;
            const json::value* d = find(e.get_object(), "description");
            const json::value* id = find(e.get_object(), "id");
            if (d != nullptr && d->is_string() && id != nullptr && id->is_int64() && id->get_int64() > 0 &&
                std::string_view(d->get_string()).find(marker_) != std::string_view::npos)
              return found(id->get_int64());
          }
          if (entities->get_array().size() < static_cast<std::size_t>(page) || offset / page + 1 >= max_pages)
            return found(0);
          find_marked_run(r, offset + page, std::move(found));
        });
  }

  void post_run(requester& r, std::function<void(std::string)> done) {
    if (!s_.configurations.empty() && !std::exchange(configurations_resolved_, true))
      return resolve_configurations(r, [this, &r, done = std::move(done)]() mutable { post_run(r, std::move(done)); });
    const std::int64_t now = now_();
    json::object body;
    body["title"] = s_.run_title.empty() ? "Automated run " + qase_datetime_utc(now) : clean(s_.run_title, 255);
    // The marker on a line of its own, after the user's text (both within Run.create's 10,000).
    std::string description = s_.run_description.empty()
                                  ? std::string()
                                  : clean(s_.run_description, 10000 - (marker_.empty() ? 0 : marker_.size() + 2));
    if (!marker_.empty()) description += (description.empty() ? "" : "\n\n") + marker_;
    if (!description.empty()) body["description"] = description;
    body["is_autotest"] = true;
    body["start_time"] = qase_datetime_utc(now);
    if (!s_.environment.empty()) body["environment_slug"] = clean(s_.environment, 255);
    if (s_.plan_id && *s_.plan_id > 0) body["plan_id"] = *s_.plan_id;
    if (s_.milestone_id && *s_.milestone_id > 0) body["milestone_id"] = *s_.milestone_id;
    if (!configuration_ids_.empty()) {
      json::array ids;
      for (const auto id : configuration_ids_) ids.emplace_back(id);
      body["configurations"] = std::move(ids);
    }
    if (!s_.run_tags.empty()) {
      json::array tags;
      for (const auto& t : s_.run_tags) {
        if (std::string c = clean(t, qase_title_cap); !c.empty()) tags.emplace_back(c);
      }
      if (!tags.empty()) body["tags"] = std::move(tags);
    }
    http_request req = post(api_ + "/v1/run/" + code_);
    req.body = json::serialize(body);
    // Run creation is not idempotent: a retry after a lost response would create a second run. When
    // the answer is lost (no answer, a gateway's 5xx, a 2xx that confirms nothing) the run may exist:
    // look it up by its marker before giving up.
    r.send(
        std::move(req), false, [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, &r, done = std::move(done)](http_response resp) mutable {
          if (!resp.ok()) {
            std::string error =
                "Qase could not create a run in project '" + one_line(s_.project, 64) + "': " + describe_error(resp);
            const bool refused = resp.error == net_error::none && resp.status >= 400 && resp.status < 500;
            if (refused || marker_.empty()) return done(std::move(error));
            // Not there: the request never reached the server, so sending it again (once) is safe.
            find_marked_run(r, 0,
                            [this, &r, done = std::move(done), error = std::move(error)](std::int64_t id) mutable {
                              if (id > 0) return adopt_run(r, id, std::move(done));
                              if (std::exchange(reposted_, true)) return done(error);
                              post_run(r, std::move(done));
                            });
            return;
          }
          const std::int64_t id = run_id_of(resp.body);
          if (id <= 0) {
            done("Qase answered the run creation without a run id: " + one_line(resp.body, raw_body_cap));
            return;
          }
          run_id_ = id;
          created_run_ = true;
          link_external_issue(r, std::move(done));
        });
  }

  void join_run(requester& r, std::function<void(std::string)> done) {
    const std::int64_t id = *s_.run_id;
    r.send(
        get(api_ + "/v1/run/" + code_ + "/" + std::to_string(id)), true,
        [](const http_request&, const http_response& resp) { return status_true(resp); },
        [this, id, done = std::move(done)](http_response resp) {
          if (resp.error == net_error::none && resp.status == 404) {
            done("Qase run " + std::to_string(id) + " not found in project '" + one_line(s_.project, 64) +
                 "' (QASE_TESTOPS_RUN_ID): check the run id (" + describe_error(resp) + ")");
            return;
          }
          if (!resp.ok()) {
            done("Qase could not check run " + std::to_string(id) + " (QASE_TESTOPS_RUN_ID): " + describe_error(resp));
            return;
          }
          run_id_ = id;
          created_run_ = false;
          done("");
        });
  }

  qase_settings s_;
  epoch_ms_clock now_;
  std::string api_;
  std::string app_;
  std::string code_;         // percent-encoded project code, as configured
  std::string marker_;       // run_plan::creation_marker
  bool find_first_ = false;  // run_plan::find_created_run
  bool reposted_ = false;    // the creation was sent again after a lookup found no run
  std::vector<http_header> headers_;
  qase_mapping_options mapping_;  // the thread is set by start()
  std::int64_t run_id_ = 0;
  bool created_run_ = false;
  bool configurations_resolved_ = false;
  std::vector<std::int64_t> configuration_ids_;  // QASE_TESTOPS_CONFIGURATIONS_VALUES, found or made
  std::vector<std::string> run_warnings_;        // what the run lacks that was asked for
  std::set<std::string> failed_before_;          // full names of tests with a failed attempt
  bool verified_ = false;                        // the run was checked by `run create` (common_settings::verified_runs)
};

}  // namespace

std::string qase_x_client() {
  return std::string("reporter=gtest-tms-reporter;reporter_version=") + GTEST_TMS_VERSION_STRING +
         ";framework=googletest";
}

std::string qase_x_platform() {
#if defined(__linux__)
  const char* os = "linux";
#elif defined(__APPLE__)
  const char* os = "darwin";
#elif defined(_WIN32)
  const char* os = "windows";
#else
  const char* os = "unknown";
#endif
#if defined(__x86_64__) || defined(_M_X64)
  const char* arch = "x86_64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  const char* arch = "arm64";
#elif defined(__i386__) || defined(_M_IX86)
  const char* arch = "x86";
#elif defined(__arm__)
  const char* arch = "arm";
#else
  const char* arch = "unknown";
#endif
#if defined(__clang__)
  const std::string cpp = "clang-" + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
                          std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  const std::string cpp = "gcc-" + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                          std::to_string(__GNUC_PATCHLEVEL__);
#elif defined(_MSC_VER)
  const std::string cpp = "msvc-" + std::to_string(_MSC_VER);
#else
  const std::string cpp = "unknown";
#endif
  return std::string("os=") + os + ";arch=" + arch + ";cpp=" + cpp;
}

std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c) {
  return make_qase_backend(s, c, nullptr);
}

std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c, epoch_ms_clock now) {
  const bool verified = s.run_id && run_verified(c, tag(tms::qase), *s.run_id);
  return std::make_unique<qase_backend>(s, std::move(now), verified);
}

}  // namespace gtest_tms::detail

// tms_emulator: request parsing, the fault plan, dispatch to the Qase / QA Sphere routes,
// recording, and the state views used by tests.

#include "emulator/emulator.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include <openssl/evp.h>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "emulator/emulator_state.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail::emulator {
namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

std::string classify(const std::string& path) {
  if (path.rfind("/v1/", 0) == 0 || path.rfind("/v2/", 0) == 0) return "qase";
  if (path.rfind("/api/public/v0/", 0) == 0) return "qasphere";
  return "other";
}

// The reply an injected status gets: what the service (or the gateway in front of it) would send.
server_reply injected_reply(const std::string& system, int status, int retry_after) {
  server_reply reply;
  if (status == 502 || status == 504) {
    reply.status = status;
    reply.content_type = "text/html";
    std::string line = std::to_string(status) + " " + reason_phrase(status);
    reply.body = "<html><head><title>" + line + "</title></head><body><center><h1>" + line +
                 "</h1></center><hr><center>nginx</center></body></html>\n";
  } else if (system == "qasphere") {
    reply = json_reply(
        status, {{"message", status == 429 ? "Too many requests, please try again later." : reason_phrase(status)}});
  } else {
    reply = json_reply(status, {{"status", false},
                                {"errorMessage", status == 429 ? "API rate limit exceeded." : reason_phrase(status)}});
  }
  if (retry_after >= 0) reply.headers.push_back({"Retry-After", std::to_string(retry_after)});
  return reply;
}

// One line naming the error of a non-2xx reply, for the log and the summary.
std::string reply_error(const server_reply& reply) {
  if (reply.content_type.rfind("application/json", 0) == 0) {
    boost::system::error_code ec;
    auto v = boost::json::parse(reply.body, ec);
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      for (const char* key : {"errorMessage", "message"}) {
        if (auto it = o.find(key); it != o.end() && it->value().is_string()) {
          std::string msg(it->value().as_string());
          // Name the first offending field too, the message alone is often generic.
          if (auto f = o.find("errorFields"); f != o.end() && f->value().is_array() && !f->value().as_array().empty()) {
            const auto& first = f->value().as_array().front();
            if (first.is_object() && first.as_object().contains("field") && first.as_object().contains("error"))
              msg += " (" + std::string(first.at("field").as_string()) + ": " +
                     std::string(first.at("error").as_string()) + ")";
          }
          return msg;
        }
      }
    }
  }
  return "HTTP " + std::to_string(reply.status) + " " + reason_phrase(reply.status);
}

bool rule_selects(const fault_rule& r, std::uint64_t occurrence) {
  if (r.first == 0) return true;
  return occurrence >= r.first && (r.last == 0 || occurrence <= r.last);
}

server_reply handle_locked(emulator_state& st, const server_request& req, recorded_request& rec) {
  auto parsed = boost::urls::parse_origin_form(req.target);
  if (!parsed) {
    rec.system = "other";
    rec.path = req.target;
    return json_reply(400, {{"message", "Malformed request target"}});
  }
  request_context ctx{req, req.method, parsed->path(), {}, {}, nullptr, req.body.empty(), false, {}, rec};
  for (auto seg : parsed->segments()) ctx.segments.push_back(std::string(seg));
  for (auto param : parsed->params()) ctx.query.emplace(param.key, param.value);
  rec.system = classify(ctx.path);
  rec.path = ctx.path;
  if (!req.body.empty()) {
    boost::system::error_code ec;
    // Boost.JSON's default depth of 32 would refuse a result with 16 nested steps (each level is a
    // step object and its "steps" array); the real services take them.
    boost::json::parse_options opt;
    opt.max_depth = 256;
    auto v = boost::json::parse(req.body, ec, {}, opt);
    if (!ec) {
      ctx.body = std::move(v);
      ctx.body_is_json = true;
    } else {
      ctx.body_error = ec.message();
    }
  }
  rec.body = ctx.body;

  // Fault plan first: a gateway in front of the service fails regardless of auth and content.
  std::chrono::milliseconds latency = st.options.latency;
  const fault_rule* chosen = nullptr;
  bool close = false;
  for (std::size_t i = 0; i < st.options.faults.rules.size(); ++i) {
    const auto& r = st.options.faults.rules[i];
    if (r.method != "*" && r.method != req.method) continue;
    if (!std::regex_match(ctx.path, st.rule_regexes[i])) continue;
    if (!rule_selects(r, ++st.rule_counts[i])) continue;
    latency += r.latency;
    close = close || r.close;
    if (!chosen && (r.status != 0 || r.fault != server_fault::none)) chosen = &r;
  }

  server_reply reply;
  if (chosen && chosen->status != 0) {
    reply = injected_reply(rec.system, chosen->status, chosen->retry_after);
    if (!chosen->body.empty()) {
      reply.body = chosen->body;
      reply.content_type = chosen->content_type;
    }
    rec.injected = true;
  } else if (chosen && chosen->fault == server_fault::reset_before_read) {
    reply.fault = chosen->fault;
    rec.injected = true;
    rec.fault = fault_name(chosen->fault);
  } else {
    if (rec.system == "qase") {
      reply = handle_qase(st, ctx);
    } else if (rec.system == "qasphere") {
      reply = handle_qasphere(st, ctx);
    } else {
      reply = json_reply(404, {{"message",
                                "Not found: the emulator serves Qase under /v1 and /v2 and QA Sphere "
                                "under /api/public/v0"}});
    }
    if (chosen) {  // processed, but the reply is lost or mangled on the way back
      reply.fault = chosen->fault;
      rec.injected = true;
      rec.fault = fault_name(chosen->fault);
    }
  }
  if (reply.fault == server_fault::none || reply.fault == server_fault::trickle) rec.status = reply.status;
  if (reply.fault != server_fault::reset_before_read && (reply.status < 200 || reply.status >= 300))
    rec.error = reply_error(reply);
  reply.delay = latency;
  reply.close = reply.close || close;
  return reply;
}

void append_record(emulator_state& st, recorded_request rec) {
  if (st.log_file.is_open()) {
    st.log_file << boost::json::serialize(to_json(rec)) << '\n';
    st.log_file.flush();
    if (!st.log_file && st.log_file_error.empty()) {
      st.log_file_error = "emulator: cannot write the request log " + st.options.log_path;
      std::fprintf(stderr, "%s\n", st.log_file_error.c_str());
    }
  }
  st.log.push_back(std::move(rec));
}

}  // namespace

std::string find_header(const server_request& request, const std::string& name) {
  for (const auto& h : request.headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

server_reply json_reply(int status, boost::json::value body) {
  server_reply reply;
  reply.status = status;
  reply.content_type = "application/json";
  reply.body = boost::json::serialize(body);
  return reply;
}

server_reply laravel_422(const std::vector<std::pair<std::string, std::string>>& errors) {
  boost::json::object errs;
  for (const auto& [field, msg] : errors) {
    auto& arr = errs[field];
    if (!arr.is_array()) arr = boost::json::array{};
    arr.as_array().push_back(boost::json::string(msg));
  }
  std::string message = errors.empty() ? "The given data was invalid." : errors.front().second;
  if (errors.size() > 1)
    message += " (and " + std::to_string(errors.size() - 1) + " more error" + (errors.size() > 2 ? "s)" : ")");
  return json_reply(422, {{"message", message}, {"errors", std::move(errs)}});
}

std::optional<std::int64_t> parse_id(const std::string& segment) {
  if (segment.empty() || segment.front() < '0' || segment.front() > '9') return std::nullopt;  // no sign
  return parse_int(segment, 0, std::numeric_limits<std::int64_t>::max());
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

qasphere_project default_qasphere_project(const std::string& code, int count) {
  qasphere_project p;
  p.code = code;
  p.title = "Emulated project " + code;
  for (int i = 1; i <= count; ++i) {
    char id[16];
    char title[32];
    (void)std::snprintf(id, sizeof id, "tc%04d", i);
    (void)std::snprintf(title, sizeof title, "Test case %03d", i);
    qasphere_tcase tc;
    tc.id = id;
    tc.seq = i;
    tc.title = title;
    tc.folder_id = 1 + (i - 1) / 10;  // two folders of ten, so folder plans select something
    tc.priority = i % 3 == 0 ? "high" : (i % 3 == 1 ? "medium" : "low");
    p.tcases.push_back(std::move(tc));
  }
  return p;
}

tms_emulator::tms_emulator(emulator_options options) : state_(std::make_unique<emulator_state>(std::move(options))) {
  auto& st = *state_;
  for (const auto& r : st.options.faults.rules) st.rule_regexes.emplace_back(r.path_regex);
  st.rule_counts.assign(st.options.faults.rules.size(), 0);
  if (!st.options.log_path.empty()) {
    st.log_file.open(st.options.log_path, std::ios::out | std::ios::trunc);
    if (!st.log_file) throw std::runtime_error("emulator: cannot open the request log " + st.options.log_path);
  }
}

tms_emulator::~tms_emulator() = default;

server_reply tms_emulator::handle(const server_request& request) {
  std::lock_guard lock(state_->mutex);
  recorded_request rec;
  rec.seq = state_->log.size() + 1;
  rec.method = request.method;
  rec.received_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  server_reply reply;
  try {
    reply = handle_locked(*state_, request, rec);
  } catch (const std::exception& e) {
    reply = json_reply(500, {{"message", std::string("emulator internal error: ") + e.what()}});
    rec.status = 500;
    rec.error = std::string("emulator internal error: ") + e.what();
  }
  try {
    append_record(*state_, std::move(rec));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "emulator: cannot record a request: %s\n", e.what());
  }
  return reply;
}

https_server::handler tms_emulator::as_handler() {
  return [this](const server_request& r) { return handle(r); };
}

std::vector<recorded_request> tms_emulator::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->log;
}

std::string tms_emulator::summary() const { return summarize(requests()); }

std::vector<qase_run_view> tms_emulator::qase_runs() const {
  std::lock_guard lock(state_->mutex);
  std::vector<qase_run_view> out;
  for (const auto& [id, r] : state_->qase_runs)
    out.push_back({r.id, r.project, r.title, r.request, r.completed, r.complete_count, r.external_issue});
  return out;
}

std::vector<boost::json::object> tms_emulator::qase_results(std::int64_t run_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->qase_runs.find(run_id);
  return it == state_->qase_runs.end() ? std::vector<boost::json::object>{} : it->second.results;
}

int tms_emulator::qase_complete_count(std::int64_t run_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->qase_runs.find(run_id);
  return it == state_->qase_runs.end() ? 0 : it->second.complete_count;
}

std::vector<std::string> tms_emulator::qase_attachments() const {
  std::lock_guard lock(state_->mutex);
  return state_->qase_attachments;
}

std::vector<qasphere_file_view> tms_emulator::qasphere_files() const {
  std::lock_guard lock(state_->mutex);
  return state_->qasphere_files;
}

std::vector<qasphere_run_view> tms_emulator::qasphere_runs() const {
  std::lock_guard lock(state_->mutex);
  std::vector<qasphere_run_view> out;
  for (const auto& [id, r] : state_->qasphere_runs)
    out.push_back({r.id, r.project, r.title, r.type, r.tcase_ids, r.closed, r.close_count, r.logs});
  return out;
}

std::vector<qasphere_result_view> tms_emulator::qasphere_results(std::int64_t run_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->qasphere_runs.find(run_id);
  return it == state_->qasphere_runs.end() ? std::vector<qasphere_result_view>{} : it->second.results;
}

int tms_emulator::qasphere_close_count(std::int64_t run_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->qasphere_runs.find(run_id);
  return it == state_->qasphere_runs.end() ? 0 : it->second.close_count;
}

std::vector<std::string> tms_emulator::qasphere_auth_schemes() const {
  std::lock_guard lock(state_->mutex);
  return state_->qasphere_auth_schemes;
}

}  // namespace gtest_tms::detail::emulator

// Emulated QA Sphere public API v0 (/api/public/v0), following the QA Sphere API reference (qasphere-api.md).
//
// Errors are {"message":"..."} like the real service. Where the real behaviour is unverified the
// emulator is deliberately strict, so a reporter that passes here passes the strictest reading:
//  - request bodies with unknown keys are rejected (the CLI validates them the same way);
//  - a result needs "comment" (may be ""), as the newer docs require;
//  - results for cases outside the run, and results to a closed run, are rejected with 400;
//  - closing a closed run answers 400 "Run is already closed" (and is counted);
//  - within one query plan the filters intersect; several plans (live runs) unite;
//  - POST /file/batch takes fields named "files" only, at most 100 files of at most 50 MiB each.

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "emulator/emulator_state.hpp"
#include "emulator/multipart.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail::emulator {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

const std::vector<std::string> result_statuses{"passed",  "failed",  "blocked", "skipped", "open",
                                               "custom1", "custom2", "custom3", "custom4"};

server_reply message(int status, const std::string& text) { return json_reply(status, {{"message", text}}); }

const value* find(const object& o, const char* key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Returns the name of the first key not in `allowed`, or empty.
std::string unknown_key(const object& o, std::initializer_list<const char*> allowed) {
  for (const auto& kv : o) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || kv.key() == a;
    if (!ok) return std::string(kv.key());
  }
  return {};
}

std::string marker(const qasphere_project& p, const qasphere_tcase& tc) {
  std::string seq = std::to_string(tc.seq);
  if (seq.size() < 3) seq.insert(0, 3 - seq.size(), '0');
  return p.code + "-" + seq;
}

value tcase_json(const qasphere_project& p, const qasphere_tcase& tc) {
  return {{"id", tc.id},
          {"legacyId", tc.legacy_id},
          {"version", 1},
          {"title", tc.title},
          {"seq", tc.seq},
          {"type", "standalone"},
          {"folderId", tc.folder_id},
          {"priority", tc.priority},
          {"isDraft", false},
          {"pos", tc.seq - 1},
          {"tags", array{}},
          {"project", {{"id", "project-" + to_lower(p.code)}, {"code", p.code}, {"title", p.title}}}};
}

value project_json(const qasphere_project& p) {
  return {{"id", "project-" + to_lower(p.code)},
          {"code", p.code},
          {"title", p.title},
          {"description", ""},
          {"overviewTitle", ""},
          {"overviewDescription", ""},
          {"links", array{}},
          {"createdAt", "2026-01-01T00:00:00Z"},
          {"updatedAt", "2026-01-01T00:00:00Z"},
          {"archivedAt", nullptr}};
}

const qasphere_tcase* find_tcase_by_id(const qasphere_project& p, const std::string& id) {
  auto lookup = [&]() -> const qasphere_tcase* {
    const auto it = p.id_index.find(id);
    if (it == p.id_index.end() || it->second >= p.tcases.size() || p.tcases[it->second].id != id) return nullptr;
    return &p.tcases[it->second];
  };
  if (p.id_index.size() == p.tcases.size())
    if (const auto* tc = lookup()) return tc;
  p.id_index.clear();  // stale or first use (the caller holds the emulator's lock)
  for (std::size_t i = 0; i < p.tcases.size(); ++i) p.id_index.emplace(p.tcases[i].id, i);
  return lookup();
}

// Authentication and the per-key rate limit; returns a reply when the request must stop here.
std::optional<server_reply> authenticate(emulator_state& st, request_context& ctx) {
  std::string auth = trim(find_header(ctx.request, "Authorization"));
  auto space = auth.find(' ');
  std::string scheme = to_lower(auth.substr(0, space));
  const bool known_scheme = space != std::string::npos && (scheme == "apikey" || scheme == "bearer");
  st.qasphere_auth_schemes.push_back(known_scheme ? auth.substr(0, space) : std::string());
  if (auth.empty() || space == std::string::npos || (scheme != "apikey" && scheme != "bearer"))
    return message(401, "Missing API key");
  std::string key = trim(auth.substr(space + 1));
  int dots = 0;
  bool empty_part = key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos;
  for (char c : key) dots += c == '.';
  if (dots != 2 || empty_part || key.find_first_of(" \t") != std::string::npos)
    return message(401, "Invalid API key format");
  const qasphere_key* found = nullptr;
  for (const auto& k : st.options.qasphere_keys)
    if (k.key == key) found = &k;
  if (!found) return message(401, "Invalid credentials");
  if (found->state == key_state::suspended) return message(403, "Tenant suspended");
  if (found->state == key_state::wrong_domain) return message(400, "Wrong domain");
  if (st.options.qasphere_rate_limit) {
    auto now = st.now();
    auto& window = st.rate_windows[key];
    while (!window.empty() && window.front() <= now - std::chrono::seconds(1)) window.pop_front();
    if (window.size() >= static_cast<std::size_t>(std::max(1, st.options.qasphere_rate_limit_per_second))) {
      auto reply = message(429, "Too many requests, please try again later.");
      reply.headers.push_back({"Retry-After", "1"});
      return reply;  // rejected requests do not use up the window
    }
    window.push_back(now);
  }
  return std::nullopt;
}

std::optional<server_reply> need_object(const request_context& ctx) {
  if (!ctx.body_is_json || !ctx.body.is_object()) return message(400, "The request body must be a JSON object");
  return std::nullopt;
}

server_reply seq_lookup(const qasphere_project& p, request_context& ctx) {
  if (auto bad = need_object(ctx)) return *bad;
  const auto& body = ctx.body.as_object();
  if (auto k = unknown_key(body, {"seqIds", "offset", "limit"}); !k.empty())
    return message(400, "Unknown field \"" + k + "\"");
  const value* ids = find(body, "seqIds");
  if (!ids || !ids->is_array()) return message(400, "seqIds must be an array of markers like " + p.code + "-001");
  std::int64_t offset = 0;
  std::int64_t limit = 10;  // the older servers' default; the CLI always sends a limit
  if (const value* o = find(body, "offset")) {
    if (!json_is_integer(*o) || json_integer(*o) < 0) return message(400, "offset must be an integer >= 0");
    offset = json_integer(*o);
  }
  if (const value* l = find(body, "limit")) {
    if (!json_is_integer(*l) || json_integer(*l) < 0 || json_integer(*l) > 5000)
      return message(400, "limit must be an integer 0..5000");
    limit = json_integer(*l);
  }
  std::set<int> seqs;
  for (const auto& item : ids->as_array()) {
    if (!item.is_string()) return message(400, "seqIds must contain strings");
    std::string m(item.as_string());
    auto dash = m.rfind('-');
    if (dash == std::string::npos || to_lower(m.substr(0, dash)) != to_lower(p.code)) continue;
    std::string digits = m.substr(dash + 1);
    if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    seqs.insert(static_cast<int>(parse_int(digits, 0, 999'999'999).value_or(0)));
  }
  std::vector<const qasphere_tcase*> matched;
  for (const auto& tc : p.tcases)
    if (seqs.count(tc.seq)) matched.push_back(&tc);
  std::sort(matched.begin(), matched.end(), [](auto* a, auto* b) { return a->seq < b->seq; });
  array data;
  for (std::int64_t i = offset; i < static_cast<std::int64_t>(matched.size()) && i < offset + limit; ++i)
    data.push_back(tcase_json(p, *matched[static_cast<std::size_t>(i)]));
  return json_reply(200, {{"data", std::move(data)}, {"total", matched.size()}, {"offset", offset}, {"limit", limit}});
}

server_reply create_run(emulator_state& st, const qasphere_project& p, request_context& ctx) {
  if (auto bad = need_object(ctx)) return *bad;
  const auto& body = ctx.body.as_object();
  if (auto k = unknown_key(
          body, {"title", "description", "type", "milestoneId", "configurationId", "assignmentId", "queryPlans"});
      !k.empty())
    return message(400, "Unknown field \"" + k + "\"");
  const value* title = find(body, "title");
  if (!title || !title->is_string() || title->as_string().empty() || utf8_length(title->as_string()) > 255)
    return message(400, "title must be a string of 1 to 255 characters");
  if (const value* d = find(body, "description");
      d && !d->is_null() && (!d->is_string() || utf8_length(d->as_string()) > 512))
    return message(400, "description must be a string of at most 512 characters");
  const value* type = find(body, "type");
  std::string t = type && type->is_string() ? std::string(type->as_string()) : "";
  if (t != "static" && t != "static_struct" && t != "live")
    return message(400, "type must be one of static, static_struct, live");
  std::string milestone;
  if (const value* m = find(body, "milestoneId"); m && !m->is_null()) {
    if (!json_is_integer(*m) || json_integer(*m) < 1) return message(400, "milestoneId must be a positive integer");
    milestone = std::to_string(json_integer(*m));
  }
  if (const value* c = find(body, "configurationId"); c && !c->is_null() && !c->is_string())
    return message(400, "configurationId must be a string");
  if (const value* a = find(body, "assignmentId"); a && !a->is_null() && !json_is_integer(*a))
    return message(400, "assignmentId must be an integer");
  const value* plans = find(body, "queryPlans");
  if (!plans || !plans->is_array() || plans->as_array().empty())
    return message(400, "queryPlans must contain at least one query plan");
  if (t != "live" && plans->as_array().size() != 1) return message(400, "a " + t + " run takes exactly one query plan");

  std::set<std::string> members;
  for (std::size_t i = 0; i < plans->as_array().size(); ++i) {
    const auto& plan_v = plans->as_array()[i];
    std::string where = "queryPlans[" + std::to_string(i) + "]";
    if (!plan_v.is_object()) return message(400, where + " must be an object");
    const auto& plan = plan_v.as_object();
    if (auto k = unknown_key(plan, {"tcaseIds", "folderIds", "tagIds", "priorities"}); !k.empty())
      return message(400, where + ": unknown field \"" + k + "\"");
    bool any = false;
    std::vector<const qasphere_tcase*> selected;
    for (const auto& tc : p.tcases) selected.push_back(&tc);
    auto keep = [&](auto pred) {
      selected.erase(std::remove_if(selected.begin(), selected.end(), [&](auto* tc) { return !pred(*tc); }),
                     selected.end());
    };
    if (const value* ids = find(plan, "tcaseIds")) {
      if (t == "live") return message(400, where + ": tcaseIds are not allowed for live runs");
      if (!ids->is_array()) return message(400, where + ".tcaseIds must be an array of test case ids");
      std::set<std::string> wanted;
      for (const auto& id : ids->as_array()) {
        if (!id.is_string()) return message(400, where + ".tcaseIds must contain strings");
        std::string s(id.as_string());
        if (!find_tcase_by_id(p, s)) return message(400, where + ".tcaseIds: test case \"" + s + "\" not found");
        wanted.insert(s);
      }
      any = any || !wanted.empty();
      keep([&](const qasphere_tcase& tc) { return wanted.count(tc.id) > 0; });
    }
    if (const value* folders = find(plan, "folderIds")) {
      if (!folders->is_array()) return message(400, where + ".folderIds must be an array of integers");
      std::set<std::int64_t> wanted;
      for (const auto& f : folders->as_array()) {
        if (!json_is_integer(f)) return message(400, where + ".folderIds must contain integers");
        wanted.insert(json_integer(f));
      }
      any = any || !wanted.empty();
      keep([&](const qasphere_tcase& tc) { return wanted.count(tc.folder_id) > 0; });
    }
    if (const value* tags = find(plan, "tagIds")) {
      if (!tags->is_array()) return message(400, where + ".tagIds must be an array of integers");
      for (const auto& tg : tags->as_array())
        if (!json_is_integer(tg)) return message(400, where + ".tagIds must contain integers");
      any = any || !tags->as_array().empty();
      if (!tags->as_array().empty()) keep([](const qasphere_tcase&) { return false; });  // emulated cases carry no tags
    }
    if (const value* prios = find(plan, "priorities")) {
      if (!prios->is_array()) return message(400, where + ".priorities must be an array");
      std::set<std::string> wanted;
      for (const auto& pr : prios->as_array()) {
        if (!pr.is_string() || (pr.as_string() != "high" && pr.as_string() != "medium" && pr.as_string() != "low"))
          return message(400, where + ".priorities must contain high, medium or low");
        wanted.insert(std::string(pr.as_string()));
      }
      any = any || !wanted.empty();
      keep([&](const qasphere_tcase& tc) { return wanted.count(tc.priority) > 0; });
    }
    if (!any) return message(400, where + " needs at least one of tcaseIds, folderIds, tagIds, priorities");
    for (auto* tc : selected) members.insert(tc->id);
  }
  std::string title_s(title->as_string());
  for (const auto& [id, r] : st.qasphere_runs)
    if (r.project == p.code && r.milestone == milestone && r.title == title_s)
      return message(403, "run title must be unique within the milestone, conflicting run id: " + std::to_string(id));

  qasphere_run_state run;
  run.id = st.next_qasphere_run++;
  run.project = p.code;
  run.title = title_s;
  if (const value* d = find(body, "description"); d && d->is_string()) run.description = std::string(d->as_string());
  run.type = t;
  run.milestone = milestone;
  for (const auto& tc : p.tcases)  // project order
    if (members.count(tc.id)) run.tcase_ids.push_back(tc.id);
  ctx.record.effects["run_created"] = {{"id", run.id}, {"title", run.title}, {"project", p.code}};
  auto id = run.id;
  st.qasphere_runs.emplace(id, std::move(run));
  return json_reply(200, {{"id", id}});
}

std::string latest_status(const qasphere_run_state& run, const std::string& tcase_id) {
  std::string status = "open";
  for (const auto& r : run.results)
    if (r.tcase_id == tcase_id) status = r.status;
  return status;
}

server_reply run_tcases(const qasphere_project& p, const qasphere_run_state& run) {
  array out;
  int pos = 0;
  for (const auto& id : run.tcase_ids) {
    const auto* tc = find_tcase_by_id(p, id);
    if (!tc) continue;
    out.push_back({{"id", tc->id},
                   {"version", 1},
                   {"folderId", tc->folder_id},
                   {"pos", pos++},
                   {"seq", tc->seq},
                   {"title", tc->title},
                   {"priority", tc->priority},
                   {"status", latest_status(run, tc->id)}});
  }
  return json_reply(200, {{"tcases", std::move(out)}});
}

// Checks one result item (batch item or single-result body); returns an error text or empty.
std::string check_result(const object& item, const std::string& where, bool with_tcase) {
  auto k = with_tcase ? unknown_key(item, {"tcaseId", "status", "comment", "timeTaken", "links"})
                      : unknown_key(item, {"status", "comment", "timeTaken", "links"});
  if (!k.empty()) return where + "unknown field \"" + k + "\"";
  if (with_tcase) {
    const value* id = find(item, "tcaseId");
    if (!id || !id->is_string() || id->as_string().empty()) return where + "tcaseId is required (a test case id)";
  }
  const value* status = find(item, "status");
  if (!status || !status->is_string() ||
      std::find(result_statuses.begin(), result_statuses.end(), std::string(status->as_string())) ==
          result_statuses.end())
    return where + "status must be one of passed, failed, blocked, skipped, open, custom1..custom4";
  const value* comment = find(item, "comment");
  if (!comment || !comment->is_string()) return where + "comment is required (a string, may be empty)";
  if (const value* t = find(item, "timeTaken"); t && !t->is_null() && (!json_is_integer(*t) || json_integer(*t) < 0))
    return where + "timeTaken must be an integer >= 0 or null";
  if (const value* links = find(item, "links")) {
    if (!links->is_array()) return where + "links must be an array";
    for (const auto& l : links->as_array()) {
      if (!l.is_object()) return where + "links must contain {text, url} objects";
      const value* text = find(l.as_object(), "text");
      const value* url = find(l.as_object(), "url");
      if (!text || !text->is_string() || !url || !url->is_string())
        return where + "links must contain {text, url} objects";
    }
  }
  return {};
}

qasphere_result_view make_result(emulator_state& st, const object& item, const std::string& tcase_id) {
  qasphere_result_view r;
  r.id = st.next_qasphere_result++;
  r.tcase_id = tcase_id;
  r.status = std::string(item.at("status").as_string());
  r.comment = std::string(item.at("comment").as_string());
  if (const value* t = find(item, "timeTaken"); t && !t->is_null()) r.time_taken = json_integer(*t);
  if (const value* links = find(item, "links"))  // check_result() made sure of their shape
    for (const auto& l : links->as_array()) r.links.emplace_back(l.at("text").as_string(), l.at("url").as_string());
  return r;
}

value result_effect(const qasphere_project& p, const qasphere_run_state& run, const qasphere_result_view& r) {
  const auto* tc = find_tcase_by_id(p, r.tcase_id);
  std::string name = tc ? marker(p, *tc) + " " + tc->title : r.tcase_id;
  return {{"run", run.id}, {"name", name}, {"status", r.status}, {"duplicate", false}};
}

server_reply batch_results(emulator_state& st, const qasphere_project& p, qasphere_run_state& run,
                           request_context& ctx) {
  if (auto bad = need_object(ctx)) return *bad;
  const auto& body = ctx.body.as_object();
  if (auto k = unknown_key(body, {"items"}); !k.empty()) return message(400, "Unknown field \"" + k + "\"");
  const value* items = find(body, "items");
  if (!items || !items->is_array() || items->as_array().empty())
    return message(400, "items must contain at least one result");
  if (run.closed) return message(400, "Run is closed");
  const std::unordered_set<std::string_view> members(run.tcase_ids.begin(), run.tcase_ids.end());
  for (std::size_t i = 0; i < items->as_array().size(); ++i) {
    const auto& it = items->as_array()[i];
    std::string where = "items[" + std::to_string(i) + "]: ";
    if (!it.is_object()) return message(400, where + "must be an object");
    if (auto err = check_result(it.as_object(), where, true); !err.empty()) return message(400, err);
    std::string id(it.as_object().at("tcaseId").as_string());
    if (members.count(id) == 0)
      return message(400, where + "test case \"" + id + "\" is not part of run " + std::to_string(run.id));
  }
  array ids;
  array effects;
  for (const auto& it : items->as_array()) {
    const auto& item = it.as_object();
    auto r = make_result(st, item, std::string(item.at("tcaseId").as_string()));
    ids.push_back(r.id);
    effects.push_back(result_effect(p, run, r));
    run.results.push_back(std::move(r));
  }
  ctx.record.effects["results"] = std::move(effects);
  return json_reply(200, {{"ids", std::move(ids)}});
}

server_reply single_result(emulator_state& st, const qasphere_project& p, qasphere_run_state& run,
                           const std::string& ref, request_context& ctx) {
  // The reference may be the case id, its sequence number or its legacy id.
  const qasphere_tcase* tc = find_tcase_by_id(p, ref);
  for (const auto& c : p.tcases)
    if (!tc && ((!c.legacy_id.empty() && c.legacy_id == ref) || (parse_id(ref) && *parse_id(ref) == c.seq))) tc = &c;
  if (!tc) return message(404, "Test case not found");
  if (std::find(run.tcase_ids.begin(), run.tcase_ids.end(), tc->id) == run.tcase_ids.end())
    return message(400, "test case \"" + tc->id + "\" is not part of run " + std::to_string(run.id));
  if (auto bad = need_object(ctx)) return *bad;
  if (run.closed) return message(400, "Run is closed");
  if (auto err = check_result(ctx.body.as_object(), "", false); !err.empty()) return message(400, err);
  auto r = make_result(st, ctx.body.as_object(), tc->id);
  auto id = r.id;
  ctx.record.effects["results"] = array{result_effect(p, run, r)};
  run.results.push_back(std::move(r));
  return json_reply(200, {{"id", id}});
}

server_reply list_runs(const emulator_state& st, const qasphere_project& p) {
  array runs;
  for (const auto& [id, r] : st.qasphere_runs) {
    if (r.project != p.code) continue;
    object counts;
    std::int64_t all = 0;
    for (const auto& tc : r.tcase_ids) {
      auto& n = counts[latest_status(r, tc)];
      n = n.is_int64() ? n.as_int64() + 1 : 1;
      ++all;
    }
    counts["all"] = all;
    runs.push_back({{"id", r.id},
                    {"title", r.title},
                    {"description", r.description},
                    {"type", r.type},
                    {"closed", r.closed},
                    {"statusCounts", std::move(counts)}});
  }
  return json_reply(200, {{"runs", std::move(runs)}});
}

}  // namespace

// POST /file/batch (qasphere-api.md, "Upload files"): {"files":[{"id","url"}]} in request order.
server_reply upload_files(emulator_state& st, request_context& ctx) {
  auto boundary = multipart_boundary(find_header(ctx.request, "Content-Type"));
  if (!boundary) return message(400, "files must be sent as multipart/form-data");
  auto parts = parse_multipart(ctx.request.body, *boundary);
  if (!parts) return message(400, "malformed multipart/form-data body");
  array recorded;
  for (const auto& p : *parts) {
    if (p.name != "files") return message(400, "unexpected field " + p.name);
    recorded.push_back({{"filename", p.filename}, {"size", p.data.size()}, {"mime", p.content_type}});
  }
  ctx.record.body = {{"files", recorded}};
  if (parts->empty()) return message(400, "no files");
  if (parts->size() > 100) return message(413, "at most 100 files per request");
  for (const auto& p : *parts)
    if (p.data.size() > std::size_t{50} * 1024 * 1024) return message(413, "a file is larger than 50 MiB");
  array files;
  for (const auto& p : *parts) {
    const std::string id = "file" + std::to_string(st.qasphere_files.size() + 1);
    files.push_back({{"id", id}, {"url", "https://emulator.invalid/qasphere/file/" + id + "/" + p.filename}});
    st.qasphere_files.push_back({id, p.filename, sha256_hex(p.data)});
  }
  ctx.record.effects["files"] = parts->size();
  return json_reply(200, {{"files", std::move(files)}});
}

server_reply handle_qasphere(emulator_state& st, request_context& ctx) {
  if (auto stop = authenticate(st, ctx)) return *stop;
  std::vector<std::string> s(ctx.segments.begin() + 3, ctx.segments.end());  // after api/public/v0
  const auto& m = ctx.method;
  auto not_found = [] { return message(404, "Not found"); };
  if (s.size() == 2 && s[0] == "users" && s[1] == "me" && m == "GET")
    return json_reply(200, {{"user",
                             {{"id", 1},
                              {"email", "emulator@example.invalid"},
                              {"name", "Emulator User"},
                              {"avatar", nullptr},
                              {"role", "admin"}}}});
  if (s.size() == 2 && s[0] == "file" && s[1] == "batch" && m == "POST") return upload_files(st, ctx);
  if (s.empty() || s[0] != "project") return not_found();
  if (s.size() == 1 && m == "GET") {
    array projects;
    for (const auto& p : st.options.qasphere_projects) projects.push_back(project_json(p));
    return json_reply(200, {{"projects", std::move(projects)}});
  }
  const qasphere_project* project = nullptr;
  for (const auto& p : st.options.qasphere_projects)
    if (p.code == s[1] || "project-" + to_lower(p.code) == s[1]) project = &p;
  if (!project) return message(404, "Project not found");
  const auto& p = *project;
  if (s.size() == 2 && m == "GET") return json_reply(200, project_json(p));
  if (s.size() == 4 && s[2] == "tcase" && s[3] == "seq" && m == "POST") return seq_lookup(p, ctx);
  if (s.size() == 4 && s[2] == "tcase" && m == "GET") {
    for (const auto& tc : p.tcases)
      if (tc.id == s[3] || (!tc.legacy_id.empty() && tc.legacy_id == s[3]) ||
          (parse_id(s[3]) && *parse_id(s[3]) == tc.seq))
        return json_reply(200, tcase_json(p, tc));
    return message(404, "Test case not found");
  }
  if (s.size() >= 3 && s[2] == "run") {
    if (s.size() == 3 && m == "POST") return create_run(st, p, ctx);
    if (s.size() == 3 && m == "GET") return list_runs(st, p);
    auto id = parse_id(s[3]);
    auto it = id ? st.qasphere_runs.find(*id) : st.qasphere_runs.end();
    if (it == st.qasphere_runs.end() || it->second.project != p.code) return message(404, "Run not found");
    auto& run = it->second;
    if (s.size() == 5 && s[4] == "tcase" && m == "GET") return run_tcases(p, run);
    if (s.size() == 6 && s[4] == "result" && s[5] == "batch" && m == "POST") return batch_results(st, p, run, ctx);
    if (s.size() == 7 && s[4] == "tcase" && s[6] == "result" && m == "POST")
      return single_result(st, p, run, s[5], ctx);
    if (s.size() == 5 && s[4] == "close" && m == "POST") {
      ++run.close_count;
      ctx.record.effects["run_closed"] = run.id;
      if (run.closed) {
        ctx.record.effects["repeat"] = true;
        return message(400, "Run is already closed");
      }
      run.closed = true;
      return message(200, "Run closed");
    }
    if (s.size() == 5 && s[4] == "log" && m == "POST") {
      if (auto bad = need_object(ctx)) return *bad;
      const value* c = find(ctx.body.as_object(), "comment");
      if (auto k = unknown_key(ctx.body.as_object(), {"comment"}); !k.empty())
        return message(400, "Unknown field \"" + k + "\"");
      if (!c || !c->is_string() || c->as_string().empty()) return message(400, "comment is required (non-empty HTML)");
      run.logs.emplace_back(c->as_string());
      char log_id[24];
      (void)std::snprintf(log_id, sizeof log_id, "log%06lld", static_cast<long long>(st.next_qasphere_log++));
      ctx.record.effects["log"] = {{"run", run.id}};
      return json_reply(200, {{"id", log_id}});
    }
  }
  return not_found();
}

}  // namespace gtest_tms::detail::emulator

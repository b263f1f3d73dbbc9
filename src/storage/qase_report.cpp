#include "storage/qase_report.hpp"
#include "tms/qase/qase_metadata.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

#include <boost/json.hpp>

#include "gtest_tms/version.hpp"
#include "model/limits.hpp"
#include "model/test_result_json.hpp"
#include "platform/file_lock.hpp"
#include "platform/files.hpp"
#include "platform/process.hpp"
#include "storage/journal.hpp"
#include "tms/qase/qase_mapping.hpp"
#include "util/text.hpp"
#include "util/uuid.hpp"

namespace gtest_tms::detail {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t name_cap = std::size_t{64} * 1024;   // gtest names: never cut in practice
constexpr std::size_t text_cap = std::size_t{256} * 1024;  // failure texts, per part
constexpr const char* gtest_prefix = "gtest.";

std::string clean(std::string_view s, std::size_t cap) { return clean_text(s, cap); }

std::string to_str(std::int64_t v) { return std::to_string(v); }

// A result id as a file name: UUIDs pass unchanged, anything else is made harmless.
std::string file_stem(const std::string& id) {
  std::string out;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out += ok ? c : '_';
  }
  if (out.empty() || out.size() > 200) out = "result";
  return out;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  if (!ok) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const json::value* at(const json::object& o, std::string_view key) { return o.if_contains(key); }

// The keys of a step and of a failure part, as written here and read back.
constexpr step_keys report_step_keys{.data = "data",
                                     .action = "action",
                                     .expected = "expected_result",
                                     .execution = "execution",
                                     .status = "status",
                                     .start = "start_time",
                                     .duration = "duration",
                                     .children = "steps",
                                     .start_in_seconds = true,
                                     .lenient = true};
constexpr part_keys report_part_keys{
    .file = "file", .line = "line", .summary = "summary", .message = "message", .fatal = "fatal", .skip = "skip"};

json::object host_data(const std::string& system) {
  json::object h;
  if (system_description u; describe_system(u)) {
    h["system"] = clean(u.system, 256);
    h["node"] = clean(u.node, 256);
    h["release"] = clean(u.release, 256);
    h["machine"] = clean(u.machine, 256);
  }
  h["reporter"] = std::string("gtest-tms-reporter ") + GTEST_TMS_VERSION_STRING;
  h["framework"] = "googletest";
  h["gtest_tms.system"] = system;
  return h;
}

// The text of a report file in the configured format: "jsonp" wraps it as qaseJsonp(<json>); as the
// official reporters write it (qase-java's FileWriter, qase-python-commons, qase-javascript-commons).
std::string report_text(const std::string& text, const qase_settings& settings) {
  if (settings.report_format == qase_report_format::jsonp) return "qaseJsonp(" + text + ");\n";
  return text + "\n";
}

// A report file's JSON, in either format.
std::string_view unwrap_report_text(std::string_view text) {
  text = trim(text);
  constexpr std::string_view open = "qaseJsonp(", close = ");";
  if (text.size() >= open.size() + close.size() && text.substr(0, open.size()) == open &&
      text.substr(text.size() - close.size()) == close)
    text = text.substr(open.size(), text.size() - open.size() - close.size());
  return text;
}

// run.json: merged with what other processes wrote before (they may run at the same time).
std::string merge_run_json(const std::string& dir, const std::vector<std::shared_ptr<const test_result>>& results,
                           const report_run_info& run, const qase_settings& settings) {
  const std::string lock_path = dir + "/.run.json.lock";
  // Held for a few milliseconds by each writer; a writer that dies releases it with its fd.
  file_lock lock;
  if (std::string why; lock.lock(lock_path, why) != file_lock::result::locked) return "cannot lock " + why;
  const std::string path = dir + "/run.json";

  json::object root;
  bool ok = false;
  const std::string existing = read_file(path, ok);
  if (ok) {
    boost::system::error_code ec;
    json::value v = parse_record_json(unwrap_report_text(existing), ec);
    if (!ec && v.is_object()) root = std::move(v.get_object());
    // A corrupt run.json is replaced; the result files remain the source of truth.
  }

  if (!at(root, "title") || !root["title"].is_string())
    root["title"] = settings.run_title.empty() ? std::string("GoogleTest results") : clean(settings.run_title, 1024);
  // Every key first: inserting into a json::object invalidates references to its values.
  if (!at(root, "results") || !root["results"].is_array()) root["results"] = json::array();
  if (!at(root, "stats") || !root["stats"].is_object()) root["stats"] = json::object();
  if (!at(root, "execution") || !root["execution"].is_object()) root["execution"] = json::object();
  if (!at(root, "suites") || !root["suites"].is_array()) root["suites"] = json::array();
  if (!at(root, "threads") || !root["threads"].is_array()) root["threads"] = json::array();
  if (!at(root, "environment") || !(root["environment"].is_string() || root["environment"].is_null())) {
    root["environment"] = nullptr;
  }
  if (!at(root, "host_data") || !root["host_data"].is_object()) root["host_data"] = json::object();

  // Results already listed are not counted twice (the same result written again).
  std::set<std::string> listed;
  json::array& list = root["results"].get_array();
  for (const auto& e : list) {
    if (e.is_object()) listed.insert(string_member(e.get_object(), "id"));
  }

  json::object& stats = root["stats"].get_object();
  // Another writer's counts may be any number: int_member() takes only those an int64 holds.
  for (const char* k : {"total", "passed", "failed", "skipped", "blocked", "invalid", "muted"})
    stats[k] = int_member(stats, k, 0);

  std::set<std::string> suites;
  for (const auto& e : root["suites"].get_array())
    if (e.is_string()) suites.emplace(e.get_string());

  std::int64_t cumulative = 0;
  for (const auto& rp : results) {
    if (!rp) continue;
    const test_result& r = *rp;
    for (const auto& s : qase_suite_path(r, settings.root_suite)) suites.insert(s);
    if (!listed.insert(r.id).second) continue;
    const std::int64_t d = std::max<std::int64_t>(0, r.duration_ms);
    cumulative = saturating_add(cumulative, d);
    const qase_metadata m = qase_metadata_of(r);
    if (m.muted) stats["muted"] = stats["muted"].as_int64() + 1;
    list.push_back(json::object{{"id", r.id},
                                {"title", clean(m.title.empty() ? r.name : m.title, qase_title_cap)},
                                {"status", to_string(r.status)},
                                {"duration", d},
                                {"thread", nullptr}});
    stats["total"] = stats["total"].as_int64() + 1;
    json::value& n = stats[to_string(r.status)];
    n = n.as_int64() + 1;
  }

  json::object& ex = root["execution"].get_object();
  double start = epoch_seconds(run.start_ms), end = epoch_seconds(run.end_ms), prev = 0;
  if (number_member(ex, "start_time", prev) && prev > 0 && (run.start_ms <= 0 || prev < start)) start = prev;
  if (number_member(ex, "end_time", prev) && prev > end) end = prev;
  ex["start_time"] = start;
  ex["end_time"] = end;
  ex["duration"] = std::max<std::int64_t>(0, seconds_to_ms(end) - seconds_to_ms(start));
  double cum_prev = 0;
  // Another writer's run.json may hold any number: clamp it before the conversion.
  if (!number_member(ex, "cumulative_duration", cum_prev) || !(cum_prev > 0)) cum_prev = 0;
  if (cum_prev > 9.0e18) cum_prev = 9.0e18;
  ex["cumulative_duration"] = saturating_add(static_cast<std::int64_t>(cum_prev), cumulative);

  json::array suite_list;
  for (const auto& s : suites) suite_list.emplace_back(s);
  root["suites"] = std::move(suite_list);
  if (!settings.environment.empty() && root["environment"].is_null())
    root["environment"] = clean(settings.environment, 1024);

  json::object hd = host_data(std::string(tag(run.system)));
  for (const auto& kv : root["host_data"].get_object())
    if (kv.value().is_string()) hd[kv.key()] = kv.value();  // the first writer's values stay
  root["host_data"] = std::move(hd);

  return write_file_atomically(path, report_text(json::serialize(root), settings));  // then the lock is released
}

json::array parts_json(const test_result& r) {
  json::array a;
  for (const auto& p : r.parts) {
    const part_keys& k = report_part_keys;
    json::object o;
    o[k.file] = clean(p.file, name_cap);
    o[k.line] = p.line;
    o[k.summary] = clean(p.summary, text_cap);
    o[k.message] = clean(p.message, text_cap);
    o[k.fatal] = p.fatal;
    o[k.skip] = p.skip;
    a.push_back(std::move(o));
  }
  return a;
}

json::array report_steps(const std::vector<step_record>& steps, const json::value& parent, std::size_t depth) {
  const step_keys& k = report_step_keys;
  json::array out;
  for (const auto& st : steps) {
    const std::string id = make_uuid();
    json::object data;
    data[k.action] = clean(st.action, text_cap);
    data[k.expected] = st.expected.empty() ? json::value(nullptr) : json::value(clean(st.expected, text_cap));
    data["input_data"] = nullptr;
    json::object ex;
    ex[k.status] = to_string(st.status);
    ex[k.start] = st.start_ms > 0 ? json::value(epoch_seconds(st.start_ms)) : json::value(nullptr);
    ex["end_time"] =
        st.start_ms > 0
            ? json::value(epoch_seconds(saturating_add(st.start_ms, std::max<std::int64_t>(0, st.duration_ms))))
            : json::value(nullptr);
    ex[k.duration] = std::max<std::int64_t>(0, st.duration_ms);
    ex["attachments"] = json::array();
    json::object o;
    o["id"] = id;
    o["step_type"] = "text";
    o[k.data] = std::move(data);
    o["parent_id"] = parent;
    o[k.execution] = std::move(ex);
    o[k.children] =
        depth + 1 < max_stored_step_depth ? report_steps(st.children, json::value(id), depth + 1) : json::array();
    out.push_back(std::move(o));
  }
  return out;
}

// A name that is safe as the tail of a file name.
std::string safe_file_name(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "attachment";
  if (out.size() > 100) out = out.substr(out.size() - 100);
  return out;
}

// Keeps each attachment in <dir>/attachments/ (the source file may be a temporary one, and
// in-memory content needs a file anyway). Returns the path to reference per attachment.
std::vector<std::string> store_attachments(const std::string& dir, const test_result& r) {
  std::vector<std::string> paths;
  for (const auto& a : r.attachments) {
    const std::string dest = dir + "/attachments/" + make_uuid() + "-" + safe_file_name(a.name);
    std::error_code ec;
    bool ok = false;
    if (!a.path.empty()) {
      ok = fs::copy_file(a.path, dest, fs::copy_options::overwrite_existing, ec) && !ec;
    } else {
      ok = write_file_atomically(dest, a.content).empty();
    }
    if (ok) {
      const fs::path abs = fs::absolute(dest, ec);
      paths.push_back(ec ? dest : abs.lexically_normal().string());
    } else {
      paths.push_back(a.path);  // keep the reference; upload says what is missing
    }
  }
  return paths;
}

}  // namespace

std::string qase_report_result_json(const test_result& r, const report_run_info& run, const qase_settings& settings) {
  return qase_report_result_json(r, run, settings, {});
}

std::string qase_report_result_json(const test_result& r, const report_run_info& run, const qase_settings& settings,
                                    const std::vector<std::string>& attachment_files) {
  // The same title, signature, suites, message and stack trace as a live Qase upload.
  const json::object api =
      qase_result_json(r, {settings.root_suite, false, {}, settings.project, {}, settings.exclude_params});
  const auto api_or = [&](std::string_view key, json::value def) -> json::value {
    const json::value* v = at(api, key);
    return v != nullptr ? *v : def;
  };

  json::object o;
  o["id"] = r.id;
  o["title"] = api_or("title", json::value(clean(r.name, qase_title_cap)));
  o["signature"] = api_or("signature", json::value(nullptr));

  json::object ex;
  ex["status"] = to_string(r.status);
  ex["start_time"] = r.start_ms > 0 ? json::value(epoch_seconds(r.start_ms)) : json::value(nullptr);
  ex["end_time"] = r.start_ms > 0 ? json::value(epoch_seconds(r.end_ms())) : json::value(nullptr);
  ex["duration"] = std::max<std::int64_t>(0, r.duration_ms);
  json::value st = nullptr;
  if (const json::value* e = at(api, "execution"); e != nullptr && e->is_object()) {
    if (const json::value* s = e->get_object().if_contains("stacktrace"); s != nullptr && s->is_string()) st = *s;
  }
  ex["stacktrace"] = st;
  ex["error_context"] = nullptr;
  ex["thread"] = nullptr;
  o["execution"] = std::move(ex);

  json::object f;
  f["gtest.suite"] = clean(r.suite, name_cap);
  f["gtest.name"] = clean(r.name, name_cap);
  if (!r.value_param.empty()) f["gtest.value_param"] = clean(r.value_param, name_cap);
  if (!r.type_param.empty()) f["gtest.type_param"] = clean(r.type_param, name_cap);
  if (!r.file.empty()) f["gtest.file"] = clean(r.file, name_cap);
  f["gtest.line"] = to_str(r.line);
  f["gtest.iteration"] = to_str(r.iteration);
  f["gtest.start_ms"] = to_str(r.start_ms);
  f["gtest.duration_ms"] = to_str(r.duration_ms);
  if (r.run_level) f["gtest.run_level"] = "true";
  if (r.type_repeats) f["gtest.type_repeats"] = "true";
  if (!r.qase_ids.empty()) {
    std::string ids;
    for (const auto id : r.qase_ids) ids += (ids.empty() ? "" : ",") + to_str(id);
    f["gtest.qase_ids"] = ids;
  }
  if (!r.parts.empty()) f["gtest.parts"] = json::serialize(parts_json(r));
  if (!r.properties.empty()) {
    json::array props;
    for (const auto& [k, v] : r.properties) props.push_back(json::array{clean(k, name_cap), clean(v, text_cap)});
    f["gtest.properties"] = json::serialize(props);
  }
  if (!r.notes.empty()) {
    json::array notes;
    for (const auto& n : r.notes) notes.emplace_back(clean(n, text_cap));
    f["gtest.notes"] = json::serialize(notes);
  }
  if (run.run_id > 0) {
    f["gtest.run_id"] = to_str(run.run_id);
    f["gtest.run_created"] = run.run_created ? "true" : "false";
  }
  if (run.fate_unknown != nullptr && run.fate_unknown->count(r.id) > 0) f["gtest.fate_unknown"] = "true";
  // The test's own fields (qase.fields.*, tags, muted) as a live upload sends them.
  bool muted = false;
  if (const json::value* af = at(api, "fields"); af != nullptr && af->is_object())
    for (const auto& kv : af->get_object()) {
      f[kv.key()] = kv.value();
      muted = muted || (kv.key() == "muted" && kv.value() == json::value("true"));
    }
  o["fields"] = std::move(f);

  json::array atts;
  for (std::size_t i = 0; i < r.attachments.size(); ++i) {
    const attachment& a = r.attachments[i];
    const std::string& file = i < attachment_files.size() ? attachment_files[i] : a.path;
    json::object ao;
    ao["id"] = make_uuid();
    ao["file_name"] = clean(a.name.empty() ? std::string("attachment") : a.name, qase_title_cap);
    ao["mime_type"] = clean(a.mime, 256);
    ao["file_path"] = file.empty() ? json::value(nullptr) : json::value(file);
    // In-memory content only when no file holds it (text; binary content is always stored as a file).
    ao["content"] = file.empty() ? json::value(clean(a.content, text_cap)) : json::value(nullptr);
    atts.push_back(std::move(ao));
  }
  o["attachments"] = std::move(atts);
  o["steps"] = report_steps(r.steps, nullptr, 0);
  o["params"] = api_or("params", json::value(json::object()));
  o["param_groups"] = api_or("param_groups", json::value(json::array()));
  o["testops_ids"] = api_or("testops_ids", json::value(nullptr));
  o["relations"] = api_or("relations", json::value(json::object{{"suite", json::object{{"data", json::array()}}}}));
  o["muted"] = muted;
  o["message"] = api_or("message", json::value(nullptr));
  return json::serialize(o);
}

std::string write_qase_report(const std::string& dir, const std::vector<std::shared_ptr<const test_result>>& results,
                              const report_run_info& run, const qase_settings& settings) {
  try {
    std::error_code ec;
    // Never cleared: other processes may be writing into the same folder right now.
    fs::create_directories(dir + "/results", ec);
    if (ec) return "cannot create " + dir + "/results: " + ec.message();
    fs::create_directories(dir + "/attachments", ec);
    std::size_t failed = 0;
    std::string first_error;
    for (const auto& r : results) {
      if (!r) continue;
      const std::vector<std::string> files = store_attachments(dir, *r);
      std::string err = write_file_atomically(dir + "/results/" + file_stem(r->id) + ".json",
                                              report_text(qase_report_result_json(*r, run, settings, files), settings));
      if (!err.empty()) {
        if (first_error.empty()) first_error = std::move(err);
        ++failed;
      }
    }
    std::string err = merge_run_json(dir, results, run, settings);
    if (failed > 0) {
      return first_error + (failed > 1 ? " (and " + std::to_string(failed - 1) + " more files)" : std::string());
    }
    return err;
  } catch (const std::exception& e) {
    return std::string("cannot write the report in ") + dir + ": " + e.what();
  } catch (...) {
    return "cannot write the report in " + dir;
  }
}

bool parse_qase_report_result(const std::string& text, test_result& r, std::int64_t& run_id, bool& run_created,
                              std::string& error, bool* fate_unknown) {
  r = test_result{};
  run_id = 0;
  run_created = false;
  if (fate_unknown != nullptr) *fate_unknown = false;
  const std::string_view body = unwrap_report_text(text);
  boost::system::error_code ec;
  const json::value v = parse_record_json(body, ec);
  if (ec || !v.is_object()) {
    error = "not a JSON object";
    return false;
  }
  const json::object& o = v.get_object();
  r.id = string_member(o, "id");
  if (r.id.empty()) {
    error = "no \"id\"";
    return false;
  }
  const json::value* exv = at(o, "execution");
  if (exv == nullptr || !exv->is_object()) {
    error = "no \"execution\"";
    return false;
  }
  const json::object& ex = exv->get_object();
  const std::string status = string_member(ex, "status");
  if (!status_from(status, r.status, true)) {
    error = status.empty() ? std::string("no \"execution.status\"") : "unknown status \"" + clean(status, 64) + "\"";
    return false;
  }

  json::object fields;
  if (const json::value* f = at(o, "fields"); f != nullptr && f->is_object()) fields = f->get_object();
  const auto field = [&](std::string_view k) {
    return string_member(fields, std::string(gtest_prefix) + std::string(k));
  };
  const auto int_field = [&](std::string_view k, std::int64_t def) {
    return parse_int(field(k), std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max())
        .value_or(def);
  };

  if (const json::value* atts = at(o, "attachments"); atts != nullptr && atts->is_array()) {
    for (const auto& av : atts->get_array()) {
      if (!av.is_object()) continue;
      const json::object& ao = av.get_object();
      attachment a;
      a.name = string_member(ao, "file_name");
      a.mime = string_member(ao, "mime_type");
      if (a.mime.empty()) a.mime = "application/octet-stream";
      a.path = string_member(ao, "file_path");
      a.content = string_member(ao, "content");
      if (a.path.empty() && a.content.empty()) continue;
      if (a.name.empty()) a.name = a.path.empty() ? std::string("attachment") : fs::path(a.path).filename().string();
      a.size = a.content.size();
      r.attachments.push_back(std::move(a));
    }
  }
  if (const json::value* st = at(o, "steps")) steps_from(*st, report_step_keys, r.steps);

  if (!field("suite").empty() && !field("name").empty()) {
    // Written by gtest-tms: everything is in the gtest.* fields.
    r.suite = field("suite");
    r.name = field("name");
    r.value_param = field("value_param");
    r.type_param = field("type_param");
    r.file = field("file");
    r.line = static_cast<int>(int_field("line", 0));
    r.iteration = static_cast<int>(int_field("iteration", 0));
    r.start_ms = int_field("start_ms", 0);
    r.duration_ms = int_field("duration_ms", 0);
    r.run_level = field("run_level") == "true";
    r.type_repeats = field("type_repeats") == "true";
    for (const auto& id : split_list(field("qase_ids"), ',')) {
      const auto n = parse_int(id, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
      if (n) r.qase_ids.push_back(*n);
    }
    if (const std::string parts = field("parts"); !parts.empty()) {
      boost::system::error_code pec;
      const json::value pv = parse_record_json(parts, pec);
      if (pec) {
        error = "unreadable gtest.parts";
        return false;
      }
      parts_from(pv, report_part_keys, r.parts);
    }
    if (const std::string props = field("properties"); !props.empty()) {
      boost::system::error_code pec;
      const json::value pv = parse_record_json(props, pec);
      if (!pec) properties_from(pv, r.properties);
    }
    if (const std::string notes = field("notes"); !notes.empty()) {
      boost::system::error_code nec;
      const json::value nv = parse_record_json(notes, nec);
      if (!nec) strings_from(nv, r.notes);
    }
    run_id = int_field("run_id", 0);
    run_created = field("run_created") == "true";
    if (fate_unknown != nullptr) *fate_unknown = field("fate_unknown") == "true";
    return true;
  }

  // Another Qase reporter's file: rebuild what the schema carries.
  r.name = string_member(o, "title");
  if (r.name.empty()) {
    error = "no \"title\"";
    return false;
  }
  if (const json::value* rel = at(o, "relations"); rel != nullptr && rel->is_object()) {
    if (const json::value* s = rel->get_object().if_contains("suite"); s != nullptr && s->is_object()) {
      if (const json::value* d = s->get_object().if_contains("data"); d != nullptr && d->is_array()) {
        for (const auto& e : d->get_array()) {
          if (!e.is_object()) continue;
          const std::string t = string_member(e.get_object(), "title");
          if (!t.empty()) r.suite += (r.suite.empty() ? "" : "/") + t;
        }
      }
    }
  }
  if (r.suite.empty()) r.suite = "Tests";
  double start = 0, end = 0, duration = 0;
  if (number_member(ex, "start_time", start) && start > 0) r.start_ms = seconds_to_ms(start);
  if (number_member(ex, "duration", duration) && duration >= 0) {
    // Another reporter's file may hold any number: out of range is 0, as seconds_to_ms() has it.
    r.duration_ms = duration < 9.2e18 ? static_cast<std::int64_t>(duration) : 0;
  } else if (r.start_ms > 0 && number_member(ex, "end_time", end) && end >= start) {
    r.duration_ms = seconds_to_ms(end) - r.start_ms;
  }
  if (const json::value* ids = at(o, "testops_ids"); ids != nullptr && ids->is_array()) {
    for (const auto& id : ids->get_array()) {
      if (id.is_int64() && id.get_int64() > 0)
        r.qase_ids.push_back(id.get_int64());
      else if (id.is_uint64() && id.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        r.qase_ids.push_back(static_cast<std::int64_t>(id.get_uint64()));
    }
  }
  if (const json::value* p = at(o, "params"); p != nullptr && p->is_object()) {
    for (const auto& kv : p->get_object()) {
      if (!kv.value().is_string()) continue;
      if (kv.key() == "type")
        r.type_param = std::string(kv.value().get_string());
      else if (r.value_param.empty())
        r.value_param = std::string(kv.value().get_string());
    }
  }
  const std::string message = string_member(o, "message");
  const std::string stack = string_member(ex, "stacktrace");
  if (r.status == test_status::skipped && !message.empty()) {
    failure_part p;
    p.summary = p.message = message;
    p.skip = true;
    r.parts.push_back(std::move(p));
  } else if (r.status != test_status::passed && r.status != test_status::skipped &&
             (!message.empty() || !stack.empty())) {
    failure_part p;
    p.summary = message.empty() ? stack : message;
    p.message = stack.empty() ? message : stack;
    p.fatal = true;
    r.parts.push_back(std::move(p));
  }
  return true;
}

bool read_qase_report(const std::string& dir, report_contents& out, std::string& error) {
  out = report_contents{};
  out.dir = dir;
  try {
    std::error_code ec;
    const std::string results_dir = dir + "/results";
    if (!fs::is_directory(results_dir, ec)) {
      error = dir + " has no results/ directory (not a Qase report)";
      return false;
    }
    out.system =
        std::string(tag(fs::path(dir).lexically_normal().filename() == tag(tms::qasphere) ? tms::qasphere : tms::qase));
    bool ok = false;
    const std::string run_text = read_file(dir + "/run.json", ok);
    if (ok) {
      boost::system::error_code jec;
      const json::value v = parse_record_json(unwrap_report_text(run_text), jec);
      if (!jec && v.is_object()) {
        if (const json::value* h = v.get_object().if_contains("host_data"); h != nullptr && h->is_object()) {
          const std::string sys = string_member(h->get_object(), "gtest_tms.system");
          if (!sys.empty()) out.system = sys;
        }
      }
    }

    std::vector<std::string> files;
    for (fs::directory_iterator it(results_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || it->path().extension() != ".json") continue;
      files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    std::set<std::string> seen;
    for (const auto& file : files) {
      bool read_ok = false;
      const std::string text = read_file(file, read_ok);
      auto r = std::make_shared<test_result>();
      report_entry e;
      std::string why;
      if (!read_ok) {
        out.warnings.push_back(file + ": skipped: cannot be read");
        continue;
      }
      if (!parse_qase_report_result(text, *r, e.run_id, e.run_created, why, &e.fate_unknown)) {
        out.warnings.push_back(file + ": skipped: " + why);
        continue;
      }
      for (auto& a : r->attachments) {
        // A report copied elsewhere (a CI artifact): its files are in its own attachments/.
        std::error_code aec;
        if (a.path.empty() || fs::exists(a.path, aec)) continue;
        const fs::path moved = fs::path(dir) / "attachments" / fs::path(a.path).filename();
        if (fs::exists(moved, aec)) a.path = moved.string();
      }
      for (auto& a : r->attachments) {
        std::error_code aec;
        if (!a.path.empty()) {
          const auto size = fs::file_size(a.path, aec);
          if (!aec) a.size = size;
        }
      }
      if (!seen.insert(r->id).second) {
        out.warnings.push_back(file + ": skipped: result id " + r->id + " appears twice");
        continue;
      }
      e.file = file;
      e.result = std::move(r);
      out.entries.push_back(std::move(e));
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot read ") + dir + ": " + e.what();
    return false;
  }
}

std::vector<test_result> read_qase_report(const std::string& dir, std::string& error) {
  std::vector<test_result> out;
  report_contents c;
  if (!read_qase_report(dir, c, error)) return out;
  for (const auto& e : c.entries) out.push_back(*e.result);
  return out;
}

}  // namespace gtest_tms::detail

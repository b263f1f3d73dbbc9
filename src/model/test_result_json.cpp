#include "model/test_result_json.hpp"

#include <cmath>

#include <boost/json/parse.hpp>

namespace gtest_tms::detail {

namespace json = boost::json;

namespace {

// The object holding a group of fields: the step itself, or its sub-object `name`.
const json::object* fields_of(const json::object& step, std::string_view name) {
  if (name.empty()) return &step;
  const json::value* v = step.if_contains(name);
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

void steps_at(const json::value& v, const step_keys& k, std::vector<step_record>& out, std::size_t depth) {
  if (!v.is_array() || depth >= max_stored_step_depth) return;
  for (const auto& e : v.get_array()) {
    if (!e.is_object()) continue;
    const json::object& so = e.get_object();
    step_record st;
    if (const json::object* d = fields_of(so, k.data)) {
      st.action = string_member(*d, k.action);
      st.expected = string_member(*d, k.expected);
    }
    if (const json::object* x = fields_of(so, k.execution)) {
      if (!status_from(string_member(*x, k.status), st.status, k.lenient)) st.status = test_status::passed;
      double t = 0;
      if (!k.start_in_seconds) {
        st.start_ms = int_member(*x, k.start);
      } else if (number_member(*x, k.start, t) && t > 0) {
        st.start_ms = seconds_to_ms(t);
      }
      st.duration_ms = int_member(*x, k.duration);
      if (k.lenient && st.duration_ms < 0) st.duration_ms = 0;
    }
    if (const json::value* ch = so.if_contains(k.children)) steps_at(*ch, k, st.children, depth + 1);
    out.push_back(std::move(st));
  }
}

}  // namespace

json::value parse_record_json(std::string_view text, boost::system::error_code& ec) {
  json::parse_options opt;
  opt.allow_invalid_utf8 = true;
  // Each level of steps is two of JSON (the step, the list of its children), plus the record around
  // them: the default limit (32) refused any record with 15 or more levels of steps.
  opt.max_depth = 2 * max_stored_step_depth + 8;
  return json::parse(text, ec, {}, opt);
}

std::string string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t int_member(const json::object& o, std::string_view key, std::int64_t def) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return def;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64())
    return v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX) ? static_cast<std::int64_t>(v->get_uint64()) : def;
  if (v->is_double() && v->get_double() > -9.2e18 && v->get_double() < 9.2e18)
    return static_cast<std::int64_t>(v->get_double());
  return def;
}

bool number_member(const json::object& o, std::string_view key, double& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return false;
  if (v->is_double()) {
    out = v->get_double();
  } else if (v->is_int64()) {
    out = static_cast<double>(v->get_int64());
  } else if (v->is_uint64()) {
    out = static_cast<double>(v->get_uint64());
  } else {
    return false;
  }
  return std::isfinite(out);
}

bool bool_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

double epoch_seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::int64_t seconds_to_ms(double s) {
  const double ms = std::round(s * 1000.0);
  if (!(ms > -9.2e18 && ms < 9.2e18)) return 0;
  return static_cast<std::int64_t>(ms);
}

void steps_from(const json::value& v, const step_keys& keys, std::vector<step_record>& out) {
  steps_at(v, keys, out, 0);
}

void parts_from(const json::value& v, const part_keys& k, std::vector<failure_part>& out) {
  if (!v.is_array()) return;
  for (const auto& e : v.get_array()) {
    if (!e.is_object()) continue;
    const json::object& o = e.get_object();
    failure_part p;
    p.file = string_member(o, k.file);
    p.line = static_cast<int>(int_member(o, k.line, -1));
    p.summary = string_member(o, k.summary);
    p.message = string_member(o, k.message);
    p.fatal = bool_member(o, k.fatal);
    p.skip = bool_member(o, k.skip);
    out.push_back(std::move(p));
  }
}

void properties_from(const json::value& v, std::vector<std::pair<std::string, std::string>>& out) {
  if (!v.is_array()) return;
  for (const auto& kv : v.get_array()) {
    if (!kv.is_array() || kv.get_array().size() != 2 || !kv.get_array()[0].is_string() ||
        !kv.get_array()[1].is_string())
      continue;
    out.emplace_back(std::string(kv.get_array()[0].get_string()), std::string(kv.get_array()[1].get_string()));
  }
}

void strings_from(const json::value& v, std::vector<std::string>& out) {
  if (!v.is_array()) return;
  for (const auto& s : v.get_array())
    if (s.is_string()) out.emplace_back(s.get_string());
}

}  // namespace gtest_tms::detail

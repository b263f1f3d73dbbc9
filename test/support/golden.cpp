#include "golden.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <regex>

#include "process.hpp"
#include "str_cat.hpp"

namespace gtest_tms::detail::testing_support {

namespace json = boost::json;

namespace {

// Run ids and case ids differ between runs only by counters; the paths keep their shape.
std::string path_template(const std::string& path) {
  static const std::regex run_re(R"((/run/[A-Za-z0-9]+/)\d+)");
  static const std::regex v2_re(R"((/v2/[A-Za-z0-9]+/run/)\d+)");
  static const std::regex qas_re(R"((/project/[A-Za-z0-9]+/run/)\d+)");
  std::string p = std::regex_replace(path, v2_re, "$1{run}");
  p = std::regex_replace(p, qas_re, "$1{run}");
  return std::regex_replace(p, run_re, "$1{run}");
}

std::string scrub(std::string s) {
  const std::string src = GTEST_TMS_SOURCE_DIR;
  for (auto pos = s.find(src); pos != std::string::npos; pos = s.find(src, pos)) s.replace(pos, src.size(), "<src>");
  static const std::regex ms_re(R"(\(\d+ ms\))");
  s = std::regex_replace(s, ms_re, "(N ms)");
  static const std::regex marker_re(R"(gtest-tms:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");
  s = std::regex_replace(s, marker_re, "gtest-tms:<creation marker>");
  return s;
}

void normalize_value(json::value& v) {
  if (v.is_string()) {
    v = json::string(scrub(std::string(v.as_string())));
  } else if (v.is_array()) {
    for (auto& e : v.as_array()) normalize_value(e);
  } else if (v.is_object()) {
    auto& o = v.as_object();
    for (const char* k : {"id", "start_time", "end_time", "duration", "timeTaken", "signature_hash"}) {
      if (o.contains(k) && !o.at(k).is_null()) o[k] = str_cat("<", k, ">");
    }
    if (o.contains("title") && o.contains("is_autotest")) o["title"] = "<run title>";
    for (auto& kv : o) normalize_value(kv.value());
  }
}

std::string sort_key(const json::value& v) { return json::serialize(v); }

void pretty(std::string& out, const json::value& v, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out += "{\n";
    bool first = true;
    std::vector<std::string> keys;
    for (const auto& kv : v.as_object()) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      if (!first) out += ",\n";
      first = false;
      out += pad + "  " + json::serialize(json::value(k)) + ": ";
      pretty(out, v.as_object().at(k), indent + 1);
    }
    out += "\n" + pad + "}";
  } else if (v.is_array() && !v.as_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& e : v.as_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + "  ";
      pretty(out, e, indent + 1);
    }
    out += "\n" + pad + "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string normalized_log(const std::vector<emulator::recorded_request>& log) {
  json::array runs, results, other, run_logs;
  json::object counts;
  for (const auto& r : log) {
    const std::string tmpl = path_template(r.path);
    const std::string line = r.method + " " + tmpl + " -> " + (r.fault.empty() ? std::to_string(r.status) : r.fault);
    json::value body = r.body;
    normalize_value(body);
    if (r.status >= 200 && r.status < 300 && body.is_object()) {
      auto& o = body.as_object();
      if (o.contains("results") && o.at("results").is_array()) {
        for (auto& e : o.at("results").as_array()) results.push_back(e);
        continue;
      }
      if (o.contains("items") && o.at("items").is_array()) {
        for (auto& e : o.at("items").as_array()) results.push_back(e);
        continue;
      }
      if (r.method == "POST" && tmpl.ends_with("/log")) {  // QA Sphere's run log: the entries themselves
        run_logs.push_back(body);
        continue;
      }
      static const std::regex create_re(R"(^(/v1/run/[^/]+|/api/public/v0/project/[^/]+/run)$)");
      if (r.method == "POST" && std::regex_match(tmpl, create_re)) {
        runs.push_back(json::object{{"path", tmpl}, {"body", body}});
        continue;
      }
    }
    auto& c = counts[line];
    c = c.is_int64() ? c.as_int64() + 1 : 1;
  }
  std::vector<json::value> sorted(results.begin(), results.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const json::value& a, const json::value& b) { return sort_key(a) < sort_key(b); });
  json::object root{
      {"run_creations", runs}, {"results", json::array(sorted.begin(), sorted.end())}, {"other_requests", counts}};
  if (!run_logs.empty()) {  // sorted: entries sent one request each may arrive in any order
    std::sort(run_logs.begin(), run_logs.end(),
              [](const json::value& a, const json::value& b) { return json::serialize(a) < json::serialize(b); });
    root["run_logs"] = run_logs;
  }
  std::string out;
  pretty(out, root, 0);
  return out + "\n";
}

::testing::AssertionResult matches_golden(const std::string& actual, const std::string& golden_name) {
  const std::string path = std::string(GTEST_TMS_SOURCE_DIR) + "/test/golden/" + golden_name;
  const char* update = std::getenv("GTEST_TMS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    write_file(path, actual);
    return ::testing::AssertionSuccess() << "golden file rewritten";
  }
  const std::string expected = read_file(path);
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "request log differs from " << path
                                       << " (GTEST_TMS_UPDATE_GOLDEN=1 rewrites it)\n--- expected\n"
                                       << expected << "\n--- actual\n"
                                       << actual;
}

}  // namespace gtest_tms::detail::testing_support

// qase.config.json as a settings source: the official reporters' file, read from the working directory.
// Scalars are accepted in any JSON type ("200" or 200) and validated later like the environment's
// strings; a JSON type that cannot be a setting (an object where a string belongs) is an error.

#include "config/config_sources.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <system_error>
#include <utility>

#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::string_view config_file_name = "qase.config.json";
constexpr std::uintmax_t max_config_file_bytes = 1 << 20;

const char* json_kind(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

// A JSON scalar as setting text; nullopt for objects/arrays.
std::optional<std::string> scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::bool_:
      return std::string(v.get_bool() ? "true" : "false");
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      const double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15)
        return std::to_string(static_cast<std::int64_t>(d));
      char buf[64];
      const auto res = std::to_chars(buf, buf + sizeof buf, d);
      return res.ec == std::errc() ? std::string(buf, res.ptr) : std::string("NaN");
    }
    default:
      return std::nullopt;
  }
}

// {"name": N, "value": V} with scalar N and V as "N=V"; nullopt for anything else.
std::optional<std::string> name_value_text(const json::value& v) {
  if (!v.is_object() || v.get_object().size() != 2) return std::nullopt;
  const auto* n = v.get_object().if_contains("name");
  const auto* val = v.get_object().if_contains("value");
  if (n == nullptr || val == nullptr || n->is_bool() || val->is_bool()) return std::nullopt;
  auto nt = scalar_text(*n);
  auto vt = scalar_text(*val);
  if (!nt || !vt) return std::nullopt;
  return std::string(trim(*nt)) + "=" + std::string(trim(*vt));
}

std::string line_and_column(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col) + ", offset " + std::to_string(offset);
}

}  // namespace

raw_map read_qase_config(const std::string& cwd, std::span<const file_key> keys, std::vector<std::string>& errors) {
  raw_map raw;
  const std::string prefix = std::string(config_file_name) + ": ";
  std::error_code ec;
  const fs::path path = fs::path(cwd.empty() ? "." : cwd) / std::string(config_file_name);
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return raw;  // no file: nothing to do
  if (!fs::is_regular_file(st)) {
    errors.push_back(prefix + "is not a regular file; it is ignored");
    return raw;
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > max_config_file_bytes) {
    errors.push_back(prefix + "is larger than 1 MiB or its size cannot be read; it is ignored");
    return raw;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    errors.push_back(prefix + "cannot be read; it is ignored");
    return raw;
  }

  json::stream_parser parser;
  boost::system::error_code jec;
  const std::size_t used = parser.write_some(text.data(), text.size(), jec);
  if (!jec && used < text.size() && parser.done()) {
    // write_some stops after one complete value; anything but whitespace after it is an error.
    if (!trim(std::string_view(text).substr(used)).empty()) {
      errors.push_back(prefix + "unexpected text after the JSON value (" + line_and_column(text, used) +
                       "); the file is ignored");
      return raw;
    }
  }
  if (!jec) parser.finish(jec);
  if (jec) {
    errors.push_back(prefix + "invalid JSON: " + jec.message() + " (" + line_and_column(text, used) +
                     "); the file is ignored");
    return raw;
  }
  const json::value root = parser.release();
  if (!root.is_object()) {
    errors.push_back(prefix + "the top level must be an object, not " + json_kind(root) + "; the file is ignored");
    return raw;
  }

  std::vector<std::string> reported_containers;
  for (const file_key& key : keys) {
    if (raw.count(key.env) != 0) continue;  // an earlier key for the same setting won
    const json::value* node = &root;
    std::string walked;
    bool found = true;
    const std::string_view full(key.path);
    std::size_t start = 0;
    while (true) {
      const auto dot = full.find('.', start);
      const std::string_view part = full.substr(start, dot == std::string_view::npos ? full.npos : dot - start);
      if (!node->is_object()) {
        // A container of the wrong type, e.g. "testops": 5. Report it once.
        bool seen = false;
        for (const auto& c : reported_containers) seen = seen || c == walked;
        if (!seen) {
          reported_containers.push_back(walked);
          errors.push_back(prefix + walked + " must be an object, not " + json_kind(*node) +
                           "; the settings under it are ignored");
        }
        found = false;
        break;
      }
      const auto* next = node->as_object().if_contains(part);
      if (next == nullptr) {
        found = false;
        break;
      }
      node = next;
      walked = std::string(full.substr(0, dot == std::string_view::npos ? full.size() : dot));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (!found || node->is_null()) continue;

    raw_value rv;
    rv.origin = prefix + key.path;
    if (key.list && node->is_array()) {
      std::vector<std::string> items;
      bool ok = true;
      for (const auto& item : node->as_array()) {
        // {"name": "os", "value": "linux"} (testops.configurations.values) reads as "os=linux".
        if (const auto pair = name_value_text(item)) {
          items.push_back(*pair);
          continue;
        }
        auto t = scalar_text(item);
        if (!t || item.is_bool()) {
          ok = false;
          break;
        }
        const auto tt = trim(*t);
        if (!tt.empty()) items.emplace_back(tt);
      }
      if (!ok) {
        errors.push_back(prefix + key.path + " must be an array of strings; it is ignored");
        continue;
      }
      rv.list = std::move(items);
      raw[key.env] = std::move(rv);
      continue;
    }
    if (key.list && node->is_object()) {
      // A map setting ("statusMapping": {"invalid": "failed"}): items "key=value", as the env form.
      std::vector<std::string> items;
      bool ok = true;
      for (const auto& kv : node->as_object()) {
        const auto t = scalar_text(kv.value());
        if (!t || kv.value().is_bool()) {
          ok = false;
          break;
        }
        items.push_back(std::string(trim(kv.key())) + "=" + std::string(trim(*t)));
      }
      if (!ok) {
        errors.push_back(prefix + key.path + " must be an object of strings; it is ignored");
        continue;
      }
      rv.list = std::move(items);
      raw[key.env] = std::move(rv);
      continue;
    }
    auto t = scalar_text(*node);
    if (!t) {
      errors.push_back(prefix + key.path + " must be " + (key.list ? "an array of strings or a string" : "a scalar") +
                       ", not " + json_kind(*node) + "; it is ignored");
      continue;
    }
    const auto tt = trim(*t);
    if (tt.empty()) continue;
    rv.text = std::string(tt);
    raw[key.env] = std::move(rv);
  }
  return raw;
}

}  // namespace gtest_tms::detail

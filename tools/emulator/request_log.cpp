// The request log's JSON-lines form: writing one entry, reading a file back.

#include <fstream>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>

#include "emulator/emulator.hpp"

namespace gtest_tms::detail::emulator {

boost::json::object to_json(const recorded_request& r) {
  boost::json::object o;
  o["seq"] = r.seq;
  o["system"] = r.system;
  o["method"] = r.method;
  o["path"] = r.path;
  if (r.status != 0) {
    o["status"] = r.status;
  } else {
    o["status"] = r.fault.empty() ? "no reply" : r.fault;
  }
  if (!r.fault.empty()) o["fault"] = r.fault;
  if (r.injected) o["injected"] = true;
  o["body"] = r.body;
  if (!r.error.empty()) o["error"] = r.error;
  if (!r.effects.empty()) o["effects"] = r.effects;
  if (r.received_ms != 0) o["received_ms"] = r.received_ms;
  return o;
}

recorded_request recorded_request_from_json(const boost::json::object& o) {
  auto str = [&](const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string{};
  };
  recorded_request r;
  if (auto it = o.find("seq"); it != o.end() && it->value().is_number()) r.seq = it->value().to_number<std::uint64_t>();
  r.system = str("system");
  r.method = str("method");
  r.path = str("path");
  if (auto it = o.find("status"); it != o.end() && it->value().is_number()) r.status = it->value().to_number<int>();
  r.fault = str("fault");
  if (auto it = o.find("injected"); it != o.end() && it->value().is_bool()) r.injected = it->value().as_bool();
  if (auto it = o.find("body"); it != o.end()) r.body = it->value();
  r.error = str("error");
  if (auto it = o.find("effects"); it != o.end() && it->value().is_object()) r.effects = it->value().as_object();
  if (auto it = o.find("received_ms"); it != o.end() && it->value().is_int64()) r.received_ms = it->value().as_int64();
  return r;
}

std::vector<recorded_request> load_request_log(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<recorded_request> out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    boost::json::parse_options opt;
    opt.max_depth = 260;  // the request bodies the emulator accepts, one level down
    auto v = boost::json::parse(line, ec, {}, opt);
    if (ec || !v.is_object()) {
      // A killed emulator can leave a partial last line; anything else is a broken file.
      if (in.peek() == std::char_traits<char>::eof()) break;
      throw std::runtime_error(path + ":" + std::to_string(n) + ": not a JSON object");
    }
    out.push_back(recorded_request_from_json(v.as_object()));
  }
  return out;
}

}  // namespace gtest_tms::detail::emulator

#include "tms/qase/qase_run_options.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace gtest_tms::detail {
namespace {

namespace json = boost::json;

const json::value* member(const json::value& v, std::string_view key) {
  return v.is_object() ? v.get_object().if_contains(key) : nullptr;
}

std::int64_t id_of(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64() > 0 ? v->get_int64() : 0;
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

bool success(const json::value& v) {
  const json::value* s = member(v, "status");
  return s != nullptr && s->is_bool() && s->get_bool();
}

}  // namespace

std::optional<std::vector<qase_configuration_match>> match_qase_configurations(
    const std::string& list_body, const std::vector<std::pair<std::string, std::string>>& wanted) {
  boost::system::error_code ec;
  const json::value v = json::parse(list_body, ec);
  if (ec || !success(v)) return std::nullopt;
  const json::value* result = member(v, "result");
  const json::value* entities = result != nullptr ? member(*result, "entities") : nullptr;
  if (entities == nullptr || !entities->is_array()) return std::nullopt;
  std::vector<qase_configuration_match> out;
  for (const auto& [group, value] : wanted) {
    qase_configuration_match m{group, value, 0, 0};
    for (const auto& g : entities->get_array()) {
      const json::value* title = member(g, "title");
      if (title == nullptr || !title->is_string() || title->get_string() != group) continue;
      const std::int64_t gid = id_of(member(g, "id"));
      if (gid == 0) continue;
      if (m.group_id == 0) m.group_id = gid;
      const json::value* configs = member(g, "configurations");
      if (configs == nullptr || !configs->is_array()) continue;
      for (const auto& c : configs->get_array()) {
        const json::value* ct = member(c, "title");
        if (ct != nullptr && ct->is_string() && ct->get_string() == value && id_of(member(c, "id")) != 0) {
          m.id = id_of(member(c, "id"));
          m.group_id = gid;
          break;
        }
      }
      if (m.id != 0) break;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::int64_t qase_id_response(const std::string& body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !success(v)) return 0;
  const json::value* result = member(v, "result");
  return result != nullptr ? id_of(member(*result, "id")) : 0;
}

std::string qase_external_issue_body(const std::string& type, const std::string& issue, std::int64_t run_id) {
  json::object link{{"run_id", run_id}, {"external_issue", issue}};
  json::array links;
  links.emplace_back(std::move(link));  // not links{link}: Clang may read a braced object as a copy
  return json::serialize(json::object{{"type", type}, {"links", std::move(links)}});
}

}  // namespace gtest_tms::detail

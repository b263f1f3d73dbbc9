// The URL and host rules of both systems: the official Qase reporters' QASE_TESTOPS_API_HOST rule,
// QAS_URL normalisation and QAS_RUN_URL parsing as the QA Sphere CLI does them. Both only ever talk
// https, so every rule refuses http:// with the same words.

#include "config/config.hpp"

#include <boost/url.hpp>

#include <exception>
#include <limits>
#include <string_view>
#include <vector>

#include "config/config_readers.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail {
namespace {

bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A DNS-style name: labels of [A-Za-z0-9_-] that start and end with a letter or digit, separated by
// single dots.
bool valid_host_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  std::size_t start = 0;
  while (start <= h.size()) {
    const auto dot = h.find('.', start);
    const std::string_view label = h.substr(start, dot == std::string_view::npos ? h.npos : dot - start);
    if (label.empty() || label.size() > 63 || !is_alnum(label.front()) || !is_alnum(label.back())) return false;
    for (const char c : label) {
      if (!is_alnum(c) && c != '-' && c != '_') return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Parses an absolute https URL usable as an API base: host, optional port, optional path; no
// userinfo, query or fragment. `s` must already be without trailing slashes.
bool parse_https_base(std::string_view s, std::string& normalised, std::string& host_out, std::string& port_out,
                      std::string& error) {
  const auto sep = s.find("://");
  const std::string scheme = to_lower(s.substr(0, sep));
  if (scheme == "http") {
    error = "uses http://, but https is required";
    return false;
  }
  if (scheme != "https") {
    error = "must be a host name or an https:// URL";
    return false;
  }
  std::string text = "https" + std::string(s.substr(sep));
  const auto r = boost::urls::parse_absolute_uri(text);
  if (!r) {
    error = "is not a valid URL";
    return false;
  }
  const boost::urls::url_view& u = *r;
  if (u.has_userinfo()) {
    error = "must not contain a user name or password";
    return false;
  }
  if (u.has_query() || u.has_fragment()) {
    error = "must not contain a query or fragment";
    return false;
  }
  const std::string host = to_lower(std::string_view(u.encoded_host().data(), u.encoded_host().size()));
  const auto type = u.host_type();
  const bool host_ok = (type == boost::urls::host_type::name && valid_host_name(host)) ||
                       type == boost::urls::host_type::ipv4 || type == boost::urls::host_type::ipv6;
  if (!host_ok) {
    error = "has no valid host name";
    return false;
  }
  const std::string port(u.port());
  if (u.has_port() && !parse_port(port)) {
    error = "has an invalid port";
    return false;
  }
  const std::string path(u.encoded_path());
  normalised = "https://" + host + (u.has_port() ? ":" + port : std::string()) + path;
  host_out = host;
  port_out = u.has_port() ? port : std::string();
  return true;
}

std::string strip_trailing_slashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

bool derive_qase_hosts(const std::string& host_in, std::string& api_base, std::string& app_base, std::string& error) {
  try {
    const std::string_view h = trim(host_in);
    if (h.empty()) {
      error = "is empty";
      return false;
    }
    if (h.find("://") != std::string_view::npos) {
      // A full URL (JS commons >= 2.8): used as is, without a trailing slash.
      std::string normalised, host, port;
      if (!parse_https_base(strip_trailing_slashes(h), normalised, host, port, error)) return false;
      api_base = normalised;
      if (host.rfind("api.", 0) == 0) {
        app_base = "https://app." + normalised.substr(std::string_view("https://api.").size());
      } else {
        app_base = normalised;
      }
      return true;
    }
    // A bare host[:port]: the official "api-" rule.
    const auto r = boost::urls::parse_authority(h);
    if (!r || r->has_userinfo()) {
      error = "is not a host name or an https:// URL";
      return false;
    }
    const std::string host = to_lower(std::string_view(r->encoded_host().data(), r->encoded_host().size()));
    const bool ok = (r->host_type() == boost::urls::host_type::name && valid_host_name(host)) ||
                    r->host_type() == boost::urls::host_type::ipv4;
    if (!ok) {
      error = "is not a host name or an https:// URL";
      return false;
    }
    std::string port;
    if (r->has_port()) {
      port = std::string(r->port());
      if (!parse_port(port)) {
        error = "has an invalid port";
        return false;
      }
      port = ":" + port;
    }
    if (host == "qase.io") {
      api_base = "https://api.qase.io" + port;
      app_base = "https://app.qase.io" + port;
    } else {
      api_base = "https://api-" + host + port;
      app_base = "https://" + host + port;
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

bool normalize_qasphere_url(const std::string& value, std::string& url, std::string& error) {
  try {
    std::string s = strip_trailing_slashes(trim(value));
    if (s.empty()) {
      error = "is empty";
      return false;
    }
    if (s.find("://") == std::string::npos) s = "https://" + s;
    std::string host, port;
    if (!parse_https_base(s, url, host, port, error)) return false;
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

bool parse_qasphere_run_url(const std::string& run_url, const std::string& base_url, std::string& project,
                            std::int64_t& run_id, std::string& error) {
  try {
    std::string s(trim(run_url));
    if (s.find("://") == std::string::npos) s = "https://" + s;
    const auto sep = s.find("://");
    const std::string scheme = to_lower(std::string_view(s).substr(0, sep));
    if (scheme != "https") {
      error = scheme == "http" ? "uses http://, but https is required" : "is not an https:// URL";
      return false;
    }
    const auto r = boost::urls::parse_uri(s);
    const auto b = boost::urls::parse_uri(base_url);
    if (!r || !b) {
      error = "is not a valid URL";
      return false;
    }
    const auto norm_port = [](const boost::urls::url_view& u) {
      return u.has_port() && !u.port().empty() ? std::string(u.port()) : std::string("443");
    };
    if (!iequals(std::string_view(r->encoded_host().data(), r->encoded_host().size()),
                 std::string_view(b->encoded_host().data(), b->encoded_host().size())) ||
        norm_port(*r) != norm_port(*b)) {
      error = "is not on the QA Sphere host of QAS_URL (" + std::string(b->encoded_host()) + ")";
      return false;
    }
    // The CLI's pattern: ^(\S+)/project/(\w+)/run/(\d+)(/\S*)?$ ; the last match wins (greedy prefix).
    std::vector<std::string> segs;
    for (auto seg : r->segments()) segs.emplace_back(seg);
    bool found = false;
    for (std::size_t i = 0; i + 3 < segs.size(); ++i) {
      if (segs[i] != "project" || segs[i + 2] != "run") continue;
      // (\d+): digits only, no sign.
      const std::string& id = segs[i + 3];
      const auto n = id.empty() || id.front() == '+' || id.front() == '-'
                         ? std::nullopt
                         : parse_int(id, 1, std::numeric_limits<std::int64_t>::max());
      if (!valid_code(segs[i + 1], 2, 5) || !n) continue;
      project = segs[i + 1];
      run_id = *n;
      found = true;
    }
    if (!found) {
      error = "is not a run link of the form https://<tenant>/project/<CODE>/run/<ID>";
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    error = std::string("cannot be parsed (") + e.what() + ")";
    return false;
  }
}

}  // namespace gtest_tms::detail

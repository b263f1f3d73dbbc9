// gtest-tms emulator serve|show: the local Qase + QA Sphere emulator over HTTPS on 127.0.0.1.

#include <csignal>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "emulator/emulator.hpp"
#include "emulator/https_server.hpp"
#include "emulator/pki.hpp"
#include "platform/signals.hpp"
#include "util/text.hpp"

namespace gtest_tms::detail::cli {
namespace {

namespace fs = std::filesystem;
namespace emu = gtest_tms::detail::emulator;

// Demo credentials, accepted only when the environment gives none. They are not secrets.
constexpr const char* demo_qase_token = "demo-qase-token";
constexpr const char* demo_qas_key = "tenant1.key1.demo-secret";

constexpr const char* help_text =
    "usage: gtest-tms emulator serve --dir DIR [options]\n"
    "       gtest-tms emulator show DIR\n"
    "\n"
    "A local Qase TestOps (/v1, /v2) and QA Sphere (/api/public/v0) emulator over HTTPS on 127.0.0.1,\n"
    "for trying the reporter out and for tests. It checks what the real services check (auth, body\n"
    "validation, the 200-result limit, idempotency by result id, runs already completed or closed,\n"
    "QA Sphere run membership and its 20 requests/s limit) and records every request without its\n"
    "credentials.\n"
    "\n"
    "serve: makes a CA and a certificate for 127.0.0.1/localhost, writes DIR/ca.pem, starts serving,\n"
    "  writes DIR/url (https://127.0.0.1:PORT) and appends each request to DIR/requests.jsonl; stops on\n"
    "  SIGINT/SIGTERM or after --for, then writes DIR/summary.txt. Point the reporter at it with\n"
    "  QASE_TESTOPS_API_HOST=$(cat DIR/url), QAS_URL=$(cat DIR/url) and SSL_CERT_FILE=DIR/ca.pem.\n"
    "  --dir DIR            state directory (created if missing)\n"
    "  --port N             port on 127.0.0.1 (default: any free port)\n"
    "  --latency-ms N       delay every reply by N ms\n"
    "  --faults SPEC        fault plan (default: $GTEST_TMS_EMULATOR_FAULTS), see below\n"
    "  --qase-token T       accepted Qase token (default: $QASE_TESTOPS_API_TOKEN, else demo-qase-token)\n"
    "  --qas-key K          accepted QA Sphere API key (default: $QAS_TOKEN, else tenant1.key1.demo-secret);\n"
    "                       prefer the environment: arguments are visible to other local users\n"
    "  --qase-project CODE  an existing Qase project (repeatable; default DEMO)\n"
    "  --no-rate-limit      do not apply QA Sphere's 20 requests/s per key\n"
    "  --qase-rate-limit N  apply a Qase limit of N requests per minute for all tokens (default 0: off)\n"
    "  --for SECONDS        stop after this long\n"
    "  --qas-cases N        QA Sphere test cases in project BD (default 20)\n"
    "  QA Sphere has project BD with test cases BD-001..BD-020 (ids tc0001..tc0020), or ..BD-N.\n"
    "\n"
    "show: prints what arrived, from DIR/requests.jsonl: runs, results per status and per test,\n"
    "  rejected requests with their error, injected faults.\n"
    "\n"
    "Fault plan: rules separated by ';', each MATCHER[#OCCURRENCE]=ACTION[,ACTION...]\n"
    "  MATCHER     * | METHOD PATH_REGEX | PATH_REGEX   (regex matches the whole path, no query)\n"
    "  OCCURRENCE  #N (the N-th matching request), #N..M, #N.. (from the N-th on); none: every one\n"
    "  ACTION      STATUS[:retry-after=S]   answer this status instead of processing the request\n"
    "              latency:MS               extra delay\n"
    "              reset_before_read        drop the connection before reading (not processed)\n"
    "              reset_after_read | hang | trickle | garbage | truncated\n"
    "                                       process the request, then lose or mangle the reply\n"
    "              close                    answer with Connection: close\n"
    "  Example: 'POST /v2/.*/results#1=429:retry-after=1;POST /v2/.*/results#2=503;\n"
    "            POST /v1/run/.*#1=502;POST /v2/.*/results#3=reset_after_read;*=latency:20'\n";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "gtest-tms emulator: %s (see 'gtest-tms emulator --help')\n", message.c_str());
  return 2;
}

bool parse_number(const std::string& text, long long min, long long max, long long& out) {
  const auto v = parse_int(trim(text), min, max);
  if (!v) return false;
  out = *v;
  return true;
}

std::string env_or(const char* name, const char* fallback, bool& from_env) {
  const char* v = std::getenv(name);
  from_env = v && *v;
  return from_env ? std::string(v) : std::string(fallback);
}

void write_file(const fs::path& path, const std::string& text) {
  // Write then rename, so a reader polling for the file never sees it half written.
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

struct serve_args {
  std::string dir;
  unsigned short port = 0;
  long long latency_ms = 0;
  std::optional<std::string> faults;
  std::optional<std::string> qase_token;
  std::optional<std::string> qas_key;
  std::vector<std::string> qase_projects;
  bool rate_limit = true;
  long long qase_per_minute = 0;
  long long for_seconds = 0;
  std::optional<long long> qas_cases;  // default_qasphere_project's 20 when not given
};

// Returns an exit code when the arguments do not allow serving.
std::optional<int> parse_serve(int argc, char** argv, int i, serve_args& a) {
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto need = [&](std::string& out) {
      if (has_value) {
        out = value;
        return true;
      }
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    long long n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(help_text, stdout);
      return 0;
    } else if (arg == "--no-rate-limit") {
      a.rate_limit = false;
    } else if (arg == "--dir") {
      if (!need(a.dir) || a.dir.empty()) return usage_error("--dir needs a directory");
    } else if (arg == "--port") {
      if (!need(v) || !parse_number(v, 0, 65535, n)) return usage_error("--port needs a number 0..65535");
      a.port = static_cast<unsigned short>(n);
    } else if (arg == "--latency-ms") {
      if (!need(v) || !parse_number(v, 0, 600000, n)) return usage_error("--latency-ms needs a number 0..600000");
      a.latency_ms = n;
    } else if (arg == "--qase-rate-limit") {
      if (!need(v) || !parse_number(v, 0, 1000000, n))
        return usage_error("--qase-rate-limit needs requests per minute (0: off)");
      a.qase_per_minute = n;
    } else if (arg == "--for") {
      if (!need(v) || !parse_number(v, 1, std::int64_t{7} * 24 * 3600, n))
        return usage_error("--for needs a number of seconds >= 1");
      a.for_seconds = n;
    } else if (arg == "--faults") {
      if (!need(v)) return usage_error("--faults needs a fault plan");
      a.faults = v;
    } else if (arg == "--qase-token") {
      if (!need(v) || v.empty()) return usage_error("--qase-token needs a value");
      a.qase_token = v;
    } else if (arg == "--qas-key") {
      if (!need(v) || v.empty()) return usage_error("--qas-key needs a value");
      a.qas_key = v;
    } else if (arg == "--qas-cases") {
      if (!need(v) || !parse_number(v, 1, 100000, n)) return usage_error("--qas-cases needs a number 1..100000");
      a.qas_cases = n;
    } else if (arg == "--qase-project") {
      if (!need(v) || v.size() < 2 || v.size() > 10)
        return usage_error("--qase-project needs a code of 2-10 characters");
      a.qase_projects.push_back(v);
    } else {
      return usage_error("unknown option '" + arg + "'");
    }
  }
  if (a.dir.empty()) return usage_error("serve needs --dir DIR");
  return std::nullopt;
}

int serve(const serve_args& a) {
  emu::emulator_options options;
  bool from_env = false;
  options.qase_tokens = {a.qase_token ? *a.qase_token : env_or("QASE_TESTOPS_API_TOKEN", demo_qase_token, from_env)};
  const char* qase_source = a.qase_token ? "--qase-token" : (from_env ? "QASE_TESTOPS_API_TOKEN" : "the demo token");
  std::string key = a.qas_key ? *a.qas_key : env_or("QAS_TOKEN", demo_qas_key, from_env);
  const char* qas_source = a.qas_key ? "--qas-key" : (from_env ? "QAS_TOKEN" : "the demo key");
  options.qasphere_keys = {{key, emu::key_state::active}};
  if (!a.qase_projects.empty()) options.qase_projects = a.qase_projects;
  if (a.qas_cases) options.qasphere_projects = {emu::default_qasphere_project("BD", static_cast<int>(*a.qas_cases))};
  options.qasphere_rate_limit = a.rate_limit;
  options.qase_rate_limit_per_minute = static_cast<int>(a.qase_per_minute);
  options.latency = std::chrono::milliseconds(a.latency_ms);
  const char* env_faults = std::getenv("GTEST_TMS_EMULATOR_FAULTS");
  std::string faults = a.faults ? *a.faults : (env_faults ? env_faults : "");
  try {
    options.faults = emu::parse_fault_plan(faults);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  if (std::count(key.begin(), key.end(), '.') != 2)
    std::fprintf(stderr,
                 "emulator: warning: the QA Sphere key (%s) is not of the form tenant.keyId.token; "
                 "QA Sphere requests will get 401\n",
                 qas_source);

  const fs::path dir = a.dir;
  std::unique_ptr<https_server> server;
  std::unique_ptr<emu::tms_emulator> emulator;
  try {
    fs::create_directories(dir);
    auto ca = pki::make_ca("gtest-tms emulator CA");
    auto leaf = pki::make_leaf(ca, pki::leaf_request{});
    write_file(dir / "ca.pem", ca.cert_pem);
    options.log_path = (dir / "requests.jsonl").string();
    emulator = std::make_unique<emu::tms_emulator>(std::move(options));

    stop_signal_wait stop_signals;  // SIGINT/SIGTERM end the loop below

    server_options so;
    so.key_pem = leaf.key_pem;
    so.cert_pem = leaf.cert_pem;
    so.port = a.port;
    server = start_https_server(so, emulator->as_handler());
    const std::string url = "https://127.0.0.1:" + std::to_string(server->port());
    write_file(dir / "url", url + "\n");
    std::fprintf(stderr, "emulator: listening on %s (CA: %s)\n", url.c_str(), (dir / "ca.pem").c_str());
    std::fprintf(stderr, "emulator: accepting the Qase token from %s and the QA Sphere key from %s\n", qase_source,
                 qas_source);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.for_seconds);
    while (true) {
      auto wait = std::chrono::milliseconds(1000);
      if (a.for_seconds > 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        wait = std::min(wait, left);
      }
      const int sig = stop_signals.wait(wait);
      if (sig == SIGINT || sig == SIGTERM) break;
    }
    server->stop();
    auto summary = emulator->summary();
    write_file(dir / "summary.txt", summary);
    std::error_code ignored;
    fs::remove(dir / "url", ignored);  // nobody is listening there any more
    std::fprintf(stderr, "emulator: stopped after %zu request(s); summary in %s\n", emulator->requests().size(),
                 (dir / "summary.txt").c_str());
    return 0;
  } catch (const std::exception& e) {
    if (server) server->stop();
    std::fprintf(stderr, "emulator: %s\n", e.what());
    return 1;
  }
}

int show(const std::string& where) {
  fs::path path = where;
  std::error_code ec;
  if (fs::is_directory(path, ec)) path /= "requests.jsonl";
  try {
    auto log = emu::load_request_log(path.string());
    std::fputs(emu::summarize(log).c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gtest-tms emulator show: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int emulator_command(int argc, char** argv) {
  int i = 1;  // argv[0] is "emulator"
  if (i < argc && std::string_view(argv[i]) == "emulator") ++i;
  if (i >= argc) {
    std::fputs(help_text, stderr);
    return 2;
  }
  const std::string_view sub = argv[i];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(help_text, stdout);
    return 0;
  }
  if (sub == "serve") {
    serve_args a;
    if (auto code = parse_serve(argc, argv, i + 1, a)) return *code;
    return serve(a);
  }
  if (sub == "show") {
    if (i + 1 < argc && (std::string_view(argv[i + 1]) == "--help" || std::string_view(argv[i + 1]) == "-h")) {
      std::fputs(help_text, stdout);
      return 0;
    }
    if (i + 2 != argc) return usage_error("show needs exactly one DIR (or requests.jsonl file)");
    return show(argv[i + 1]);
  }
  return usage_error("unknown sub-command '" + std::string(sub) + "' (expected serve or show)");
}

}  // namespace gtest_tms::detail::cli

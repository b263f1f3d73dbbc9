// The TMS emulator through real TLS on 127.0.0.1: the reporter's own transport talking to
// start_https_server(tms_emulator), faults as the client sees them, and `gtest-tms emulator serve`.

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <boost/json.hpp>

#include "emulator/emulator.hpp"
#include "emulator/https_server.hpp"
#include "net/transport.hpp"
#include "support/process.hpp"
#include "support/tls_fixture.hpp"

extern char** environ;

namespace gtest_tms::detail::testing_support {
namespace {

namespace json = boost::json;
namespace emu = gtest_tms::detail::emulator;

constexpr const char* token = "net-test-qase-token-91b2";
constexpr const char* key = "tenant9.key9.net-test-secret-4d7e";

emu::emulator_options options() {
  emu::emulator_options o;
  o.qase_tokens = {token};
  o.qasphere_keys = {{key, emu::key_state::active}};
  return o;
}

struct served_emulator {
  explicit served_emulator(emu::emulator_options o) : emulator(std::move(o)) {
    server = start_https_server(pki.server_for(), emulator.as_handler());
    client = make_https_transport(pki.client_options());
  }
  ~served_emulator() {
    client->stop();
    server->stop();
  }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server->port()) + path;
  }
  http_response qase(const std::string& method, const std::string& path, const std::string& body = "") {
    http_request req;
    req.method = method;
    req.url = url(path);
    req.headers = {{"Token", token}};
    if (!body.empty()) req.content_type = "application/json";
    req.body = body;
    return send_and_wait(*client, req);
  }
  http_response qas(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& scheme = "ApiKey") {
    http_request req;
    req.method = method;
    req.url = url("/api/public/v0" + path);
    req.headers = {{"Authorization", scheme + " " + key}};
    if (!body.empty()) req.content_type = "application/json";
    req.body = body;
    return send_and_wait(*client, req);
  }

  test_pki pki;
  emu::tms_emulator emulator;
  std::unique_ptr<https_server> server;
  std::unique_ptr<transport> client;
};

json::value body_of(const http_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  return ec ? json::value(r.body) : v;
}

TEST(EmulatorServer, QaseRunLifecycleOverTls) {
  served_emulator s(options());
  auto created = s.qase("POST", "/v1/run/DEMO", R"({"title":"over tls","is_autotest":true})");
  ASSERT_EQ(created.status, 200) << created.error_message << created.body;
  auto id = body_of(created).at("result").at("id").as_int64();
  auto results = s.qase("POST", "/v2/DEMO/run/" + std::to_string(id) + "/results",
                        R"({"results":[{"id":"r1","title":"A","execution":{"status":"passed"}},
                                       {"id":"r2","title":"B","execution":{"status":"failed"}}]})");
  EXPECT_EQ(results.status, 202) << results.body;
  EXPECT_EQ(s.qase("POST", "/v1/run/DEMO/" + std::to_string(id) + "/complete").status, 200);
  EXPECT_EQ(s.emulator.qase_results(id).size(), 2u);
  EXPECT_EQ(s.emulator.qase_complete_count(id), 1);
  auto unauth = s.qase("GET", "/v1/project/DEMO");
  EXPECT_EQ(unauth.status, 200);
  http_request no_token;
  no_token.url = s.url("/v1/project/DEMO");
  auto denied = send_and_wait(*s.client, no_token);
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(body_of(denied).at("errorMessage"), "Unauthenticated.");
}

TEST(EmulatorServer, InjectedStatusAndRetryAfterReachTheClient) {
  auto o = options();
  o.faults = emu::parse_fault_plan("POST /v2/.*/results#1=429:retry-after=2;POST /v1/run/.*#1=502");
  served_emulator s(std::move(o));
  auto gateway = s.qase("POST", "/v1/run/DEMO", R"({"title":"t"})");
  EXPECT_EQ(gateway.status, 502);
  EXPECT_NE(gateway.body.find("502 Bad Gateway"), std::string::npos);
  ASSERT_EQ(s.qase("POST", "/v1/run/DEMO", R"({"title":"t"})").status, 200);
  auto limited = s.qase("POST", "/v2/DEMO/run/1/results",
                        R"({"results":[{"id":"x","title":"A","execution":{"status":"passed"}}]})");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "2");
  EXPECT_TRUE(s.emulator.qase_results(1).empty());
}

TEST(EmulatorServer, LostReplyIsProcessedAndTheRetryIsDeduplicated) {
  auto o = options();
  // Two occurrences: the transport may itself resend once after a reset on a reused connection.
  o.faults = emu::parse_fault_plan("POST /v2/.*/results#1..2=reset_after_read");
  served_emulator s(std::move(o));
  ASSERT_EQ(s.qase("POST", "/v1/run/DEMO", R"({"title":"t"})").status, 200);
  const std::string batch = R"({"results":[{"id":"same","title":"A","execution":{"status":"passed"}}]})";
  auto lost = s.qase("POST", "/v2/DEMO/run/1/results", batch);
  EXPECT_NE(lost.error, net_error::none) << lost.status;
  EXPECT_EQ(lost.status, 0);
  EXPECT_TRUE(lost.request_sent);
  auto retry = s.qase("POST", "/v2/DEMO/run/1/results", batch);
  EXPECT_EQ(retry.status, 202) << retry.error_message;
  // The batch was processed two or three times; the result is stored once.
  EXPECT_EQ(s.emulator.qase_results(1).size(), 1u);
  auto log = s.emulator.requests();
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[1].fault, "reset_after_read");
  EXPECT_TRUE(log[1].effects.contains("results"));
  EXPECT_EQ(log.back().status, 202);
  auto summary = s.emulator.summary();
  EXPECT_NE(summary.find("results stored: 1 (passed 1); " + std::to_string(log.size() - 2) + " resent duplicate"),
            std::string::npos)
      << summary;
}

TEST(EmulatorServer, LatencyDelaysTheReply) {
  auto o = options();
  o.latency = std::chrono::milliseconds(150);
  o.faults = emu::parse_fault_plan("GET /api/public/v0/users/me=latency:100");
  served_emulator s(std::move(o));
  ASSERT_EQ(s.qas("GET", "/users/me").status, 200);  // warm the connection up (handshake)
  auto start = std::chrono::steady_clock::now();
  auto r = s.qas("GET", "/users/me", "", "Bearer");
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(250));
}

TEST(EmulatorServer, QasphereFlowAndRateLimitOverTls) {
  auto o = options();
  auto fixed = std::chrono::steady_clock::now();
  o.clock = [fixed] { return fixed; };  // every request falls into one 1-second window
  served_emulator s(std::move(o));
  auto run = s.qas("POST", "/project/BD/run",
                   R"({"title":"tls","type":"static_struct","queryPlans":[{"tcaseIds":["tc0001"]}]})");
  ASSERT_EQ(run.status, 200) << run.error_message << run.body;
  auto batch = s.qas("POST", "/project/BD/run/1/result/batch",
                     R"({"items":[{"tcaseId":"tc0001","status":"passed","comment":"","timeTaken":5}]})", "Bearer");
  EXPECT_EQ(batch.status, 200) << batch.body;
  EXPECT_EQ(s.emulator.qasphere_results(1).size(), 1u);
  int ok = 2;
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 25; ++i) {
    auto r = s.qas("GET", "/users/me");
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry_after = r.header("Retry-After");
    }
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(limited, 7);
  EXPECT_EQ(retry_after, "1");
}

// --- the gtest-tms emulator command ---------------------------------------------------------------

pid_t spawn(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("QASE_", 0) == 0 || kv.rfind("QAS_", 0) == 0 || kv.rfind("GTEST_TMS_", 0) == 0) continue;
    env_store.push_back(kv);
  }
  env_store.insert(env_store.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& kv : env_store) envp.push_back(kv.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0].c_str(), nullptr, nullptr, argv.data(), envp.data()) != 0) return -1;
  return pid;
}

// Waits at most `limit` for the child; kills it if it is still there. Returns the wait status or -1.
int wait_bounded(pid_t pid, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

TEST(EmulatorCommand, ServeRecordsAndShowSummarises) {
  temp_dir dir;
  const std::string state = dir.path() + "/state";
  pid_t pid = spawn(
      {GTEST_TMS_CLI, "emulator", "serve", "--dir", state, "--for", "120", "--faults", "POST /v2/.*/results#1=503"},
      {std::string("QASE_TESTOPS_API_TOKEN=") + token, std::string("QAS_TOKEN=") + key});
  ASSERT_GT(pid, 0);
  std::string url;
  for (int i = 0; i < 300 && url.empty(); ++i) {
    if (std::filesystem::exists(state + "/url")) url = read_file(state + "/url");
    if (url.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (url.empty()) {
    wait_bounded(pid, std::chrono::milliseconds(0));
    FAIL() << "the emulator did not write " << state << "/url";
  }
  while (!url.empty() && (url.back() == '\n')) url.pop_back();
  EXPECT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;

  auto client_options = transport_options{};
  client_options.ca_file = state + "/ca.pem";
  client_options.connect_timeout = std::chrono::seconds(5);
  client_options.request_timeout = std::chrono::seconds(5);
  auto client = make_https_transport(client_options);
  auto send = [&](const std::string& method, const std::string& path, const std::string& body, http_header auth) {
    http_request req;
    req.method = method;
    req.url = url + path;
    req.headers = {auth};
    req.content_type = body.empty() ? "" : "application/json";
    req.body = body;
    return send_and_wait(*client, req);
  };
  http_header qase_auth{"Token", token};
  EXPECT_EQ(send("POST", "/v1/run/DEMO", R"({"title":"cli run"})", qase_auth).status, 200);
  const std::string batch = R"({"results":[{"id":"c1","title":"Adds","execution":{"status":"passed"}}]})";
  EXPECT_EQ(send("POST", "/v2/DEMO/run/1/results", batch, qase_auth).status, 503);
  EXPECT_EQ(send("POST", "/v2/DEMO/run/1/results", batch, qase_auth).status, 202);
  EXPECT_EQ(send("GET", "/api/public/v0/users/me", "", {"Authorization", std::string("Bearer ") + key}).status, 200);
  client->stop();

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = wait_bounded(pid, std::chrono::seconds(20));
  ASSERT_NE(status, -1) << "the emulator did not stop on SIGTERM";
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_FALSE(std::filesystem::exists(state + "/url"));

  const std::string summary = read_file(state + "/summary.txt");
  EXPECT_NE(summary.find("Run 1 \"cli run\" (DEMO): not completed"), std::string::npos) << summary;
  EXPECT_NE(summary.find("passed   Adds"), std::string::npos) << summary;
  EXPECT_NE(summary.find("-> 503"), std::string::npos) << summary;
  process_options po;
  po.args = {"emulator", "show", state};
  po.timeout = std::chrono::seconds(30);
  auto shown = run_process(GTEST_TMS_CLI, po);
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out, summary);
  for (const auto& file : list_files(state)) {
    auto text = read_file(file);
    EXPECT_EQ(text.find(token), std::string::npos) << file;
    EXPECT_EQ(text.find("net-test-secret"), std::string::npos) << file;
  }
}

TEST(EmulatorCommand, BadArgumentsAreOneLineErrors) {
  for (auto args :
       std::vector<std::vector<std::string>>{{"emulator", "serve"},
                                             {"emulator", "serve", "--dir", "/tmp/x", "--faults", "*=bogus"},
                                             {"emulator", "serve", "--dir", "/tmp/x", "--port", "70000"},
                                             {"emulator", "frobnicate"},
                                             {"emulator", "show"}}) {
    process_options po;
    po.args = args;
    po.timeout = std::chrono::seconds(30);
    auto r = run_process(GTEST_TMS_CLI, po);
    EXPECT_EQ(r.exit_code, 2) << args.back();
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  temp_dir empty;
  process_options po;
  po.args = {"emulator", "show", empty.path()};
  auto r = run_process(GTEST_TMS_CLI, po);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("requests.jsonl"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gtest_tms::detail::testing_support

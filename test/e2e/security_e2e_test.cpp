// Security and hostile networks, end to end: a real gtest binary (fixture_acceptance) reporting to
// the emulator through an authenticated CONNECT proxy, every TLS refusal case failing closed with one
// line, the CA options, secrets never leaving the process, and hostile server replies.

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>

#include "connect_proxy.hpp"
#include "emulator/pki.hpp"
#include "emulator_fixture.hpp"

namespace gtest_tms::detail::testing_support {
namespace {

using namespace std::chrono_literals;
using env_map = std::map<std::string, std::optional<std::string>>;

constexpr int acceptance_exit_code = 1;  // without the reporter (QaseEndToEnd checks this)
constexpr const char* proxy_user = "ci-bot";
constexpr const char* proxy_password = "pr0xy-e2e-pass-6b1f";

process_result run_acceptance(env_map env, std::vector<std::string> args = {}) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = 150s;
  return run_process(fixture_path("fixture_acceptance"), po);
}

/// The stderr line containing `needle` (empty if none).
std::string line_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return {};
}

/// The run happened as without the reporter: not killed, same exit code, every test ran.
void expect_tests_unharmed(const process_result& r) {
  EXPECT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.signal, 0) << r.err;
  EXPECT_EQ(r.exit_code, acceptance_exit_code) << r.err;
  EXPECT_NE(r.out.find("[  PASSED  ]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[  FAILED  ] Basics.ExpectFails"), std::string::npos) << r.out;
}

env_map qase_env_for(const std::string& url, const std::string& dir) {
  auto env = emulator_fixture::clean_env();
  env["QASE_MODE"] = "testops";
  env["QASE_TESTOPS_API_TOKEN"] = qase_test_token;
  env["QASE_TESTOPS_PROJECT"] = "DEMO";
  env["QASE_TESTOPS_API_HOST"] = url;
  env["QASE_REPORT_CONNECTION_PATH"] = dir + "/qase-report";
  env["GTEST_TMS_JOURNAL_DIR"] = dir + "/journal";
  env["GTEST_TMS_DEADLINE"] = "5";
  return env;
}

/// The emulator behind a server certificate and TLS versions of the test's choosing (emulator_fixture
/// always serves a valid localhost leaf).
class custom_tls_emulator {
 public:
  explicit custom_tls_emulator(const pki::leaf_request& leaf_request, int min_tls = 0, int max_tls = 0)
      : ca_(pki::make_ca("gtest-tms security e2e CA")) {
    ca_file_ = dir_.path() + "/ca.pem";
    write_file(ca_file_, ca_.cert_pem);
    auto options = emulator_fixture::default_options();
    options.log_path = dir_.path() + "/requests.jsonl";
    emulator_ = std::make_unique<emulator::tms_emulator>(std::move(options));
    const pki::key_and_cert leaf = pki::make_leaf(ca_, leaf_request);
    server_options so;
    so.key_pem = leaf.key_pem;
    so.cert_pem = leaf.cert_pem;
    so.min_tls_version = min_tls;
    so.max_tls_version = max_tls;
    server_ = start_https_server(so, emulator_->as_handler());
  }
  ~custom_tls_emulator() { server_->stop(); }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }
  std::string authority() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& ca_pem() const { return ca_.cert_pem; }
  const std::string& dir() const { return dir_.path(); }
  emulator::tms_emulator& tms() { return *emulator_; }
  env_map qase_env() const {
    auto env = qase_env_for(url(), dir());
    env["SSL_CERT_FILE"] = ca_file_;
    return env;
  }

 private:
  temp_dir dir_;
  pki::key_and_cert ca_;
  std::string ca_file_;
  std::unique_ptr<emulator::tms_emulator> emulator_;
  std::unique_ptr<https_server> server_;
};

/// A c_rehash-style directory: <subject hash>.0 holding the CA, as OpenSSL's SSL_CERT_DIR lookup wants.
std::string hashed_ca_dir(const std::string& parent, const std::string& ca_pem) {
  const std::string dir = parent + "/certs";
  std::filesystem::create_directories(dir);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())),
                                                &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return dir;
  char name[32];
  std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert.get()));
  write_file(dir + "/" + name, ca_pem);
  return dir;
}

/// One completed Qase run holding as many results as the reporter's summary line says it sent.
::testing::AssertionResult has_completed_run_with_results(emulator::tms_emulator& tms, const process_result& r) {
  const auto runs = tms.qase_runs();
  if (runs.size() != 1 || !runs[0].completed) return ::testing::AssertionFailure() << "no single completed run";
  const std::string line = line_with(r.err, "gtest-tms: Qase: ");
  const auto at = line.find("Qase: ");
  const std::size_t sent = at == std::string::npos ? 0 : std::strtoul(line.c_str() + at + 6, nullptr, 10);
  const std::size_t stored = tms.qase_results(runs[0].id).size();
  if (sent == 0 || stored != sent || line.find(" results sent") == std::string::npos)
    return ::testing::AssertionFailure() << stored << " results stored; summary: " << line;
  return ::testing::AssertionSuccess();
}

// ---- (a) proxies ---------------------------------------------------------------------------------

TEST(SecurityEndToEnd, ReportsThroughAnAuthenticatedConnectProxy) {
  emulator_fixture emu;
  connect_proxy_options po;
  po.require_credentials = true;
  po.user = proxy_user;
  po.password = proxy_password;
  connect_proxy proxy(po);
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "5";
  env["HTTPS_PROXY"] = proxy.url(proxy_user, proxy_password);
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
  EXPECT_GE(proxy.tunnels(), 1u);
  EXPECT_EQ(r.err.find(proxy_password), std::string::npos);
  EXPECT_EQ(r.out.find(proxy_password), std::string::npos);
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

TEST(SecurityEndToEnd, AllProxyIsUsedWhenHttpsProxyIsUnset) {
  emulator_fixture emu;
  connect_proxy proxy;
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "5";
  env["all_proxy"] = proxy.url();
  const process_result r = run_acceptance(env, {"--gtest_filter=Basics.*"});
  EXPECT_FALSE(r.timed_out);
  EXPECT_GE(proxy.tunnels(), 1u) << r.err;
  EXPECT_EQ(emu.tms().qase_runs().size(), 1u) << r.err;
}

TEST(SecurityEndToEnd, NoProxyBypassesTheProxy) {
  emulator_fixture emu;
  connect_proxy proxy;
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "5";
  env["HTTPS_PROXY"] = proxy.url(proxy_user, proxy_password);
  env["NO_PROXY"] = "localhost,127.0.0.1";
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
  EXPECT_EQ(proxy.connect_requests(), 0u);
}

TEST(SecurityEndToEnd, ProxyWithWrongCredentialsIsOneLineWithoutThePassword) {
  emulator_fixture emu;
  connect_proxy_options po;
  po.require_credentials = true;
  po.user = proxy_user;
  po.password = proxy_password;
  connect_proxy proxy(po);
  const std::string wrong = "wr0ng-e2e-pass-19ac";
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "5";
  env["HTTPS_PROXY"] = proxy.url(proxy_user, wrong);
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  const std::string line = line_with(r.err, "credentials were refused (407)");
  EXPECT_FALSE(line.empty()) << r.err;
  EXPECT_NE(line.find("127.0.0.1:" + std::to_string(proxy.port())), std::string::npos) << line;
  EXPECT_EQ(r.err.find(wrong), std::string::npos) << r.err;
  EXPECT_TRUE(emu.tms().requests().empty());
}

// ---- (b) TLS refusals fail closed ------------------------------------------------------------------

struct tls_case {
  const char* name;
  std::function<void(pki::leaf_request&)> leaf;
  int min_tls = 0;
  int max_tls = 0;
  bool trust_ca = true;
  const char* cause;  // expected in the stderr line
};

// ctest and gtest print a case by its name, not as a dump of its bytes.
void PrintTo(const tls_case& c, std::ostream* os) { *os << c.name; }

class TlsRefusal : public ::testing::TestWithParam<tls_case> {};

TEST_P(TlsRefusal, FailsClosedWithOneLineNamingHostAndCause) {
  const tls_case& c = GetParam();
  pki::leaf_request leaf;
  if (c.leaf) c.leaf(leaf);
  custom_tls_emulator emu(leaf, c.min_tls, c.max_tls);
  auto env = emu.qase_env();
  if (!c.trust_ca) env["SSL_CERT_FILE"] = std::nullopt;
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_LT(r.elapsed, 60s);
  const std::string line = line_with(r.err, c.cause);
  EXPECT_FALSE(line.empty()) << "no line with '" << c.cause << "' in:\n" << r.err;
  EXPECT_NE(line.find(emu.authority()), std::string::npos) << line;
  EXPECT_NE(line.find("gtest-tms"), std::string::npos) << line;
  EXPECT_TRUE(emu.tms().requests().empty()) << "a request got through a refused TLS session";
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, TlsRefusal,
    ::testing::Values(tls_case{"UntrustedCa", {}, 0, 0, false, "certificate verify failed"},
                      tls_case{"WrongHostName",
                               [](pki::leaf_request& l) {
                                 l.common_name = "other.example";
                                 l.dns_names = {"other.example"};
                                 l.ip_addresses = {};
                               },
                               0, 0, true, "another host name"},
                      tls_case{"Expired",
                               [](pki::leaf_request& l) {
                                 l.not_before_days = -30;
                                 l.not_after_days = -1;
                               },
                               0, 0, true, "certificate has expired"},
                      tls_case{"Tls10And11Only", {}, TLS1_VERSION, TLS1_1_VERSION, true, "no TLS 1.2 or 1.3"}),
    [](const ::testing::TestParamInfo<tls_case>& info) { return std::string(info.param.name); });

TEST(SecurityEndToEnd, GtestTmsCaFileIsTrusted) {
  custom_tls_emulator emu(pki::leaf_request{});
  auto env = emu.qase_env();
  env["SSL_CERT_FILE"] = std::nullopt;
  env["GTEST_TMS_CA_FILE"] = emu.ca_file();
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
}

TEST(SecurityEndToEnd, SslCertDirWithHashedNamesIsTrusted) {
  custom_tls_emulator emu(pki::leaf_request{});
  auto env = emu.qase_env();
  env["SSL_CERT_FILE"] = std::nullopt;
  env["SSL_CERT_DIR"] = hashed_ca_dir(emu.dir(), emu.ca_pem());
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
}

TEST(SecurityEndToEnd, UnreadableGtestTmsCaFileIsOneLine) {
  custom_tls_emulator emu(pki::leaf_request{});
  auto env = emu.qase_env();
  env["GTEST_TMS_CA_FILE"] = emu.dir() + "/no-such-ca.pem";
  const process_result r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_FALSE(line_with(r.err, "no-such-ca.pem").empty()) << r.err;
  EXPECT_TRUE(emu.tms().requests().empty());
}

// ---- (c) secrets -----------------------------------------------------------------------------------

TEST(SecurityEndToEnd, NoSecretInAnyOutputOrFileAcrossScenarios) {
  for (const bool debug : {false, true}) {
    SCOPED_TRACE(debug ? "QASE_DEBUG=2" : "QASE_DEBUG unset");
    const auto with_debug = [debug](env_map env) {
      env["GTEST_TMS_DEADLINE"] = "5";
      if (debug) env["QASE_DEBUG"] = "2";  // the request log with bodies
      return env;
    };
    {
      SCOPED_TRACE("Qase, direct");
      emulator_fixture emu;
      const auto r = run_acceptance(with_debug(emu.qase_env()));
      EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
      EXPECT_TRUE(no_secret_in(r, emu.dir()));
    }
    {
      SCOPED_TRACE("QA Sphere");
      emulator_fixture emu;
      const auto r = run_acceptance(with_debug(emu.qasphere_env()));
      EXPECT_EQ(r.exit_code, acceptance_exit_code) << r.err;
      EXPECT_TRUE(no_secret_in(r, emu.dir()));
    }
    {
      SCOPED_TRACE("Qase through an authenticated proxy");
      emulator_fixture emu;
      connect_proxy_options po;
      po.require_credentials = true;
      po.user = proxy_user;
      po.password = proxy_password;
      connect_proxy proxy(po);
      auto env = with_debug(emu.qase_env());
      env["https_proxy"] = proxy.url(proxy_user, proxy_password);
      const auto r = run_acceptance(env);
      EXPECT_TRUE(has_completed_run_with_results(emu.tms(), r)) << r.err;
      EXPECT_TRUE(no_secret_in(r, emu.dir()));
      EXPECT_EQ((r.out + r.err).find(proxy_password), std::string::npos);
      for (const auto& f : list_files(emu.dir())) EXPECT_EQ(read_file(f).find(proxy_password), std::string::npos) << f;
    }
    {
      SCOPED_TRACE("TLS refused");
      custom_tls_emulator emu(pki::leaf_request{});
      auto env = with_debug(emu.qase_env());
      env["SSL_CERT_FILE"] = std::nullopt;
      const auto r = run_acceptance(env);
      EXPECT_EQ(r.exit_code, acceptance_exit_code);
      EXPECT_TRUE(no_secret_in(r, emu.dir()));
    }
    {
      SCOPED_TRACE("every request answered 500, QASE_FALLBACK=report");
      auto options = emulator_fixture::default_options();
      options.faults = emulator::parse_fault_plan("*=500");
      emulator_fixture emu(std::move(options));
      auto env = with_debug(emu.qase_env());
      env["QASE_FALLBACK"] = "report";
      const auto r = run_acceptance(env);
      EXPECT_EQ(r.exit_code, acceptance_exit_code) << r.err;
      EXPECT_FALSE(emu.tms().requests().empty());
      // The fallback report exists, so the scan below covers it.
      bool report_written = false;
      for (const auto& f : list_files(emu.dir() + "/qase-report"))
        report_written = report_written || !read_file(f).empty();
      EXPECT_TRUE(report_written) << r.err;
      EXPECT_TRUE(no_secret_in(r, emu.dir()));
    }
  }
}

// ---- (d) hostile server replies --------------------------------------------------------------------

struct hostile_case {
  const char* name;
  const char* plan;
  std::string body;  // for a status rule: this reply body
  const char* content_type = "application/json";
  bool may_complete = false;  // the requests are processed, only the replies are slow
};

void PrintTo(const hostile_case& c, std::ostream* os) { *os << c.name; }

class HostileServer : public ::testing::TestWithParam<hostile_case> {};

TEST_P(HostileServer, OneClearLineBoundedTimeExitCodeUnchanged) {
  const hostile_case& c = GetParam();
  auto options = emulator_fixture::default_options();
  options.faults = emulator::parse_fault_plan(c.plan);
  for (auto& rule : options.faults.rules) {
    if (rule.status != 0 && !c.body.empty()) {
      rule.body = c.body;
      rule.content_type = c.content_type;
    }
  }
  emulator_fixture emu(std::move(options));
  auto env = emu.qase_env();
  env["GTEST_TMS_DEADLINE"] = "5";
  const auto r = run_acceptance(env);
  expect_tests_unharmed(r);
  EXPECT_LT(r.elapsed, 60s) << r.err;
  EXPECT_FALSE(emu.tms().requests().empty());
  // One clear line from the reporter about Qase; hostile bytes never reach the terminal raw.
  const std::string line = line_with(r.err, "gtest-tms: Qase");
  EXPECT_FALSE(line.empty()) << r.err;
  std::istringstream lines(r.err);
  for (std::string l; std::getline(lines, l);) {
    if (l.rfind("gtest-tms", 0) != 0) continue;
    EXPECT_LT(l.size(), 1000u) << l.substr(0, 200);
    for (const char ch : l) EXPECT_FALSE(static_cast<unsigned char>(ch) < 0x20 && ch != '\t') << l;
  }
  if (!c.may_complete) {
    EXPECT_FALSE(has_completed_run_with_results(emu.tms(), r)) << "hostile replies read as success:\n" << r.err;
  }
  EXPECT_TRUE(no_secret_in(r, emu.dir()));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileServer,
    ::testing::Values(hostile_case{"GarbageBytes", "*=garbage", ""},
                      hostile_case{"GarbageJsonBodies", "*=200", std::string("\x01\x1b[2J\xff{{not json", 16)},
                      hostile_case{"NonJsonRunCreation", "POST /v1/run/.*=200", "<html>welcome</html>", "text/html"},
                      hostile_case{"WrongShapeRunCreation", "POST /v1/run/.*=200",
                                   R"({"status":true,"result":{"id":"seven"}})"},
                      hostile_case{"ArrayRunCreation", "POST /v1/run/.*=200", "[1,2,3]"},
                      hostile_case{"SlowTrickle", "*=trickle", "", "application/json", true},
                      hostile_case{"TruncatedTls", "*=truncated", ""},
                      hostile_case{"HugeBody", "POST /v1/run/.*=200", std::string(9 * 1024 * 1024, 'x')}),
    [](const ::testing::TestParamInfo<hostile_case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace gtest_tms::detail::testing_support

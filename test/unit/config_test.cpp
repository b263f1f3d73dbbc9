// Unit tests for src/config: env + qase.config.json + .qaspherecli -> validated settings.

#include "config/config.hpp"

#include "config/config_readers.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace gtest_tms::detail {
namespace {

namespace fs = std::filesystem;

using env_map = std::map<std::string, std::string>;

env_lookup env_of(const env_map& vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A fresh directory under the system temp dir, removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "gtest-tms-config-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  void write(const fs::path& rel, const std::string& text) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

// The .qaspherecli search walks up to "/"; a stray file above the temp dir would change the results.
bool stray_qaspherecli_above(const fs::path& dir) {
  for (fs::path p = dir.parent_path();; p = p.parent_path()) {
    if (fs::exists(p / ".qaspherecli")) return true;
    if (p == p.parent_path()) return false;
  }
}

std::string all_messages(const settings& s) {
  std::string out;
  for (const auto& e : s.errors) out += "E: " + e + "\n";
  for (const auto& w : s.warnings) out += "W: " + w + "\n";
  return out;
}

bool any_message_contains(const settings& s, const std::string& needle) {
  return all_messages(s).find(needle) != std::string::npos;
}

const env_map testops_env = {
    {"QASE_MODE", "testops"}, {"QASE_TESTOPS_API_TOKEN", "qase-secret-token-123456"}, {"QASE_TESTOPS_PROJECT", "DEMO"}};

env_map with(env_map base, const env_map& extra) {
  for (const auto& [k, v] : extra) base[k] = v;
  return base;
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (stray_qaspherecli_above(dir_.path())) GTEST_SKIP() << "a .qaspherecli above the temp directory";
  }
  settings load(const env_map& vars) const { return load_settings(env_of(vars), dir_.str()); }
  temp_dir dir_;
};

// ---- defaults ----------------------------------------------------------------------------

TEST_F(ConfigTest, NothingConfiguredMeansEverythingOffAndQuiet) {
  const settings s = load({});
  EXPECT_FALSE(s.any_enabled());
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_TRUE(s.warnings.empty()) << all_messages(s);
  EXPECT_EQ(s.common.flush_deadline, std::chrono::milliseconds(30000));
  EXPECT_EQ(s.common.batch_age, std::chrono::milliseconds(450));
  EXPECT_FALSE(s.common.strict);
  EXPECT_EQ(s.qase.report_path, "./build/qase-report");
}

TEST_F(ConfigTest, QaseSettingsAreIgnoredWhileQaseIsOff) {
  const settings s = load({{"QASE_TESTOPS_BATCH_SIZE", "abc"}, {"QASE_TESTOPS_DEFECT", "maybe"}});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
}

TEST_F(ConfigTest, EmptyValuesCountAsUnset) {
  const settings s = load({{"QASE_MODE", ""}, {"QAS_TOKEN", "  "}, {"GTEST_TMS_DEADLINE", ""}});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_TRUE(s.warnings.empty()) << all_messages(s);
}

// ---- Qase: modes and required values -------------------------------------------------------

TEST_F(ConfigTest, TestopsWithTokenAndProject) {
  const settings s = load(testops_env);
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_TRUE(s.qase_enabled());
  EXPECT_EQ(s.qase.token, "qase-secret-token-123456");
  EXPECT_EQ(s.qase.project, "DEMO");
  EXPECT_EQ(s.qase.api_base, "https://api.qase.io");
  EXPECT_EQ(s.qase.app_base, "https://app.qase.io");
  EXPECT_EQ(s.qase.batch_size, 200);
  EXPECT_FALSE(s.qase.run_complete.has_value());
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
}

TEST_F(ConfigTest, ModeIsCaseInsensitive) {
  EXPECT_EQ(load(with(testops_env, {{"QASE_MODE", "TestOps"}})).qase.mode, qase_mode::testops);
  EXPECT_EQ(load({{"QASE_MODE", "REPORT"}}).qase.mode, qase_mode::report);
  EXPECT_EQ(load({{"QASE_MODE", "Off"}}).qase.mode, qase_mode::off);
}

TEST_F(ConfigTest, TestopsWithoutTokenIsAnErrorAndOff) {
  const settings s = load({{"QASE_MODE", "testops"}, {"QASE_TESTOPS_PROJECT", "DEMO"}});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("QASE_TESTOPS_API_TOKEN"), std::string::npos);
  EXPECT_NE(s.errors[0].find("Qase reporting is off"), std::string::npos);
}

TEST_F(ConfigTest, TestopsWithoutProjectIsAnErrorEvenWithFallback) {
  const settings s =
      load({{"QASE_MODE", "testops"}, {"QASE_TESTOPS_API_TOKEN", "tok-abcdefgh"}, {"QASE_FALLBACK", "report"}});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  EXPECT_EQ(s.qase.fallback, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("QASE_TESTOPS_PROJECT"), std::string::npos);
  EXPECT_TRUE(s.qase.token.empty());  // not kept around for a backend that is off
}

TEST_F(ConfigTest, TestopsMultiIsTestopsWithAWarning) {
  const settings s = load(with(testops_env, {{"QASE_MODE", "testops_multi"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  ASSERT_EQ(s.warnings.size(), 1u) << all_messages(s);
  EXPECT_NE(s.warnings[0].find("QASE_MODE=testops_multi"), std::string::npos);
  EXPECT_TRUE(s.errors.empty());
}

TEST_F(ConfigTest, UnknownModeIsAnError) {
  const settings s = load(with(testops_env, {{"QASE_MODE", "tesops"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0], "QASE_MODE=tesops is not one of off, testops, report; Qase reporting is off");
}

TEST_F(ConfigTest, ReportModeNeedsNoCredentials) {
  const settings s = load({{"QASE_MODE", "report"}, {"QASE_REPORT_CONNECTION_PATH", "out/qase"}});
  EXPECT_EQ(s.qase.mode, qase_mode::report);
  EXPECT_EQ(s.qase.report_path, "out/qase");
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
}

TEST_F(ConfigTest, Fallback) {
  EXPECT_EQ(load(with(testops_env, {{"QASE_FALLBACK", "report"}})).qase.fallback, qase_mode::report);
  EXPECT_EQ(load(with(testops_env, {{"QASE_FALLBACK", "OFF"}})).qase.fallback, qase_mode::off);
  const settings bad = load(with(testops_env, {{"QASE_FALLBACK", "testops"}}));
  EXPECT_EQ(bad.qase.mode, qase_mode::off);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].find("QASE_FALLBACK=testops"), std::string::npos);
}

// QA Sphere alone: the fallback report and its folder are local settings both systems share.
TEST_F(ConfigTest, FallbackSettingsApplyToAQaSphereOnlyRun) {
  const env_map qas = {{"QAS_TOKEN", "tenant.key.secret-1234"}, {"QAS_URL", "https://qas.eu1.qasphere.com"}};
  const settings s = load(with(qas, {{"QASE_FALLBACK", "report"}, {"QASE_REPORT_CONNECTION_PATH", "/tmp/rep"}}));
  EXPECT_FALSE(s.qase_enabled());
  EXPECT_TRUE(s.qasphere.enabled);
  EXPECT_EQ(s.qase.fallback, qase_mode::report);
  EXPECT_EQ(s.qase.report_path, "/tmp/rep");
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);

  const settings bad = load(with(qas, {{"QASE_FALLBACK", "maybe"}}));
  EXPECT_TRUE(bad.qasphere.enabled);
  EXPECT_EQ(bad.qase.fallback, qase_mode::off);
  ASSERT_EQ(bad.errors.size(), 1u) << all_messages(bad);
  EXPECT_NE(bad.errors[0].find("QASE_FALLBACK=maybe"), std::string::npos) << bad.errors[0];
  EXPECT_NE(bad.errors[0].find("the fallback report is off"), std::string::npos) << bad.errors[0];
  EXPECT_EQ(bad.errors[0].find("Qase reporting is off"), std::string::npos) << bad.errors[0];

  // Nobody reporting: still nothing read, nothing said.
  const settings none = load({{"QASE_FALLBACK", "maybe"}, {"QASE_REPORT_CONNECTION_PATH", "/tmp/rep"}});
  EXPECT_TRUE(none.errors.empty()) << all_messages(none);
  EXPECT_EQ(none.qase.report_path, "./build/qase-report");
}

// ---- Qase: individual values -------------------------------------------------------------

TEST(ParseBool, AcceptedSpellings) {
  for (const char* t : {"true", "TRUE", "True", "1", "yes", "YES", "y", "Y", "on", "ON", " true "})
    EXPECT_EQ(parse_bool(t), std::optional<bool>(true)) << t;
  for (const char* f : {"false", "False", "0", "no", "NO", "n", "off", "Off"})
    EXPECT_EQ(parse_bool(f), std::optional<bool>(false)) << f;
  for (const char* bad : {"", "2", "-1", "tru", "yess", "enable", "truee", "\xC3\xA9", "t rue"})
    EXPECT_EQ(parse_bool(bad), std::nullopt) << bad;
}

TEST_F(ConfigTest, BooleansAreRead) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_DEFECT", "1"}, {"QASE_TESTOPS_RUN_COMPLETE", "false"}}));
  EXPECT_TRUE(s.qase.defect);
  EXPECT_EQ(s.qase.run_complete, std::optional<bool>(false));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
}

TEST_F(ConfigTest, QaseDebugLevels) {
  EXPECT_EQ(load({}).common.debug, 0);
  EXPECT_EQ(load({{"QASE_DEBUG", "true"}}).common.debug, 1);
  EXPECT_EQ(load({{"QASE_DEBUG", "2"}}).common.debug, 2);
  EXPECT_EQ(load({{"QASE_DEBUG", "off"}}).common.debug, 0);
  // A bad value is one line and no request log; reporting stays on.
  const settings s = load(with(testops_env, {{"QASE_DEBUG", "maybe"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_EQ(s.common.debug, 0);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("QASE_DEBUG=maybe"), std::string::npos) << s.errors[0];
  EXPECT_NE(s.errors[0].find("no request log"), std::string::npos) << s.errors[0];
}

TEST_F(ConfigTest, QasReportDisabledIsNotRead) {
  // Nothing ever used it: it is ignored like any unknown variable (GTEST_TMS_REPORT_DISABLED is the
  // switch for disabled tests).
  const settings s = load(with(testops_env, {{"QAS_REPORT_DISABLED", "2"},
                                             {"QAS_TOKEN", "tst0000001.keyid.keytoken"},
                                             {"QAS_URL", "https://qas.eu1.qasphere.com"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_TRUE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_TRUE(s.warnings.empty()) << all_messages(s);
}

TEST_F(ConfigTest, BadBooleanIsOneErrorNamingVariableAndValue) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_RUN_COMPLETE", "ture"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  EXPECT_FALSE(s.qase.run_complete.has_value());
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("QASE_TESTOPS_RUN_COMPLETE=ture"), std::string::npos) << s.errors[0];
}

TEST_F(ConfigTest, BatchSize) {
  EXPECT_EQ(load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", "50"}})).qase.batch_size, 50);
  EXPECT_EQ(load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", "1"}})).qase.batch_size, 1);
  EXPECT_EQ(load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", " 200 "}})).qase.batch_size, 200);
}

TEST_F(ConfigTest, BatchSizeAboveLimitIsClampedWithAWarning) {
  for (const char* big : {"201", "2000", "99999999999999999999999999"}) {
    const settings s = load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", big}}));
    EXPECT_EQ(s.qase.mode, qase_mode::testops) << big;
    EXPECT_EQ(s.qase.batch_size, 200) << big;
    ASSERT_EQ(s.warnings.size(), 1u) << big;
    EXPECT_NE(s.warnings[0].find("QASE_TESTOPS_BATCH_SIZE="), std::string::npos);
    EXPECT_TRUE(s.errors.empty());
  }
}

TEST_F(ConfigTest, BatchSizeBadValuesTurnQaseOff) {
  const settings abc = load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", "abc"}}));
  EXPECT_EQ(abc.qase.mode, qase_mode::off);
  ASSERT_EQ(abc.errors.size(), 1u);
  EXPECT_EQ(abc.errors[0], "QASE_TESTOPS_BATCH_SIZE=abc is not a whole number (1..200); Qase reporting is off");
  for (const char* bad : {"0", "-5", "-99999999999999999999999", "1.5", "1e2", "", "+"}) {
    const settings s = load(with(testops_env, {{"QASE_TESTOPS_BATCH_SIZE", bad}}));
    if (std::string(bad).empty()) {
      EXPECT_EQ(s.qase.mode, qase_mode::testops);  // empty = unset
      continue;
    }
    EXPECT_EQ(s.qase.mode, qase_mode::off) << bad;
    ASSERT_EQ(s.errors.size(), 1u) << bad;
    EXPECT_NE(s.errors[0].find("(1..200)"), std::string::npos) << s.errors[0];
  }
}

TEST_F(ConfigTest, RunAndPlanIds) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_RUN_ID", "42"}, {"QASE_TESTOPS_PLAN_ID", "7"}}));
  EXPECT_EQ(s.qase.run_id, std::optional<std::int64_t>(42));
  EXPECT_EQ(s.qase.plan_id, std::optional<std::int64_t>(7));
  for (const char* bad : {"0", "-1", "abc", "4.2", "99999999999999999999", "0x10"}) {
    const settings b = load(with(testops_env, {{"QASE_TESTOPS_RUN_ID", bad}}));
    EXPECT_EQ(b.qase.mode, qase_mode::off) << bad;
    EXPECT_FALSE(b.qase.run_id.has_value()) << bad;
    ASSERT_EQ(b.errors.size(), 1u) << bad;
    EXPECT_NE(b.errors[0].find("QASE_TESTOPS_RUN_ID="), std::string::npos);
  }
}

TEST_F(ConfigTest, TextListsAndStatusFilter) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_RUN_TITLE", "Nightly"},
                                             {"QASE_TESTOPS_RUN_DESCRIPTION", "from CI"},
                                             {"QASE_ENVIRONMENT", "staging"},
                                             {"QASE_ROOT_SUITE", "Root"},
                                             {"QASE_TESTOPS_RUN_TAGS", " nightly, ,linux ,"},
                                             {"QASE_TESTOPS_STATUS_FILTER", "Skipped, bogus,passed"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_EQ(s.qase.run_title, "Nightly");
  EXPECT_EQ(s.qase.run_description, "from CI");
  EXPECT_EQ(s.qase.environment, "staging");
  EXPECT_EQ(s.qase.root_suite, "Root");
  EXPECT_EQ(s.qase.run_tags, (std::vector<std::string>{"nightly", "linux"}));
  EXPECT_EQ(s.qase.status_filter, (std::vector<std::string>{"skipped", "passed"}));
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("\"bogus\""), std::string::npos);
}

TEST_F(ConfigTest, TimeoutAndRetries) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_API_TIMEOUT", "12.5"}, {"QASE_TESTOPS_API_RETRIES", "0"}}));
  EXPECT_EQ(s.common.request_timeout, std::chrono::milliseconds(12500));
  EXPECT_EQ(s.common.retries, 0);
  for (const env_map& bad :
       {env_map{{"QASE_TESTOPS_API_TIMEOUT", "0"}}, env_map{{"QASE_TESTOPS_API_TIMEOUT", "-3"}},
        env_map{{"QASE_TESTOPS_API_TIMEOUT", "inf"}}, env_map{{"QASE_TESTOPS_API_TIMEOUT", "nan"}},
        env_map{{"QASE_TESTOPS_API_TIMEOUT", "1e9"}}, env_map{{"QASE_TESTOPS_API_TIMEOUT", "1.2.3"}},
        env_map{{"QASE_TESTOPS_API_RETRIES", "11"}}, env_map{{"QASE_TESTOPS_API_RETRIES", "-1"}}}) {
    const settings b = load(with(testops_env, bad));
    EXPECT_EQ(b.qase.mode, qase_mode::off) << bad.begin()->second;
    EXPECT_EQ(b.errors.size(), 1u) << bad.begin()->second;
  }
}

TEST_F(ConfigTest, ProjectCode) {
  for (const char* ok : {"DE", "DEMO", "ABCDEFGHIJ", "demo", "Q1"}) {
    EXPECT_EQ(load(with(testops_env, {{"QASE_TESTOPS_PROJECT", ok}})).qase.project, ok);
  }
  for (const char* bad : {"D", "ABCDEFGHIJK", "DE-MO", "DE MO", "\xC3\x84X"}) {
    const settings s = load(with(testops_env, {{"QASE_TESTOPS_PROJECT", bad}}));
    EXPECT_EQ(s.qase.mode, qase_mode::off) << bad;
    ASSERT_EQ(s.errors.size(), 1u) << bad;
    EXPECT_NE(s.errors[0].find("QASE_TESTOPS_PROJECT="), std::string::npos);
  }
}

TEST_F(ConfigTest, TokenWithControlCharactersIsRefusedWithoutShowingIt) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_API_TOKEN", "abc\r\nX-Evil: 1"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("QASE_TESTOPS_API_TOKEN"), std::string::npos);
  EXPECT_EQ(s.errors[0].find("Evil"), std::string::npos);
}

// ---- Qase API host rule --------------------------------------------------------------------

struct host_case {
  const char* in;
  const char* api;
  const char* app;
};

TEST(DeriveQaseHosts, AcceptedForms) {
  const host_case cases[] = {
      {"qase.io", "https://api.qase.io", "https://app.qase.io"},
      {"QASE.IO", "https://api.qase.io", "https://app.qase.io"},
      {" qase.io ", "https://api.qase.io", "https://app.qase.io"},
      {"example.qase.io", "https://api-example.qase.io", "https://example.qase.io"},
      {"qase.internal", "https://api-qase.internal", "https://qase.internal"},
      {"qase.internal:8443", "https://api-qase.internal:8443", "https://qase.internal:8443"},
      {"https://qase.internal/tms/", "https://qase.internal/tms", "https://qase.internal/tms"},
      {"https://api.qase.internal:8443/x//", "https://api.qase.internal:8443/x", "https://app.qase.internal:8443/x"},
      {"https://127.0.0.1:8443", "https://127.0.0.1:8443", "https://127.0.0.1:8443"},
      {"HTTPS://API.Example.COM", "https://api.example.com", "https://app.example.com"},
      {"https://[::1]:9000/", "https://[::1]:9000", "https://[::1]:9000"},
      {"https://apix.example.com", "https://apix.example.com", "https://apix.example.com"},
  };
  for (const auto& c : cases) {
    std::string api, app, error;
    EXPECT_TRUE(derive_qase_hosts(c.in, api, app, error)) << c.in << ": " << error;
    EXPECT_EQ(api, c.api) << c.in;
    EXPECT_EQ(app, c.app) << c.in;
  }
}

TEST(DeriveQaseHosts, RefusedForms) {
  for (const char* bad : {"",
                          "   ",
                          "a b",
                          "h/x",
                          "user@h",
                          "https://u:p@h",
                          "https://h?x=1",
                          "https://h:99999",
                          "https://h:0",
                          "https://",
                          "https:///path",
                          "ftp://h",
                          "[::1]",
                          "h:0",
                          "h:abc",
                          "-",
                          "a..b",
                          ".qase.io",
                          "https://a..b",
                          "-a.com",
                          "a-.com",
                          "a.com.",
                          "x_",
                          "qase.io\n",
                          "\xC3\xA9.example"}) {
    std::string api = "unchanged", app = "unchanged", error;
    const bool ok = derive_qase_hosts(bad, api, app, error);
    // "qase.io\n" is trimmed to a valid host; everything else must be refused.
    if (std::string(bad) == "qase.io\n") {
      EXPECT_TRUE(ok);
      continue;
    }
    EXPECT_FALSE(ok) << '"' << bad << "\" gave " << api;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(DeriveQaseHosts, HttpIsRefusedSayingHttpsIsRequired) {
  std::string api, app, error;
  EXPECT_FALSE(derive_qase_hosts("http://127.0.0.1:8080", api, app, error));
  EXPECT_NE(error.find("https is required"), std::string::npos) << error;
}

TEST_F(ConfigTest, BadApiHostTurnsQaseOff) {
  const settings s = load(with(testops_env, {{"QASE_TESTOPS_API_HOST", "http://qase.local"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0],
            "QASE_TESTOPS_API_HOST=http://qase.local uses http://, but https is required; Qase reporting is off");
  const settings ok = load(with(testops_env, {{"QASE_TESTOPS_API_HOST", "https://127.0.0.1:4443/"}}));
  EXPECT_EQ(ok.qase.api_base, "https://127.0.0.1:4443");
  EXPECT_EQ(ok.qase.api_host, "https://127.0.0.1:4443/");
}

// ---- qase.config.json ----------------------------------------------------------------------

const char* full_config = R"({
  "mode": "testops", "fallback": "report", "debug": true,
  "environment": "local", "rootSuite": "Root",
  "report": {"driver": "local", "connection": {"local": {"path": "./out/js", "format": "json"}, "path": "./out/py"}},
  "testops": {
    "api": {"token": "file-secret-token-987654", "host": "example.qase.io", "timeout": 15, "retries": 5},
    "project": "FILE",
    "run": {"id": 123, "title": "Nightly", "description": "desc", "complete": true, "tags": ["a", " b "]},
    "plan": {"id": 9},
    "batch": {"size": 100},
    "defect": true,
    "statusFilter": ["skipped"],
    "showPublicReportLink": false
  }
})";

TEST_F(ConfigTest, ConfigFileIsRead) {
  dir_.write("qase.config.json", full_config);
  const settings s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_EQ(s.qase.fallback, qase_mode::report);
  EXPECT_EQ(s.qase.environment, "local");
  EXPECT_EQ(s.qase.root_suite, "Root");
  EXPECT_EQ(s.qase.report_path, "./out/js");  // JS/Java key wins over the Python one
  EXPECT_EQ(s.qase.token, "file-secret-token-987654");
  EXPECT_EQ(s.qase.api_base, "https://api-example.qase.io");
  EXPECT_EQ(s.qase.app_base, "https://example.qase.io");
  EXPECT_EQ(s.common.request_timeout, std::chrono::milliseconds(15000));
  EXPECT_EQ(s.common.retries, 5);
  EXPECT_EQ(s.qase.project, "FILE");
  EXPECT_EQ(s.qase.run_id, std::optional<std::int64_t>(123));
  EXPECT_EQ(s.qase.run_title, "Nightly");
  EXPECT_EQ(s.qase.run_description, "desc");
  EXPECT_EQ(s.qase.run_complete, std::optional<bool>(true));
  EXPECT_EQ(s.qase.run_tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.qase.plan_id, std::optional<std::int64_t>(9));
  EXPECT_EQ(s.qase.batch_size, 100);
  EXPECT_TRUE(s.qase.defect);
  EXPECT_EQ(s.qase.status_filter, (std::vector<std::string>{"skipped"}));
}

TEST_F(ConfigTest, EnvironmentWinsOverTheFile) {
  dir_.write("qase.config.json", full_config);
  const settings s = load({{"QASE_TESTOPS_PROJECT", "ENV"},
                           {"QASE_TESTOPS_BATCH_SIZE", "10"},
                           {"QASE_TESTOPS_RUN_TAGS", "x,y"},
                           {"QASE_REPORT_CONNECTION_PATH", "/tmp/r"},
                           {"QASE_TESTOPS_RUN_COMPLETE", "off"}});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.project, "ENV");
  EXPECT_EQ(s.qase.batch_size, 10);
  EXPECT_EQ(s.qase.run_tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(s.qase.report_path, "/tmp/r");
  EXPECT_EQ(s.qase.run_complete, std::optional<bool>(false));
  EXPECT_EQ(s.qase.run_title, "Nightly");  // not overridden
  // QASE_MODE=off in the environment switches off a file that says testops.
  EXPECT_EQ(load({{"QASE_MODE", "off"}}).qase.mode, qase_mode::off);
}

TEST_F(ConfigTest, PythonReportPathKeyAndCommaStringLists) {
  dir_.write("qase.config.json",
             R"({"mode": "report", "report": {"connection": {"path": "py/path"}},
                 "testops": {"run": {"tags": "one, two"}, "batch": {"size": "20"}}})");
  const settings s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.mode, qase_mode::report);
  EXPECT_EQ(s.qase.report_path, "py/path");
  EXPECT_EQ(s.qase.run_tags, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(s.qase.batch_size, 20);
}

TEST_F(ConfigTest, LoggingOptionsFromTheEnvironmentOrTheFile) {
  const settings defaults = load(testops_env);
  EXPECT_TRUE(defaults.common.logging_console);
  EXPECT_FALSE(defaults.common.logging_file);
  const settings env = load(with(testops_env, {{"QASE_LOGGING_CONSOLE", "false"}, {"QASE_LOGGING_FILE", "yes"}}));
  EXPECT_FALSE(env.common.logging_console);
  EXPECT_TRUE(env.common.logging_file);
  EXPECT_TRUE(env.errors.empty()) << all_messages(env);
  dir_.write("qase.config.json", R"({"logging": {"console": false, "file": true}})");
  const settings file = load(testops_env);
  EXPECT_FALSE(file.common.logging_console);
  EXPECT_TRUE(file.common.logging_file);
  // The environment wins over the file, as for every key.
  EXPECT_TRUE(load(with(testops_env, {{"QASE_LOGGING_CONSOLE", "true"}})).common.logging_console);

  dir_.write("qase.config.json", "{}");
  const settings bad = load(with(testops_env, {{"QASE_LOGGING_CONSOLE", "quiet"}}));
  EXPECT_TRUE(bad.common.logging_console);
  ASSERT_EQ(bad.errors.size(), 1u) << all_messages(bad);
  EXPECT_EQ(bad.errors[0].rfind("QASE_LOGGING_CONSOLE=quiet", 0), 0u) << bad.errors[0];
  EXPECT_NE(bad.errors[0].find("using the default (true)"), std::string::npos) << bad.errors[0];
  EXPECT_TRUE(bad.qase_enabled());  // a logging option never switches reporting off
}

TEST_F(ConfigTest, ReportFormatJsonOrJsonpUnderEachOfficialName) {
  EXPECT_EQ(load({{"QASE_MODE", "report"}}).qase.report_format, qase_report_format::json);
  EXPECT_EQ(load({{"QASE_MODE", "report"}, {"QASE_REPORT_CONNECTION_FORMAT", "JSONP"}}).qase.report_format,
            qase_report_format::jsonp);
  EXPECT_EQ(load({{"QASE_MODE", "report"}, {"QASE_REPORT_FORMAT", "jsonp"}}).qase.report_format,
            qase_report_format::jsonp);
  // The official name wins over the short one.
  EXPECT_EQ(load({{"QASE_MODE", "report"}, {"QASE_REPORT_CONNECTION_FORMAT", "json"}, {"QASE_REPORT_FORMAT", "jsonp"}})
                .qase.report_format,
            qase_report_format::json);
  dir_.write("qase.config.json", R"({"mode": "report", "report": {"connection": {"local": {"format": "jsonp"}}}})");
  EXPECT_EQ(load({}).qase.report_format, qase_report_format::jsonp);
  dir_.write("qase.config.json", R"({"mode": "report", "report": {"connection": {"format": "jsonp"}}})");
  EXPECT_EQ(load({}).qase.report_format, qase_report_format::jsonp);

  const settings bad = load({{"QASE_MODE", "report"}, {"QASE_REPORT_CONNECTION_FORMAT", "xml"}});
  ASSERT_EQ(bad.errors.size(), 1u) << all_messages(bad);
  EXPECT_EQ(bad.errors[0], "QASE_REPORT_CONNECTION_FORMAT=xml is not one of json, jsonp; Qase reporting is off");
  // QA Sphere alone: the fallback report's format, like its folder.
  const env_map qas = {{"QAS_TOKEN", "tenant.key.secret-1234"}, {"QAS_URL", "https://qas.eu1.qasphere.com"}};
  dir_.write("qase.config.json", "{}");
  EXPECT_EQ(load(with(qas, {{"QASE_REPORT_FORMAT", "jsonp"}})).qase.report_format, qase_report_format::jsonp);
}

TEST_F(ConfigTest, StatusMappingAttachmentsExcludedParamsAndMilestone) {
  settings s = load(with(testops_env, {{"QASE_STATUS_MAPPING", "invalid=failed, Skipped = passed"},
                                       {"QASE_TESTOPS_UPLOAD_ATTACHMENTS", "false"},
                                       {"QASE_EXCLUDE_PARAMS", "param, seed"},
                                       {"QASE_TESTOPS_RUN_MILESTONE", "12"},
                                       {"QASE_TESTOPS_SHOW_PUBLIC_REPORT_LINK", "yes"}}));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.status_mapping,
            (std::vector<std::pair<test_status, test_status>>{{test_status::invalid, test_status::failed},
                                                              {test_status::skipped, test_status::passed}}));
  EXPECT_FALSE(s.qase.upload_attachments);
  EXPECT_EQ(s.qase.exclude_params, (std::vector<std::string>{"param", "seed"}));
  EXPECT_EQ(s.qase.milestone_id, std::optional<std::int64_t>(12));
  EXPECT_TRUE(s.qase.show_public_report_link);
  EXPECT_FALSE(load(testops_env).qase.show_public_report_link);
  EXPECT_TRUE(load(testops_env).qase.upload_attachments);  // on by default, as upstream

  // A pair that does not say status=status switches Qase off with one line naming the setting.
  for (const char* bad : {"invalid", "invalid=", "bogus=failed", "failed=disabled", "=passed"}) {
    s = load(with(testops_env, {{"QASE_STATUS_MAPPING", bad}}));
    EXPECT_EQ(s.qase.mode, qase_mode::off) << bad;
    ASSERT_EQ(s.errors.size(), 1u) << bad << ": " << all_messages(s);
    EXPECT_NE(s.errors[0].find("QASE_STATUS_MAPPING"), std::string::npos) << s.errors[0];
  }
  s = load(with(testops_env, {{"QASE_TESTOPS_RUN_MILESTONE", "0"}}));
  EXPECT_EQ(s.qase.mode, qase_mode::off);

  // The file form is an object, as the official reporters write it.
  dir_.write("qase.config.json",
             R"({"mode": "report", "statusMapping": {"invalid": "failed"}, "excludeParams": ["seed"],
                 "testops": {"uploadAttachments": false, "run": {"milestone": 3}}})");
  s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.status_mapping,
            (std::vector<std::pair<test_status, test_status>>{{test_status::invalid, test_status::failed}}));
  EXPECT_EQ(s.qase.exclude_params, std::vector<std::string>{"seed"});
  EXPECT_FALSE(s.qase.upload_attachments);
  EXPECT_EQ(s.qase.milestone_id, std::optional<std::int64_t>(3));
  dir_.write("qase.config.json", R"({"mode": "report", "statusMapping": {"invalid": ["failed"]}})");
  s = load({});
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("statusMapping must be an object of strings"), std::string::npos) << s.errors[0];
}

// QASE_TESTOPS_CONFIGURATIONS_*: "group=value" pairs in the environment, {name, value} objects in
// the file; a pair that is not one switches Qase off.
TEST_F(ConfigTest, ConfigurationValuesInTheirEnvironmentAndFileForms) {
  settings s = load(with(testops_env, {{"QASE_TESTOPS_CONFIGURATIONS_VALUES", "os = linux, browser=none,os=debian"},
                                       {"QASE_TESTOPS_CONFIGURATIONS_CREATE_IF_NOT_EXISTS", "true"}}));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.configurations,
            (std::vector<std::pair<std::string, std::string>>{{"os", "linux"}, {"browser", "none"}, {"os", "debian"}}));
  EXPECT_TRUE(s.qase.create_configurations);
  EXPECT_FALSE(load(testops_env).qase.create_configurations);  // off by default, as upstream
  EXPECT_TRUE(load(testops_env).qase.configurations.empty());
  for (const char* bad : {"os", "os=", "=linux", "os=linux,nothing"}) {
    s = load(with(testops_env, {{"QASE_TESTOPS_CONFIGURATIONS_VALUES", bad}}));
    EXPECT_EQ(s.qase.mode, qase_mode::off) << bad;
    ASSERT_EQ(s.errors.size(), 1u) << bad << ": " << all_messages(s);
    EXPECT_NE(s.errors[0].find("QASE_TESTOPS_CONFIGURATIONS_VALUES"), std::string::npos) << s.errors[0];
    EXPECT_NE(s.errors[0].find("not group=value"), std::string::npos) << s.errors[0];
  }

  dir_.write("qase.config.json",
             R"({"mode": "report", "testops": {"configurations": {"values": [{"name": "os", "value": "linux"},
                 {"name": "arch", "value": 64}], "createIfNotExists": true}}})");
  s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.configurations, (std::vector<std::pair<std::string, std::string>>{{"os", "linux"}, {"arch", "64"}}));
  EXPECT_TRUE(s.qase.create_configurations);
  dir_.write("qase.config.json", R"({"mode": "report", "testops": {"configurations": {"values": [{"name": "os"}]}}})");
  s = load({});
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("testops.configurations.values must be an array of strings"), std::string::npos)
      << s.errors[0];
}

// QASE_TESTOPS_RUN_EXTERNAL_LINK in the JS (JSON, file object), Python (_TYPE + _URL) and Java
// (_TYPE + the link itself) spellings; the type in the API's words.
TEST_F(ConfigTest, ExternalLinkInEveryOfficialSpelling) {
  settings s =
      load(with(testops_env, {{"QASE_TESTOPS_RUN_EXTERNAL_LINK", R"({"type": "jiraCloud", "link": "PROJ-1"})"}}));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.external_link_type, "jira-cloud");
  EXPECT_EQ(s.qase.external_link, "PROJ-1");
  s = load(with(testops_env, {{"QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE", "jiraServer"},
                              {"QASE_TESTOPS_RUN_EXTERNAL_LINK_URL", "OPS-7"}}));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.external_link_type, "jira-server");
  EXPECT_EQ(s.qase.external_link, "OPS-7");
  s = load(with(testops_env,
                {{"QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE", "jira-cloud"}, {"QASE_TESTOPS_RUN_EXTERNAL_LINK", "OPS-8"}}));
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.external_link_type, "jira-cloud");
  EXPECT_EQ(s.qase.external_link, "OPS-8");
  EXPECT_TRUE(load(testops_env).qase.external_link.empty());

  const std::pair<env_map, const char*> bad[] = {
      {{{"QASE_TESTOPS_RUN_EXTERNAL_LINK", R"({"type": "github", "link": "PROJ-1"})"}}, "is not jiraCloud"},
      {{{"QASE_TESTOPS_RUN_EXTERNAL_LINK", R"({"type": "jiraCloud"})"}}, "is not {\"type\""},
      {{{"QASE_TESTOPS_RUN_EXTERNAL_LINK", "{broken"}}, "is not {\"type\""},
      {{{"QASE_TESTOPS_RUN_EXTERNAL_LINK", "PROJ-1"}}, "is not jiraCloud"},  // Java form without the type
      {{{"QASE_TESTOPS_RUN_EXTERNAL_LINK_TYPE", "jiraCloud"}}, "needs the issue"},
  };
  for (const auto& [extra, why] : bad) {
    s = load(with(testops_env, extra));
    EXPECT_EQ(s.qase.mode, qase_mode::off) << why;
    ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
    EXPECT_NE(s.errors[0].find(why), std::string::npos) << s.errors[0];
  }

  dir_.write("qase.config.json",
             R"({"mode": "report", "testops": {"run": {"externalLink": {"type": "jiraServer", "link": "X-9"}}}})");
  s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.external_link_type, "jira-server");
  EXPECT_EQ(s.qase.external_link, "X-9");
}

TEST_F(ConfigTest, JsonNumbersInTheFile) {
  dir_.write("qase.config.json",
             R"({"mode": "report", "testops": {"api": {"timeout": 2.5}, "batch": {"size": 50.0}}})");
  settings s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.common.request_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(s.qase.batch_size, 50);

  dir_.write("qase.config.json", R"({"mode": "report", "testops": {"batch": {"size": 1.5}}})");
  s = load({});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_EQ(s.errors[0].rfind("qase.config.json: testops.batch.size=1.5 ", 0), 0u) << s.errors[0];

  dir_.write("qase.config.json", R"({"mode": "report", "testops": {"run": {"id": 1e300}}})");
  s = load({});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("testops.run.id="), std::string::npos) << s.errors[0];
}

TEST_F(ConfigTest, InvalidJsonIsOneErrorWithPositionAndEnvStillApplies) {
  dir_.write("qase.config.json", "{\n  \"mode\": \"report\",\n  \"debug\": tru\n}");
  const settings s = load(testops_env);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_EQ(s.errors[0].rfind("qase.config.json: ", 0), 0u) << s.errors[0];
  EXPECT_NE(s.errors[0].find("line 3"), std::string::npos) << s.errors[0];
  EXPECT_EQ(s.qase.mode, qase_mode::testops);  // from the environment
}

TEST_F(ConfigTest, TruncatedAndTrailingJsonAreErrors) {
  dir_.write("qase.config.json", R"({"mode": "report")");
  settings s = load({});
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_EQ(s.errors[0].rfind("qase.config.json: invalid JSON", 0), 0u) << s.errors[0];
  EXPECT_EQ(s.qase.mode, qase_mode::off);

  dir_.write("qase.config.json", R"({"mode": "report"} {"mode": "off"})");
  s = load({});
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_NE(s.errors[0].find("after the JSON value"), std::string::npos) << s.errors[0];
  EXPECT_EQ(s.qase.mode, qase_mode::off);

  dir_.write("qase.config.json", "{\"mode\": \"report\"}\n\n  \t");
  s = load({});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.qase.mode, qase_mode::report);
}

TEST_F(ConfigTest, WrongJsonTypesAreReportedAndIgnored) {
  dir_.write("qase.config.json", R"({"mode": "report", "rootSuite": {"x": 1}, "report": 5,
                                      "testops": {"run": {"tags": [1, true]}}})");
  const settings s = load({});
  EXPECT_EQ(s.qase.mode, qase_mode::report);
  EXPECT_EQ(s.qase.root_suite, "");
  EXPECT_EQ(s.qase.report_path, "./build/qase-report");
  ASSERT_EQ(s.errors.size(), 3u) << all_messages(s);
  for (const auto& e : s.errors) EXPECT_EQ(e.rfind("qase.config.json: ", 0), 0u) << e;
  EXPECT_TRUE(any_message_contains(s, "rootSuite must be a scalar, not an object"));
  EXPECT_TRUE(any_message_contains(s, "report must be an object, not a number"));
  EXPECT_TRUE(any_message_contains(s, "testops.run.tags must be an array of strings"));
}

TEST_F(ConfigTest, TopLevelMustBeAnObject) {
  dir_.write("qase.config.json", "[1, 2]");
  const settings s = load({});
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0], "qase.config.json: the top level must be an object, not an array; the file is ignored");
}

TEST_F(ConfigTest, BadValueInTheFileNamesTheKey) {
  dir_.write("qase.config.json", R"({"mode": "testops", "testops": {"api": {"token": "file-secret-token-987654"},
                                      "project": "DEMO", "batch": {"size": 0}}})");
  const settings s = load({});
  EXPECT_EQ(s.qase.mode, qase_mode::off);
  ASSERT_EQ(s.errors.size(), 1u) << all_messages(s);
  EXPECT_EQ(s.errors[0], "qase.config.json: testops.batch.size=0 is out of range (1..200); Qase reporting is off");
}

TEST_F(ConfigTest, ConfigFileThatIsNotAFile) {
  fs::create_directory(dir_.path() / "qase.config.json");
  const settings s = load({});
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].rfind("qase.config.json: ", 0), 0u);
}

TEST_F(ConfigTest, HugeConfigFileIsRefused) {
  dir_.write("qase.config.json", "{\"rootSuite\": \"" + std::string(2 << 20, 'x') + "\"}");
  const settings s = load({});
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("1 MiB"), std::string::npos);
}

TEST_F(ConfigTest, HostileFileContentDoesNotBreakTheMessages) {
  dir_.write("qase.config.json", std::string("{\"mode\": \"\xFF\x1B[31m\\nx\"}"));
  const settings s = load({});
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].find('\n'), std::string::npos);
  EXPECT_EQ(s.errors[0].find('\x1B'), std::string::npos);
}

// ---- QA Sphere -----------------------------------------------------------------------------

const env_map qas_env = {{"QAS_TOKEN", "tst0000001.1CKCEtest_JYyckc3zYtest.dhhjYY3BYEoQH41e62itest"},
                         {"QAS_URL", "https://qas.eu1.qasphere.com"}};

TEST_F(ConfigTest, QaSphereFromTheEnvironment) {
  const settings s = load(qas_env);
  EXPECT_TRUE(s.qasphere.enabled);
  EXPECT_TRUE(s.any_enabled());
  EXPECT_EQ(s.qasphere.url, "https://qas.eu1.qasphere.com");
  EXPECT_EQ(s.qasphere.token, qas_env.at("QAS_TOKEN"));
  EXPECT_EQ(s.qasphere.auth, qas_auth_scheme::api_key);
  EXPECT_EQ(s.qasphere.batch_size, 500);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_TRUE(s.warnings.empty()) << all_messages(s);
}

TEST(NormalizeQasphereUrl, Forms) {
  const std::pair<const char*, const char*> ok[] = {
      {"https://qas.eu1.qasphere.com/", "https://qas.eu1.qasphere.com"},
      {"qas.eu1.qasphere.com", "https://qas.eu1.qasphere.com"},
      {"  QAS.EU1.QaSphere.com//  ", "https://qas.eu1.qasphere.com"},
      {"tenant1.localhost:5173", "https://tenant1.localhost:5173"},
      {"https://127.0.0.1:9443/", "https://127.0.0.1:9443"},
  };
  for (const auto& [in, want] : ok) {
    std::string url, error;
    EXPECT_TRUE(normalize_qasphere_url(in, url, error)) << in << ": " << error;
    EXPECT_EQ(url, want);
  }
  for (const char* bad :
       {"", "/", "http://qas.eu1.qasphere.com", "ftp://x", "https://u:p@h", "https://h?x", "a b", "https://h:70000"}) {
    std::string url, error;
    EXPECT_FALSE(normalize_qasphere_url(bad, url, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST_F(ConfigTest, QaSphereHttpUrlIsAnErrorNamingQasUrl) {
  const settings s = load(with(qas_env, {{"QAS_URL", "http://qas.eu1.qasphere.com"}}));
  EXPECT_FALSE(s.qasphere.enabled);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0],
            "QAS_URL=http://qas.eu1.qasphere.com uses http://, but https is required; QA Sphere reporting is off");
}

TEST(ValidQasphereKey, Shapes) {
  for (const char* ok : {"t123.ak456.abc789xyz", "a.b.c", "t-1.k_2.x-y_z"}) EXPECT_TRUE(valid_qasphere_key(ok)) << ok;
  for (const char* bad : {"", "abc", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a.b c.d", "a.b.c\n", "a.\xC3\xA9.c"})
    EXPECT_FALSE(valid_qasphere_key(bad)) << bad;
}

TEST_F(ConfigTest, MalformedQaSphereKeyIsAnErrorWithoutTheKey) {
  const settings s = load(with(qas_env, {{"QAS_TOKEN", "tenant.onlytwoSECRETPART"}}));
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.qasphere.token.empty());
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("QAS_TOKEN"), std::string::npos);
  EXPECT_EQ(s.errors[0].find("SECRETPART"), std::string::npos);
  EXPECT_NE(s.errors[0].find("QA Sphere reporting is off"), std::string::npos);
}

TEST_F(ConfigTest, QasModeOffSkipsEverything) {
  const settings s = load(with(qas_env, {{"QAS_MODE", "off"}, {"QAS_TOKEN", "bad"}, {"QAS_BATCH_SIZE", "x"}}));
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  const settings bad = load(with(qas_env, {{"QAS_MODE", "sometimes"}}));
  EXPECT_FALSE(bad.qasphere.enabled);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].find("QAS_MODE=sometimes"), std::string::npos);
  EXPECT_TRUE(load(with(qas_env, {{"QAS_MODE", "on"}})).qasphere.enabled);
}

TEST_F(ConfigTest, QasModeOnWithoutCredentialsWarns) {
  const settings s = load({{"QAS_MODE", "on"}});
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty());
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("QAS_TOKEN"), std::string::npos);
}

TEST_F(ConfigTest, HalfAnEnvironmentSourceIsSkippedWithAWarning) {
  const settings s = load({{"QAS_URL", "https://qas.eu1.qasphere.com"}});
  EXPECT_FALSE(s.qasphere.enabled);
  EXPECT_TRUE(s.errors.empty());
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_EQ(s.warnings[0],
            "QAS_URL is set in the environment but QAS_TOKEN is not; skipping the environment as a QA Sphere source");
}

TEST_F(ConfigTest, QaspherecliInTheWorkingDirectory) {
  dir_.write(".qaspherecli",
             "# QA Sphere\r\nexport QAS_TOKEN=\"t1.k1.secretvalue1\"\r\nQAS_URL = 'https://t.eu2.qasphere.com/' \r\n");
  const settings s = load({});
  EXPECT_TRUE(s.qasphere.enabled) << all_messages(s);
  EXPECT_EQ(s.qasphere.token, "t1.k1.secretvalue1");
  EXPECT_EQ(s.qasphere.url, "https://t.eu2.qasphere.com");
}

TEST_F(ConfigTest, QaspherecliIsSearchedUpwardsAndTheNearestCompleteOneWins) {
  dir_.write(".qaspherecli", "QAS_TOKEN=top.level.token\nQAS_URL=top.qasphere.com\n");
  dir_.write("a/.qaspherecli", "QAS_URL=middle.qasphere.com\n");  // incomplete: skipped with a warning
  fs::create_directories(dir_.path() / "a/b/c");
  const settings s = load_settings(env_of({}), (dir_.path() / "a/b/c").string());
  EXPECT_TRUE(s.qasphere.enabled) << all_messages(s);
  EXPECT_EQ(s.qasphere.url, "https://top.qasphere.com");
  ASSERT_EQ(s.warnings.size(), 1u) << all_messages(s);
  EXPECT_NE(s.warnings[0].find("QAS_URL but not QAS_TOKEN"), std::string::npos) << s.warnings[0];

  dir_.write("a/b/.qaspherecli", "QAS_TOKEN=near.level.token\nQAS_URL=near.qasphere.com\n");
  const settings nearer = load_settings(env_of({}), (dir_.path() / "a/b/c").string());
  EXPECT_EQ(nearer.qasphere.url, "https://near.qasphere.com");
  EXPECT_TRUE(nearer.warnings.empty()) << all_messages(nearer);
}

TEST_F(ConfigTest, EnvironmentCredentialsWinOverTheFile) {
  dir_.write(".qaspherecli", "QAS_TOKEN=file.level.token\nQAS_URL=file.qasphere.com\n");
  const settings s = load(qas_env);
  EXPECT_EQ(s.qasphere.url, "https://qas.eu1.qasphere.com");
  // With only half the pair in the environment, the file is used (with a warning).
  const settings half = load({{"QAS_TOKEN", "env.level.token"}});
  EXPECT_TRUE(half.qasphere.enabled);
  EXPECT_EQ(half.qasphere.token, "file.level.token");
  EXPECT_EQ(half.warnings.size(), 1u);
}

TEST_F(ConfigTest, BadKeyFromAFileNamesTheFile) {
  dir_.write(".qaspherecli", "QAS_TOKEN=only-one-part-SECRET\nQAS_URL=t.qasphere.com\n");
  const settings s = load({});
  EXPECT_FALSE(s.qasphere.enabled);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find(".qaspherecli"), std::string::npos);
  EXPECT_EQ(s.errors[0].find("SECRET"), std::string::npos);
}

TEST(ParseDotenv, Syntax) {
  const auto kv = parse_dotenv(
      "# comment\n\n  KEY1=plain value # trailing comment\nexport KEY2=\"quoted # not a comment\"\n"
      "KEY3='single'\nKEY4=\nnot a pair\n=novalue\nKEY5=a=b\nKEY6=\"unbalanced\nKEY7=x#y\r\n");
  const std::vector<std::pair<std::string, std::string>> want = {
      {"KEY1", "plain value"}, {"KEY2", "quoted # not a comment"}, {"KEY3", "single"}, {"KEY4", ""},
      {"KEY5", "a=b"},         {"KEY6", "\"unbalanced"},           {"KEY7", "x#y"}};
  EXPECT_EQ(kv, want);
  EXPECT_TRUE(parse_dotenv("").empty());
  EXPECT_TRUE(parse_dotenv(std::string("\0\0\xFF", 3)).empty());
}

TEST_F(ConfigTest, QaSphereOptionalSettings) {
  const settings s = load(with(qas_env, {{"QAS_AUTH_SCHEME", "bearer"},
                                         {"QAS_PROJECT_CODE", "BD"},
                                         {"QAS_RUN_ID", "17"},
                                         {"QAS_RUN_NAME", "Run {YYYY}"},
                                         {"QAS_RUN_DESCRIPTION", "desc"},
                                         {"QAS_CLOSE_RUN", "yes"},
                                         {"QAS_BATCH_SIZE", "25"}}));
  EXPECT_TRUE(s.qasphere.enabled) << all_messages(s);
  EXPECT_EQ(s.qasphere.auth, qas_auth_scheme::bearer);
  EXPECT_EQ(s.qasphere.project, "BD");
  EXPECT_EQ(s.qasphere.run_id, std::optional<std::int64_t>(17));
  EXPECT_EQ(s.qasphere.run_title, "Run {YYYY}");  // the template is expanded later
  EXPECT_EQ(s.qasphere.run_description, "desc");
  EXPECT_EQ(s.qasphere.close_run, std::optional<bool>(true));
  EXPECT_EQ(s.qasphere.batch_size, 25);
  EXPECT_EQ(load(with(qas_env, {{"QAS_AUTH_SCHEME", "APIKEY"}})).qasphere.auth, qas_auth_scheme::api_key);
}

TEST_F(ConfigTest, QaSphereResultsLinkTheCiJobOfTheServiceRunningThem) {
  EXPECT_EQ(load(qas_env).qasphere.ci_job_url, "");
  const env_map github = {
      {"GITHUB_SERVER_URL", "https://github.com"}, {"GITHUB_REPOSITORY", "acme/app"}, {"GITHUB_RUN_ID", "9001"}};
  EXPECT_EQ(load(with(qas_env, github)).qasphere.ci_job_url, "https://github.com/acme/app/actions/runs/9001");
  auto retried = github;
  retried["GITHUB_RUN_ATTEMPT"] = "3";
  EXPECT_EQ(load(with(qas_env, retried)).qasphere.ci_job_url,
            "https://github.com/acme/app/actions/runs/9001/attempts/3");
  EXPECT_EQ(load(with(qas_env, {{"CI_JOB_URL", "https://gitlab.example/g/p/-/jobs/5"}})).qasphere.ci_job_url,
            "https://gitlab.example/g/p/-/jobs/5");
  EXPECT_EQ(load(with(qas_env, {{"BUILD_URL", "https://jenkins.example/job/app/12/"}})).qasphere.ci_job_url,
            "https://jenkins.example/job/app/12/");
  // Not a web link: left out with one warning, reporting stays on.
  for (const char* bad : {"ftp://ci.example/1", "https://ci.example/a b", "javascript:alert(1)"}) {
    const settings s = load(with(qas_env, {{"CI_JOB_URL", bad}}));
    EXPECT_TRUE(s.qasphere.enabled) << bad;
    EXPECT_EQ(s.qasphere.ci_job_url, "") << bad;
    ASSERT_EQ(s.warnings.size(), 1u) << bad;
    EXPECT_EQ(s.warnings[0],
              "the CI job URL (from CI_JOB_URL) is not an http(s) URL of at most 2048 printable characters; QA Sphere "
              "results carry no CI job link");
  }
}

TEST_F(ConfigTest, QaSphereBadOptionalSettingsTurnItOff) {
  const env_map bad[] = {{{"QAS_AUTH_SCHEME", "Basic"}}, {{"QAS_PROJECT_CODE", "B"}}, {{"QAS_PROJECT_CODE", "TOOLONG"}},
                         {{"QAS_PROJECT_CODE", "B-D"}},  {{"QAS_RUN_ID", "0"}},       {{"QAS_RUN_ID", "x"}},
                         {{"QAS_CLOSE_RUN", "perhaps"}}, {{"QAS_BATCH_SIZE", "0"}},   {{"QAS_BATCH_SIZE", "501"}},
                         {{"QAS_BATCH_SIZE", "abc"}}};
  for (const auto& b : bad) {
    const settings s = load(with(qas_env, b));
    const std::string name = b.begin()->first;
    EXPECT_FALSE(s.qasphere.enabled) << name;
    ASSERT_EQ(s.errors.size(), 1u) << name;
    EXPECT_EQ(s.errors[0].rfind(name + "=", 0), 0u) << s.errors[0];
    EXPECT_NE(s.errors[0].find("; QA Sphere reporting is off"), std::string::npos);
  }
}

TEST(ParseQasphereRunUrl, Forms) {
  const std::string base = "https://qas.eu1.qasphere.com";
  std::string project, error;
  std::int64_t run = 0;
  ASSERT_TRUE(parse_qasphere_run_url("https://qas.eu1.qasphere.com/project/BD/run/23", base, project, run, error))
      << error;
  EXPECT_EQ(project, "BD");
  EXPECT_EQ(run, 23);
  ASSERT_TRUE(
      parse_qasphere_run_url("QAS.eu1.qasphere.com/project/XY1/run/5/tcase/9?tab=1", base, project, run, error));
  EXPECT_EQ(project, "XY1");
  EXPECT_EQ(run, 5);
  for (const char* bad :
       {"https://other.eu1.qasphere.com/project/BD/run/23", "https://qas.eu1.qasphere.com:8443/project/BD/run/1",
        "http://qas.eu1.qasphere.com/project/BD/run/23", "https://qas.eu1.qasphere.com/project/BD/run/",
        "https://qas.eu1.qasphere.com/project/BD/run/0", "https://qas.eu1.qasphere.com/project/BD/run/-1",
        "https://qas.eu1.qasphere.com/project/BD/tcase/3", "https://qas.eu1.qasphere.com/",
        "https://qas.eu1.qasphere.com/project/B/run/2", "not a url at all", "",
        "https://qas.eu1.qasphere.com/project/BD/run/99999999999999999999999"}) {
    EXPECT_FALSE(parse_qasphere_run_url(bad, base, project, run, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST_F(ConfigTest, QasRunUrlFillsProjectAndRun) {
  const settings s = load(with(qas_env, {{"QAS_RUN_URL", "https://qas.eu1.qasphere.com/project/BD/run/23"}}));
  EXPECT_TRUE(s.qasphere.enabled) << all_messages(s);
  EXPECT_EQ(s.qasphere.project, "BD");
  EXPECT_EQ(s.qasphere.run_id, std::optional<std::int64_t>(23));

  const settings other_host = load(with(qas_env, {{"QAS_RUN_URL", "https://evil.example.com/project/BD/run/23"}}));
  EXPECT_FALSE(other_host.qasphere.enabled);
  ASSERT_EQ(other_host.errors.size(), 1u);
  EXPECT_NE(other_host.errors[0].find("QAS_RUN_URL="), std::string::npos);
  EXPECT_NE(other_host.errors[0].find("qas.eu1.qasphere.com"), std::string::npos);

  const settings conflict =
      load(with(qas_env, {{"QAS_RUN_URL", "https://qas.eu1.qasphere.com/project/BD/run/23"}, {"QAS_RUN_ID", "24"}}));
  EXPECT_FALSE(conflict.qasphere.enabled);
  ASSERT_EQ(conflict.errors.size(), 1u);
  EXPECT_NE(conflict.errors[0].find("QAS_RUN_ID"), std::string::npos);

  const settings other_project = load(
      with(qas_env, {{"QAS_RUN_URL", "https://qas.eu1.qasphere.com/project/BD/run/23"}, {"QAS_PROJECT_CODE", "XY"}}));
  EXPECT_FALSE(other_project.qasphere.enabled);
}

// ---- common --------------------------------------------------------------------------------

TEST_F(ConfigTest, TermGraceIsSecondsAndNeverLongerThanTheDeadline) {
  EXPECT_EQ(load({}).common.term_grace, std::chrono::milliseconds(5000));
  EXPECT_EQ(load({{"GTEST_TMS_TERM_GRACE", "2"}}).common.term_grace, std::chrono::milliseconds(2000));
  EXPECT_EQ(load({{"GTEST_TMS_TERM_GRACE", "20"}, {"GTEST_TMS_DEADLINE", "3"}}).common.term_grace,
            std::chrono::milliseconds(3000));
  const settings bad = load({{"GTEST_TMS_TERM_GRACE", "soon"}});
  ASSERT_EQ(bad.errors.size(), 1u) << all_messages(bad);
  EXPECT_NE(bad.errors[0].find("GTEST_TMS_TERM_GRACE"), std::string::npos) << bad.errors[0];
  EXPECT_NE(bad.errors[0].find("using the default of 5 s"), std::string::npos) << bad.errors[0];
  EXPECT_EQ(bad.common.term_grace, std::chrono::milliseconds(5000));
}

TEST_F(ConfigTest, CommonSettings) {
  const settings s = load({{"GTEST_TMS_DEADLINE", "5"},
                           {"GTEST_TMS_BATCH_AGE_MS", "250"},
                           {"GTEST_TMS_STRICT", "on"},
                           {"GTEST_TMS_CA_FILE", "/etc/ca.pem"},
                           {"GTEST_TMS_JOURNAL_DIR", "/var/j"}});
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  EXPECT_EQ(s.common.flush_deadline, std::chrono::milliseconds(5000));
  EXPECT_EQ(s.common.batch_age, std::chrono::milliseconds(250));
  EXPECT_TRUE(s.common.strict);
  EXPECT_EQ(s.common.ca_file, "/etc/ca.pem");
  EXPECT_EQ(s.common.journal_dir, "/var/j");
  EXPECT_EQ(load({{"GTEST_TMS_DEADLINE", "0.25"}}).common.flush_deadline, std::chrono::milliseconds(250));
  EXPECT_EQ(load({{"GTEST_TMS_BATCH_AGE_MS", "0"}}).common.batch_age, std::chrono::milliseconds(0));
}

TEST_F(ConfigTest, BadCommonSettingsKeepDefaults) {
  for (const char* bad : {"0", "-1", "abc", "inf", "nan", "1e3", "100000", "0.0001x"}) {
    const settings s = load({{"GTEST_TMS_DEADLINE", bad}});
    EXPECT_EQ(s.common.flush_deadline, std::chrono::milliseconds(30000)) << bad;
    ASSERT_EQ(s.errors.size(), 1u) << bad;
    EXPECT_EQ(s.errors[0].rfind("GTEST_TMS_DEADLINE=", 0), 0u);
    EXPECT_NE(s.errors[0].find("default of 30 s"), std::string::npos) << s.errors[0];
  }
  const settings age = load({{"GTEST_TMS_BATCH_AGE_MS", "-5"}, {"GTEST_TMS_STRICT", "sure"}});
  EXPECT_EQ(age.common.batch_age, std::chrono::milliseconds(450));
  EXPECT_FALSE(age.common.strict);
  EXPECT_EQ(age.errors.size(), 2u) << all_messages(age);
  EXPECT_TRUE(any_message_contains(age, "GTEST_TMS_STRICT=sure"));
}

TEST_F(ConfigTest, ProxyPrecedence) {
  EXPECT_EQ(load({{"HTTPS_PROXY", "http://B:1"}, {"https_proxy", "http://a:1"}, {"ALL_PROXY", "http://d:1"}})
                .common.proxy_url,
            "http://a:1");
  EXPECT_EQ(load({{"HTTPS_PROXY", "http://B:1"}, {"all_proxy", "http://c:1"}}).common.proxy_url, "http://B:1");
  EXPECT_EQ(load({{"all_proxy", "http://c:1"}, {"ALL_PROXY", "http://d:1"}}).common.proxy_url, "http://c:1");
  EXPECT_EQ(load({{"ALL_PROXY", "http://d:1"}}).common.proxy_url, "http://d:1");
  EXPECT_EQ(load({{"https_proxy", ""}, {"HTTPS_PROXY", "http://B:1"}}).common.proxy_url, "http://B:1");
  EXPECT_EQ(load({{"no_proxy", "localhost"}, {"NO_PROXY", "x"}}).common.no_proxy, "localhost");
  EXPECT_EQ(load({{"NO_PROXY", "127.0.0.1,.internal"}}).common.no_proxy, "127.0.0.1,.internal");
  EXPECT_EQ(load({}).common.proxy_url, "");
}

// ---- the shared readers --------------------------------------------------------------------

struct reader_fixture {
  raw_map values;
  std::vector<std::string> problems;
  key_reader reader{values, [this](std::string_view key, std::string problem) {
                      problems.push_back(std::string(key) + ": " + problem);
                    }};
  void set(const std::string& key, const std::string& text) { values[key] = raw_value{text, std::nullopt, key}; }
};

TEST(KeyReader, SecondsAreExactDecimalsRoundedToTheMillisecond) {
  reader_fixture f;
  const std::pair<const char*, std::int64_t> ok[] = {{"30", 30000},          {"0.5", 500},      {".5", 500},
                                                     {"5.", 5000},           {"1.0005", 1001},  {"1.00049", 1000},
                                                     {"0.0001", 1},          {"3600", 3600000}, {"3600.000", 3600000},
                                                     {"3599.9996", 3600000}, {"007.250", 7250}};
  for (const auto& [text, ms] : ok) {
    f.set("T", text);
    EXPECT_EQ(f.reader.read_seconds("T", 3600), std::chrono::milliseconds(ms)) << text;
  }
  EXPECT_TRUE(f.problems.empty());
  for (const char* bad : {"0", "0.000", ".", "3600.0001", "3601", "99999999999999999999", "-1", "+1", "1e3", "1.2.3",
                          "inf", "nan", "1,5", " 1"}) {
    f.set("T", bad);
    EXPECT_EQ(f.reader.read_seconds("T", 3600), std::nullopt) << bad;
  }
  ASSERT_FALSE(f.problems.empty());
  EXPECT_EQ(f.problems[0], "T: T=0 is not a number of seconds (more than 0, at most 3600)");
  EXPECT_EQ(f.reader.read_seconds("UNSET", 3600), std::nullopt);
}

TEST(KeyReader, OneMessageShapePerType) {
  reader_fixture f;
  f.set("B", "maybe");
  f.set("N", "-5");
  f.set("ID", "0");
  f.set("C", "Basic");
  f.set("P", "B-D");
  EXPECT_EQ(f.reader.read_bool("B"), std::nullopt);
  EXPECT_EQ(f.reader.read_int("N", 0, 3'600'000, "milliseconds"), std::nullopt);
  EXPECT_EQ(f.reader.read_id("ID"), std::nullopt);
  EXPECT_EQ(f.reader.read_choice<int>("C", {{"ApiKey", 1}, {"Bearer", 2}}), std::nullopt);
  EXPECT_EQ(f.reader.read_project_code("P", 5), std::nullopt);
  const std::vector<std::string> want = {
      "B: B=maybe is not a boolean (use true/false, yes/no, on/off or 1/0)",
      "N: N=-5 is not a whole number of milliseconds from 0 to 3600000",
      "ID: ID=0 is not a positive whole number",
      "C: C=Basic is not one of ApiKey, Bearer",
      "P: P=B-D is not a project code (2 to 5 letters or digits)",
  };
  EXPECT_EQ(f.problems, want);
  f.set("C", "bEARER");
  EXPECT_EQ(f.reader.read_choice<int>("C", {{"ApiKey", 1}, {"Bearer", 2}}), std::optional<int>(2));
}

// ---- robustness ----------------------------------------------------------------------------

TEST_F(ConfigTest, SecretsNeverAppearInMessages) {
  const std::string qase_secret = "QASESECRET0123456789";
  const std::string qas_secret = "QASSECRET0123456789";
  dir_.write("qase.config.json", R"({"mode": "testops", "testops": {"api": {"token": {"nested": ")" + qase_secret +
                                     R"("}}, "project": "X"}})");
  const env_map env = {{"QASE_TESTOPS_BATCH_SIZE", "nope"},
                       {"QASE_TESTOPS_DEFECT", "maybe"},
                       {"QAS_TOKEN", "a.b." + qas_secret + " withspace"},
                       {"QAS_URL", "http://h"},
                       {"QAS_RUN_URL", "https://x/project/BD/run/1"}};
  const settings s = load(env);
  EXPECT_FALSE(s.any_enabled());
  EXPECT_GE(s.errors.size(), 4u) << all_messages(s);
  EXPECT_FALSE(any_message_contains(s, qase_secret)) << all_messages(s);
  EXPECT_FALSE(any_message_contains(s, qas_secret)) << all_messages(s);
  // A token given as a plain (but bad) value in the file is not shown either.
  dir_.write("qase.config.json", R"({"mode": "testops", "testops": {"api": {"token": "bad token )" + qase_secret +
                                     R"("}, "project": "DEMO"}})");
  const settings t = load({});
  ASSERT_EQ(t.errors.size(), 1u);
  EXPECT_FALSE(any_message_contains(t, qase_secret)) << all_messages(t);
}

TEST_F(ConfigTest, MessagesAreSingleCleanLines) {
  const settings s = load(with(testops_env, {{"QASE_MODE", "x\ny\x1B[2J\xFF"}}));
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].find('\n'), std::string::npos);
  EXPECT_EQ(s.errors[0].find('\x1B'), std::string::npos);
  const settings long_value = load(with(testops_env, {{"QASE_TESTOPS_RUN_ID", std::string(100000, 'x')}}));
  ASSERT_EQ(long_value.errors.size(), 1u);
  EXPECT_LT(long_value.errors[0].size(), 200u);
}

TEST_F(ConfigTest, ThrowingEnvironmentLookupIsTreatedAsUnset) {
  const env_lookup throwing = [](const std::string&) -> std::optional<std::string> {
    throw std::runtime_error("boom");
  };
  const settings s = load_settings(throwing, dir_.str());
  EXPECT_FALSE(s.any_enabled());
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
  const settings none = load_settings(env_lookup{}, dir_.str());
  EXPECT_FALSE(none.any_enabled());
}

TEST_F(ConfigTest, MissingWorkingDirectoryIsHarmless) {
  const settings s = load_settings(env_of(testops_env), (dir_.path() / "does/not/exist").string());
  EXPECT_EQ(s.qase.mode, qase_mode::testops);
  EXPECT_TRUE(s.errors.empty()) << all_messages(s);
}

TEST(ProcessEnv, ReadsTheRealEnvironment) {
  const std::string name = "GTEST_TMS_CONFIG_TEST_VAR_" + std::to_string(::getpid());
  const env_lookup env = process_env();
  EXPECT_EQ(env(name), std::nullopt);
  ASSERT_EQ(::setenv(name.c_str(), "value 1", 1), 0);
  EXPECT_EQ(env(name), std::optional<std::string>("value 1"));
  ::unsetenv(name.c_str());
  EXPECT_EQ(env(name), std::nullopt);
}

}  // namespace
}  // namespace gtest_tms::detail

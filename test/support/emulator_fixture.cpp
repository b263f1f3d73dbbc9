#include <gtest/gtest.h>

#include "emulator_fixture.hpp"

#include <boost/json/serialize.hpp>

#include "emulator/pki.hpp"
#include "str_cat.hpp"

#include <unistd.h>

#include <cstdlib>

namespace gtest_tms::detail::testing_support {

emulator::emulator_options emulator_fixture::with_faults(const std::string& plan) {
  auto o = default_options();
  o.faults = emulator::parse_fault_plan(plan);
  return o;
}

emulator::emulator_options emulator_fixture::default_options() {
  emulator::emulator_options o;
  o.qase_tokens = {qase_test_token};
  o.qasphere_keys = {{qas_test_key, emulator::key_state::active}};
  return o;
}

emulator_fixture::emulator_fixture(emulator::emulator_options options) {
  const pki::key_and_cert ca = pki::make_ca("gtest-tms e2e test CA");
  const pki::key_and_cert leaf = pki::make_leaf(ca, pki::leaf_request{});
  ca_file_ = dir_.path() + "/ca.pem";
  write_file(ca_file_, ca.cert_pem);
  if (options.log_path.empty()) options.log_path = dir_.path() + "/requests.jsonl";
  emulator_ = std::make_unique<emulator::tms_emulator>(std::move(options));
  server_options so;
  so.key_pem = leaf.key_pem;
  so.cert_pem = leaf.cert_pem;
  server_ = start_https_server(so, emulator_->as_handler());
}

emulator_fixture::~emulator_fixture() {
  if (server_) server_->stop();
}

std::string emulator_fixture::url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

std::map<std::string, std::optional<std::string>> emulator_fixture::clean_env() {
  std::map<std::string, std::optional<std::string>> env;
  // Also the CI services' job variables, which QA Sphere results link (CI itself may set them).
  for (const char* v : {"QASE_MODE",
                        "QASE_FALLBACK",
                        "QASE_TESTOPS_API_TOKEN",
                        "QASE_TESTOPS_PROJECT",
                        "QASE_TESTOPS_API_HOST",
                        "QASE_TESTOPS_RUN_ID",
                        "QASE_TESTOPS_RUN_COMPLETE",
                        "QASE_TESTOPS_BATCH_SIZE",
                        "QASE_REPORT_CONNECTION_PATH",
                        "QAS_TOKEN",
                        "QAS_URL",
                        "QAS_MODE",
                        "QAS_RUN_ID",
                        "QAS_PROJECT_CODE",
                        "SSL_CERT_FILE",
                        "SSL_CERT_DIR",
                        "GTEST_TMS_DEADLINE",
                        "GTEST_TMS_CA_FILE",
                        "GTEST_TMS_JOURNAL_DIR",
                        "GTEST_TOTAL_SHARDS",
                        "GTEST_SHARD_INDEX",
                        "https_proxy",
                        "HTTPS_PROXY",
                        "all_proxy",
                        "ALL_PROXY",
                        "no_proxy",
                        "NO_PROXY",
                        "GITHUB_SERVER_URL",
                        "GITHUB_REPOSITORY",
                        "GITHUB_RUN_ID",
                        "GITHUB_RUN_ATTEMPT",
                        "CI_JOB_URL",
                        "BUILD_URL",
                        "CIRCLE_BUILD_URL",
                        "BUILDKITE_BUILD_URL"})
    env[v] = std::nullopt;
  return env;
}

std::map<std::string, std::optional<std::string>> emulator_fixture::qase_env() const {
  auto env = clean_env();
  env["QASE_MODE"] = "testops";
  env["QASE_TESTOPS_API_TOKEN"] = qase_test_token;
  env["QASE_TESTOPS_PROJECT"] = "DEMO";
  env["QASE_TESTOPS_API_HOST"] = url();
  env["SSL_CERT_FILE"] = ca_file_;
  env["QASE_REPORT_CONNECTION_PATH"] = dir() + "/qase-report";
  env["GTEST_TMS_JOURNAL_DIR"] = dir() + "/journal";
  return env;
}

std::map<std::string, std::optional<std::string>> emulator_fixture::qasphere_env() const {
  auto env = clean_env();
  env["QAS_TOKEN"] = qas_test_key;
  env["QAS_URL"] = url();
  env["SSL_CERT_FILE"] = ca_file_;
  env["GTEST_TMS_JOURNAL_DIR"] = dir() + "/journal";
  return env;
}

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> dirs;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const auto colon = path.find(':', pos);
    dirs.push_back(path.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  return dirs;
}

}  // namespace

std::string fixture_path(const std::string& name) { return std::string(GTEST_TMS_FIXTURE_DIR) + "/" + name; }

process_result run_fixture(const std::string& name, std::map<std::string, std::optional<std::string>> env,
                           std::vector<std::string> args, std::chrono::milliseconds timeout) {
  process_options po;
  po.env = std::move(env);
  po.args = std::move(args);
  po.timeout = timeout;
  return run_process(fixture_path(name), po);
}

::testing::AssertionResult requests_match_spec(const emulator_fixture& emu) {
  const std::string spec_dir = std::string(GTEST_TMS_SOURCE_DIR) + "/test/spec";
  std::string node;
  const char* path = std::getenv("PATH");
  for (const auto& dir : split_path(path != nullptr ? path : "/usr/bin")) {
    if (::access((dir + "/node").c_str(), X_OK) == 0) {
      node = dir + "/node";
      break;
    }
  }
  if (node.empty() || ::access((spec_dir + "/node_modules/ajv").c_str(), F_OK) != 0)
    return ::testing::AssertionFailure() << "the spec validator is not installed (node, and npm ci --prefix test/spec)";
  process_options po;
  po.args = {spec_dir + "/validate_requests.mjs", emu.dir() + "/requests.jsonl", "--spec-root", spec_dir + "/qase"};
  po.timeout = std::chrono::seconds(120);
  const process_result r = run_process(node, po);
  if (r.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "requests do not validate against the Qase spec:\n" << r.out << r.err;
}

::testing::AssertionResult no_secret_in(const process_result& r, const std::string& dir) {
  const std::string qas_secret = std::string(qas_test_key).substr(std::string(qas_test_key).rfind('.') + 1);
  for (const std::string& secret : {std::string(qase_test_token), qas_secret}) {
    if (r.out.find(secret) != std::string::npos) return ::testing::AssertionFailure() << "secret in stdout";
    if (r.err.find(secret) != std::string::npos) return ::testing::AssertionFailure() << "secret in stderr";
    for (const auto& f : list_files(dir)) {
      if (read_file(f).find(secret) != std::string::npos)
        return ::testing::AssertionFailure() << "secret in file " << f;
    }
  }
  return ::testing::AssertionSuccess();
}

std::string qase_suite_title(const boost::json::object& result) {
  std::string key;
  if (const auto* rel = result.if_contains("relations")) {
    for (const auto& s : rel->at("suite").at("data").as_array())
      key += str_cat(key.empty() ? "" : "/", s.at("title").as_string());
  }
  return str_cat(key, ".", result.at("title").as_string());
}

std::map<std::string, int> qase_keys(emulator_fixture& emu, std::int64_t run_id) {
  std::map<std::string, int> seen;
  for (const auto& r : emu.tms().qase_results(run_id)) {
    std::string key = qase_suite_title(r);
    if (const auto* p = r.if_contains("params")) key += str_cat("|", boost::json::serialize(*p));
    ++seen[key];
  }
  return seen;
}

}  // namespace gtest_tms::detail::testing_support

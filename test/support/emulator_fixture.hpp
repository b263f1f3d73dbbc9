#pragma once
// The local TMS emulator served over real TLS on 127.0.0.1, with a CA made for this test only,
// plus helpers to run a fixture gtest binary against it.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "emulator/emulator.hpp"
#include "emulator/https_server.hpp"
#include "process.hpp"

namespace gtest_tms::detail::testing_support {

inline constexpr const char* qase_test_token = "qase-e2e-token-5f1c2a9b";
inline constexpr const char* qas_test_key = "tenant1.key1.qas-e2e-secret-77d1";

class emulator_fixture {
 public:
  explicit emulator_fixture(emulator::emulator_options options = default_options());
  ~emulator_fixture();

  static emulator::emulator_options default_options();
  /// default_options() with a fault plan (syntax in tools/emulator/emulator.hpp).
  static emulator::emulator_options with_faults(const std::string& plan);

  std::string url() const;  // https://127.0.0.1:PORT
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_.path(); }
  emulator::tms_emulator& tms() { return *emulator_; }

  /// Environment for a fixture binary reporting to Qase here (token, project DEMO, host, CA).
  std::map<std::string, std::optional<std::string>> qase_env() const;
  /// Environment for a fixture binary reporting to QA Sphere here (key, URL, CA).
  std::map<std::string, std::optional<std::string>> qasphere_env() const;
  /// Removes every reporter variable that the calling environment might carry.
  static std::map<std::string, std::optional<std::string>> clean_env();

 private:
  temp_dir dir_;
  std::string ca_file_;
  std::unique_ptr<emulator::tms_emulator> emulator_;
  std::unique_ptr<https_server> server_;
};

/// Path of a fixture binary built from test/e2e/fixtures/<name>.cpp.
std::string fixture_path(const std::string& name);

/// Runs that fixture with exactly `env` and `args`, bounded by `timeout`.
process_result run_fixture(const std::string& name, std::map<std::string, std::optional<std::string>> env,
                           std::vector<std::string> args = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(180));

/// The Qase requests the emulator recorded validate against the official OpenAPI spec
/// (test/spec/validate_requests.mjs with Node; .ci/install-deps.sh installs its modules).
::testing::AssertionResult requests_match_spec(const emulator_fixture& emu);

/// "suite path.title" of a stored Qase result: titles repeat across suites (Test10 in every suite).
std::string qase_suite_title(const boost::json::object& result);

/// Stored Qase results of a run per "suite path.title|params" key: a finished test stored once has
/// its key once.
std::map<std::string, int> qase_keys(emulator_fixture& emu, std::int64_t run_id);

/// Every byte the run left behind (stdout, stderr, files under dir) contains none of the secrets.
::testing::AssertionResult no_secret_in(const process_result& r, const std::string& dir);

}  // namespace gtest_tms::detail::testing_support

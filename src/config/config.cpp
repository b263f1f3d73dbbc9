// load_settings: the sources (config_sources.hpp) and the three sections (config_sections.hpp).
//
// Policy (one place, so that every backend behaves the same):
// - Empty (or all-blank) values count as unset, so `QASE_X=` in a CI file means "not configured".
// - A backend is validated only when it is switched on (QASE_MODE testops/report; QA Sphere credentials
//   found and QAS_MODE not off); people who do not use a backend never see errors about it.
// - Any invalid value of a switched-on backend is an error line that ends in "...; Qase reporting is off"
//   (or QA Sphere) and switches that backend off. This includes booleans: a misspelt
//   QASE_TESTOPS_RUN_COMPLETE must not silently complete (or leave open) a run shared by shards.
// - QASE_MODE=testops without token or project is an error and Qase reporting is off, even with
//   QASE_FALLBACK=report: the fallback is for a TestOps that fails at run time, not for a
//   configuration that never worked (the simplest correct reading of the official reporters).
// - QASE_FALLBACK and QASE_REPORT_CONNECTION_PATH also apply to a QA Sphere-only run (the local
//   report and journal are shared by both systems); a bad value there turns only the fallback off.
// - QASE_MODE=testops_multi (JS/Python: several projects) is treated as testops with a warning.
// - qase.config.json that cannot be read or parsed, or has a JSON type that cannot be a setting
//   (an object where a string belongs): one error line starting "qase.config.json: ", the bad part is
//   ignored and the environment still applies. Scalars are accepted in any JSON type ("200" or 200)
//   and then validated like the environment's strings.
// - Common settings (GTEST_TMS_*) with a bad value: an error line, the default is kept.
// - Messages are full sentences naming the variable; values of tokens and keys are never shown, and
//   other values are shown cleaned and shortened.
// - Booleans, numbers, durations and project codes are read by the same readers everywhere
//   (config_readers.hpp), so they are spelt and refused the same way in every section.

#include "config/config.hpp"

#include <exception>

#include "config/config_sections.hpp"
#include "config/config_sources.hpp"

namespace gtest_tms::detail {

settings load_settings(const env_lookup& plain_env, const std::string& cwd) {
  settings out;
  try {
    const env_lookup env = with_run_file(plain_env, out.warnings);
    read_qase_section(env, cwd, out);
    read_qasphere_section(env, cwd, out);
    if (!out.qase_enabled() && out.qasphere.enabled) read_qase_storage_keys(env, cwd, out);
    read_common_section(env, cwd, out);
  } catch (const std::exception& e) {
    out.qase = qase_settings{};
    out.qasphere = qasphere_settings{};
    out.errors.push_back(std::string("the reporter configuration could not be loaded (") + e.what() +
                         "); reporting is off");
  } catch (...) {
    out.qase = qase_settings{};
    out.qasphere = qasphere_settings{};
    out.errors.push_back("the reporter configuration could not be loaded; reporting is off");
  }
  return out;
}

}  // namespace gtest_tms::detail

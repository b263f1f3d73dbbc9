#include "config/system_settings.hpp"

namespace gtest_tms::detail {

bool configured(const settings& s, tms system) {
  switch (system) {
    case tms::qase:
      return s.qase.mode == qase_mode::testops && !s.qase.token.empty() && !s.qase.project.empty();
    case tms::qasphere:
      return s.qasphere.enabled;
  }
  return false;
}

const std::optional<std::int64_t>& run_id_setting(const settings& s, tms system) {
  return system == tms::qase ? s.qase.run_id : s.qasphere.run_id;
}

std::optional<std::int64_t>& run_id_setting(settings& s, tms system) {
  return system == tms::qase ? s.qase.run_id : s.qasphere.run_id;
}

std::optional<bool>& finish_run_setting(settings& s, tms system) {
  return system == tms::qase ? s.qase.run_complete : s.qasphere.close_run;
}

}  // namespace gtest_tms::detail

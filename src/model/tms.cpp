#include "model/tms.hpp"

namespace gtest_tms::detail {

namespace {

constexpr std::array<tms_traits, all_tms.size()> table{{
    {"qase", "Qase", "QASE_TESTOPS_RUN_ID", "set QASE_MODE=testops, QASE_TESTOPS_API_TOKEN and QASE_TESTOPS_PROJECT",
     "complete"},
    {"qasphere", "QA Sphere", "QAS_RUN_ID", "set QAS_TOKEN and QAS_URL", "close"},
}};

}  // namespace

const tms_traits& traits(tms system) noexcept { return table[static_cast<std::size_t>(system)]; }

std::optional<tms> tms_from_tag(std::string_view t) noexcept {
  for (const tms s : all_tms) {
    if (traits(s).tag == t) return s;
  }
  return std::nullopt;
}

}  // namespace gtest_tms::detail

#pragma once
// The test management systems a result can go to, as a type. Everything that differs between them
// by name only (tags on disk, display names, the variables that carry a run id, the words for
// finishing a run) is in one table; a third system is one more row here plus its tms/ folder.

#include <array>
#include <optional>
#include <string_view>

namespace gtest_tms::detail {

enum class tms { qase, qasphere };

inline constexpr std::array<tms, 2> all_tms{tms::qase, tms::qasphere};

struct tms_traits {
  std::string_view tag;               // in journals and report metadata: "qase", "qasphere"
  std::string_view display_name;      // in every line a user reads: "Qase", "QA Sphere"
  std::string_view run_id_variable;   // joins a run: QASE_TESTOPS_RUN_ID, QAS_RUN_ID
  std::string_view how_to_configure;  // the settings that switch it on
  std::string_view finish_verb;       // what ending a run is called: "complete", "close"
};

const tms_traits& traits(tms system) noexcept;
inline std::string_view tag(tms system) noexcept { return traits(system).tag; }
inline std::string_view display_name(tms system) noexcept { return traits(system).display_name; }

/// The system a tag on disk names; nullopt for a tag this version does not know.
std::optional<tms> tms_from_tag(std::string_view tag) noexcept;

}  // namespace gtest_tms::detail

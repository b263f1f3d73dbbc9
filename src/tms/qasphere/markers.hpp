#pragma once
// QA Sphere test-case markers in GoogleTest names, following the official CLI's rules for JUnit
// names (qas-cli MarkerParser, `junit-upload`), so a name that works with
// `--gtest_output=xml` + `qasphere junit-upload` works here too, and vice versa:
//
//   hyphenated      BD-001 anywhere, code 1-5 alphanumerics not glued to a preceding letter/digit,
//                   all digits taken (BD-001 never matches inside BD-0012x's "BD-001")
//   (the hyphen-free forms need a name starting with "test", any case, and a letters-only code)
//   underscores     test_bd002_logout, test_login_bd1312    (?:^|_)CODE(\d{3,})(?:$|_)
//   CamelCase start TestBd001Login, TestBd001               ^test CODE(\d{3,})(?=[A-Z]|$)
//   CamelCase end   TestLoginBd1312                         (?<=[a-z])CODE(\d{3,})$
//
// Each form is tried at the start of the name, then at its end, then anywhere (as the CLI does).
// The code matches case-insensitively; markers carry it upper-case. At least 3 digits; leading
// zeros allowed (BD-0023 is seq 23).
//
// Only gtest's name() is matched, like the CLI matches only the JUnit `name` attribute (never the
// suite / classname). A parameterized instance's "/N" (or "/custom_name") suffix is dropped first,
// and so is a "DISABLED_" prefix (a deviation from the CLI, whose XML would carry the prefix:
// DISABLED_TestBd001Login clearly means BD-001).
//
// Without a project code the code is detected from the name, as the CLI does ("not fully
// reliable"): e.g. "TestBdx001" yields BDX-001, and "test001" yields TEST-001 (the underscore form
// anchored at the start). Callers should configure the code, or re-extract every name with the
// code detected from the first marker (the CLI does that).

#include <optional>
#include <string>
#include <string_view>

namespace gtest_tms::detail {

struct marker {
  std::string project;  // upper-case project code, e.g. "BD"
  int seq = 0;          // the case's sequence number (>= 0)

  /// "BD-001": the code, "-", the seq zero-padded to at least 3 digits (the /tcase/seq form).
  std::string text() const;
  bool operator==(const marker&) const = default;
};

/// The marker in a gtest test name, or nullopt. `project_code` empty: detect the code from the
/// name. Never throws; any byte sequence is accepted.
std::optional<marker> extract_marker(std::string_view test_name, std::string_view project_code);

/// gtest name() without the parameterized "/N" suffix and the "DISABLED_" prefix.
std::string_view marker_subject(std::string_view test_name) noexcept;

}  // namespace gtest_tms::detail

#include "tms/qasphere/markers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace gtest_tms::detail {
namespace {

struct marker_case {
  std::string_view name;
  std::string_view code;      // configured project code, "" = detect
  std::string_view expected;  // marker text, "" = no marker
};

std::string show(const std::optional<marker>& m) { return m ? m->text() : std::string("(none)"); }

void check_table(const marker_case* begin, const marker_case* end) {
  for (const marker_case* c = begin; c != end; ++c) {
    const auto m = extract_marker(c->name, c->code);
    const std::string want = c->expected.empty() ? "(none)" : std::string(c->expected);
    EXPECT_EQ(show(m), want) << "name '" << c->name << "', code '" << c->code << "'";
  }
}

TEST(MarkerText, PadsToThreeDigits) {
  EXPECT_EQ((marker{"BD", 1}.text()), "BD-001");
  EXPECT_EQ((marker{"BD", 23}.text()), "BD-023");
  EXPECT_EQ((marker{"BD", 1312}.text()), "BD-1312");
  EXPECT_EQ((marker{"QS", 0}.text()), "QS-000");
}

TEST(ExtractMarker, PositivesWithConfiguredCode) {
  static const marker_case cases[] = {
      {"test_bd002_logout", "BD", "BD-002"},
      {"test_login_bd1312", "BD", "BD-1312"},
      {"TEST_BD002_LOGOUT", "BD", "BD-002"},
      {"test_bd002_logout", "bd", "BD-002"},
      {"TestBd001Login", "BD", "BD-001"},
      {"testbd001Login", "BD", "BD-001"},
      {"TestBD001", "BD", "BD-001"},
      {"TestLoginBd1312", "BD", "BD-1312"},
      {"TestLoginbd1312", "BD", "BD-1312"},
      {"TestBd0023Parse", "BD", "BD-023"},  // leading zeros: seq 23
      {"TestBd003Parse/1", "BD", "BD-003"},
      {"TestBd003Parse/with_name", "BD", "BD-003"},
      {"DISABLED_TestBd004Later", "BD", "BD-004"},
      {"test_x_bd005_y_bd006_z", "BD", "BD-005"},  // leftmost when neither at start nor at end
      {"test_x_bd005_y_bd006", "BD", "BD-006"},    // at the end wins over anywhere
      {"test_bd007_x_bd008", "BD", "BD-008"},      // at the end wins over anywhere
      // Hyphenated, when a name carries one (not possible in C++ identifiers, but in a string).
      {"BD-001", "BD", "BD-001"},
      {"login BD-017 works", "BD", "BD-017"},
      {"bd-017", "BD", "BD-017"},
      {"QS1-104", "QS1", "QS1-104"},
      {"x QS1-104 y QS1-105", "QS1", "QS1-105"},  // at the end wins
      {"BD-001_Login", "BD", "BD-001"},
  };
  check_table(std::begin(cases), std::end(cases));
}

TEST(ExtractMarker, NearMissesWithConfiguredCode) {
  static const marker_case cases[] = {
      {"TestBd01X", "BD", ""},  // two digits
      {"TestBd01", "BD", ""},
      {"BD0012_Login", "BD", ""},  // does not start with "test"
      {"Bd001Login", "BD", ""},
      {"LoginBd1312", "BD", ""},
      {"TestBd0012x", "BD", ""},  // after the digits: neither upper case nor the end
      {"test_bd002x_logout", "BD", ""},
      {"test_bd002logout", "BD", ""},
      {"TestQs001Login", "BD", ""},  // another project's code
      {"test_qs001_login", "BD", ""},
      {"TestBdx001", "BD", ""},
      {"TestXbd001Login", "BD", ""},
      {"test_xbd002_logout", "BD", ""},
      {"TestLOGINBD1312", "BD", ""},  // camel end needs a lower-case letter before the code
      {"TestLogin_Bd1312x", "BD", ""},
      {"testBd1312Login", "B", ""},   // the code must be the whole letter run
      {"TestBd001Login", "BD1", ""},  // codes with digits: hyphenated form only
      {"test_bd1_002", "BD1", ""},
      {"BD-01", "BD", ""},
      {"XBD-001", "BD", ""},              // glued to a preceding letter
      {"QS1-10427", "QS1", "QS1-10427"},  // sanity: the whole number, never a prefix of it
      {"QS1-104x", "QS1", "QS1-104"},
      {"", "BD", ""},
      {"test", "BD", ""},
      {"TestBd", "BD", ""},
      {"Test/Bd001", "BD", ""},        // the part after '/' is the parameter, not the name
      {"TestBd9999999999", "BD", ""},  // does not fit: not a marker
  };
  check_table(std::begin(cases), std::end(cases));
}

TEST(ExtractMarker, DetectsTheCodeWhenNotConfigured) {
  static const marker_case cases[] = {
      {"test_bd002_logout", "", "BD-002"},
      {"test_login_prj1312", "", "PRJ-1312"},
      {"TestBd001Login", "", "BD-001"},
      {"TestLoginBd1312", "", "BD-1312"},
      {"TestBdx001", "", "BDX-001"},     // the CLI's rule: the whole letter run is the code
      {"test_login_abcdef123", "", ""},  // six letters: not a code
      {"TestAbcdef123Login", "", ""},
      {"TestLoginWithValidCredentialsPrj1312", "", "PRJ-1312"},
      {"TestLoginXBd1312", "", "XBD-1312"},  // leftmost upper-case start after a lower-case letter
      {"TestLOGIN1312", "", "LOGIN-1312"},   // camel start takes the whole letter run (CLI rule)
      {"Test_LOGINS1312", "", ""},           // no lower-case letter before an upper-case start
      {"BD-001", "", "BD-001"},
      {"foo QS1-104", "", "QS1-104"},
      {"abcdef-001", "", ""},
      {"TestBd01Login", "", ""},
      {"Bd001Login", "", ""},
      {"TestQs001Login/3", "", "QS-001"},
  };
  check_table(std::begin(cases), std::end(cases));
}

TEST(MarkerSubject, StripsParamSuffixAndDisabledPrefix) {
  EXPECT_EQ(marker_subject("TestBd003Parse/1"), "TestBd003Parse");
  EXPECT_EQ(marker_subject("DISABLED_TestBd003Parse/1"), "TestBd003Parse");
  EXPECT_EQ(marker_subject("Plain"), "Plain");
  EXPECT_EQ(marker_subject(""), "");
}

// Fuzz-style: random bytes drawn from an alphabet that hits every branch must never crash
// (run under ASan/UBSan in the sanitizer build), and a found marker must be consistent.
TEST(ExtractMarker, ArbitraryBytesAreSafe) {
  static const char alphabet[] = "tTeEsSbBdDqQ_-/0123456789xX\0\xff\xc3";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> len_dist(0, 24);
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  int found = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const std::size_t len = len_dist(rng);
    for (std::size_t i = 0; i < len; ++i) s.push_back(alphabet[pick(rng)]);
    if (round % 3 == 0) s.insert(0, "test");
    for (std::string_view code : {std::string_view(), std::string_view("BD"), std::string_view("Q1")}) {
      const auto m = extract_marker(s, code);
      if (!m) continue;
      ++found;
      EXPECT_GE(m->seq, 0);
      EXPECT_FALSE(m->project.empty());
      EXPECT_LE(m->project.size(), 5u) << s;
      if (!code.empty()) {
        EXPECT_EQ(m->project, code) << s;
      }
    }
  }
  EXPECT_GT(found, 0);  // the alphabet does produce markers, so the loop exercised the match paths
}

}  // namespace
}  // namespace gtest_tms::detail

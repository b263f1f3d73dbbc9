// Unit tests for src/util/text.*: hostile bytes in, well-formed text out.

#include "util/text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace gtest_tms::detail {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

// True when `s` is well-formed UTF-8 (checked independently of sanitize_utf8, via the decoder rules).
bool is_valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

TEST(SanitizeUtf8, ValidTextIsUnchanged) {
  const std::string s = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80, \xF4\x8F\xBF\xBF, nul:";
  std::string with_nul = s + std::string(1, '\0') + "end";
  EXPECT_EQ(sanitize_utf8(s), s);
  EXPECT_EQ(sanitize_utf8(with_nul), with_nul);
  EXPECT_EQ(sanitize_utf8(""), "");
}

TEST(SanitizeUtf8, StrayAndTruncatedSequences) {
  EXPECT_EQ(sanitize_utf8("a\x80z"), "a" + fffd + "z");
  EXPECT_EQ(sanitize_utf8("\xBF\xBF"), fffd + fffd);
  EXPECT_EQ(sanitize_utf8("x\xC3"), "x" + fffd);  // truncated at the end
  EXPECT_EQ(sanitize_utf8("\xE2\x82"), fffd);     // one maximal subpart -> one U+FFFD
  EXPECT_EQ(sanitize_utf8("\xE2\x82z"), fffd + "z");
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), fffd);
  EXPECT_EQ(sanitize_utf8("\xC3("), fffd + "(");
  EXPECT_EQ(sanitize_utf8("\xFF\xFE"), fffd + fffd);
  EXPECT_EQ(sanitize_utf8("\xF5\x80\x80\x80"), fffd + fffd + fffd + fffd);
}

TEST(SanitizeUtf8, OverlongsSurrogatesAndOutOfRange) {
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), fffd + fffd);  // overlong '/'
  EXPECT_EQ(sanitize_utf8("\xC1\xBF"), fffd + fffd);
  EXPECT_EQ(sanitize_utf8("\xE0\x80\xAF"), fffd + fffd + fffd);  // overlong 3-byte
  EXPECT_EQ(sanitize_utf8("\xF0\x80\x80\xAF"), fffd + fffd + fffd + fffd);
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), fffd + fffd + fffd);             // U+D800 surrogate
  EXPECT_EQ(sanitize_utf8("\xED\xBF\xBF"), fffd + fffd + fffd);             // U+DFFF
  EXPECT_EQ(sanitize_utf8("\xED\x9F\xBF"), "\xED\x9F\xBF");                 // U+D7FF is fine
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);  // > U+10FFFF
}

TEST(SanitizeUtf8, RandomBytesAlwaysComeOutValid) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<std::size_t>(rng() % 64), '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    const std::string out = sanitize_utf8(s);
    ASSERT_TRUE(is_valid_utf8(out)) << "round " << round;
    ASSERT_EQ(sanitize_utf8(out), out) << "not idempotent in round " << round;
  }
}

TEST(StripAnsi, RemovesColoursAndCursorMovement) {
  EXPECT_EQ(strip_ansi("\x1B[31mred\x1B[0m plain"), "red plain");
  EXPECT_EQ(strip_ansi("\x1B[1;32;40mX\x1B[K\x1B[2J\x1B[?25l"), "X");
  EXPECT_EQ(strip_ansi("[  PASSED  ] 3 tests"), "[  PASSED  ] 3 tests");  // no ESC: unchanged
}

TEST(StripAnsi, RemovesOscHyperlinksAndTitles) {
  EXPECT_EQ(strip_ansi("\x1B]0;title\x07"
                       "after"),
            "after");
  EXPECT_EQ(strip_ansi("\x1B]8;;https://x.test\x1B\\link\x1B]8;;\x1B\\ done"), "link done");
  EXPECT_EQ(strip_ansi("\x1BPdcs data\x1B\\ok"), "ok");
}

TEST(StripAnsi, UnterminatedSequencesDoNotSwallowTheLog) {
  EXPECT_EQ(strip_ansi("a\x1B]0;never ends\nnext line"), "a\nnext line");
  EXPECT_EQ(strip_ansi("tail\x1B"), "tail");
  EXPECT_EQ(strip_ansi("tail\x1B["), "tail");
  EXPECT_EQ(strip_ansi("x\x1B[12"), "x");
  EXPECT_EQ(strip_ansi("\x1B(Bcharset"), "charset");
  EXPECT_EQ(strip_ansi("\x1B"
                       "7saved"),
            "saved");
}

TEST(StripAnsi, KeepsUtf8AndOtherBytes) {
  const std::string s = "caf\xC3\xA9 \xF0\x9F\x98\x80\ttab\r\n";
  EXPECT_EQ(strip_ansi(s), s);
  EXPECT_EQ(strip_ansi("\x1B\xC3\xA9"), "\xC3\xA9");  // ESC before a non-ASCII byte: only ESC goes
}

TEST(TruncateUtf8, ShortInputIsUnchanged) {
  EXPECT_EQ(truncate_utf8("hello", 5), "hello");
  EXPECT_EQ(truncate_utf8("", 0), "");
}

TEST(TruncateUtf8, ResultFitsAndEndsWithMarker) {
  const std::string marker = "\xE2\x80\xA6 [truncated]";
  const std::string in(100, 'a');
  const std::string out = truncate_utf8(in, 40);
  EXPECT_EQ(out.size(), 40u);
  EXPECT_EQ(out, std::string(40 - marker.size(), 'a') + marker);
  EXPECT_EQ(truncate_utf8(in, 10, "..."), "aaaaaaa...");
}

TEST(TruncateUtf8, NeverCutsACodePoint) {
  const std::string euro = "\xE2\x82\xAC";  // 3 bytes
  std::string in;
  for (int i = 0; i < 20; ++i) in += euro;
  for (std::size_t max = 0; max < in.size(); ++max) {
    const std::string out = truncate_utf8(in, max, "~");
    EXPECT_LE(out.size(), max) << max;
    EXPECT_TRUE(is_valid_utf8(out)) << max;
    if (max >= 4) {
      EXPECT_EQ(out.back(), '~') << max;
    }
  }
}

TEST(TruncateUtf8, MarkerLargerThanLimitGivesBarePrefix) {
  EXPECT_EQ(truncate_utf8("abcdefgh", 3, "[truncated]"), "abc");
  EXPECT_EQ(truncate_utf8("abcdefgh", 0), "");
}

TEST(HtmlEscape, EscapesTheFiveCharacters) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain \xC3\xA9"), "plain \xC3\xA9");
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");  // not idempotent on purpose: escapes once per call
}

TEST(CleanText, StripsSanitizesAndTruncates) {
  const std::string in = "\x1B[31mFAIL\x1B[0m \xFF value " + std::string(200, 'x');
  const std::string out = clean_text(in, 50);
  EXPECT_LE(out.size(), 50u);
  EXPECT_EQ(out.rfind("FAIL " + fffd + " value ", 0), 0u) << out;
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_NE(out.find("[truncated]"), std::string::npos);
  EXPECT_EQ(clean_text("ok", 50), "ok");
}

TEST(CleanText, ControlBytesAreRemovedButLineBreaksStay) {
  // (split literals: a hex escape would swallow the letter after it)
  EXPECT_EQ(clean_text(std::string("a\x01"
                                   "b\x07"
                                   "c\x08"
                                   "d\x7f"
                                   "\0"
                                   "e",
                                   10),
                       100),
            "abcde");
  EXPECT_EQ(clean_text("line 1\n\tline 2\r\n", 100), "line 1\n\tline 2\r\n");
}

TEST(CleanText, HugeHostileInputStaysBounded) {
  std::string in;
  for (int i = 0; i < 100000; ++i) in += "\x1B[1m\xED\xA0\x80\xC0";
  const std::string out = clean_text(in, 1000);
  EXPECT_LE(out.size(), 1000u);
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(out.find('\x1B'), std::string::npos);
}

TEST(Trim, RemovesAsciiWhitespaceOnly) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\xC2\xA0x"), "\xC2\xA0x");  // NBSP is not ASCII whitespace
}

TEST(SplitList, TrimsAndDropsEmpties) {
  EXPECT_EQ(split_list(" a, ,b ,", ','), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_list("nightly", ','), (std::vector<std::string>{"nightly"}));
  EXPECT_TRUE(split_list("", ',').empty());
  EXPECT_TRUE(split_list(",,, ,", ',').empty());
  EXPECT_EQ(split_list("x;y z;;", ';'), (std::vector<std::string>{"x", "y z"}));
}

TEST(Join, PutsTheSeparatorBetweenEveryPairOfItems) {
  EXPECT_EQ(join({"a", "b", "c"}, ','), "a,b,c");
  EXPECT_EQ(join({"only"}, '\t'), "only");
  EXPECT_EQ(join({}, ','), "");
  // An empty level keeps its place: a suite path "" > "b" is not "b".
  EXPECT_EQ(join({"", "b"}, '\t'), "\tb");
  EXPECT_EQ(join({"a", "", "c"}, ','), "a,,c");
}

TEST(MaskSecret, ShowsOnlyTheEnds) {
  EXPECT_EQ(mask_secret("abcdefghijklmnop"), "abc****mnop");
  EXPECT_EQ(mask_secret("12345678"), "123****5678");
  const std::string masked = mask_secret("t123.ak456.abc789xyz");
  EXPECT_EQ(masked.find("abc789"), std::string::npos);
  EXPECT_EQ(masked, "t12****9xyz");
}

TEST(MaskSecret, ShortOrOddSecretsAreFullyMasked) {
  EXPECT_EQ(mask_secret(""), "****");
  EXPECT_EQ(mask_secret("1234567"), "****");
  EXPECT_EQ(mask_secret("secret with space"), "****");
  EXPECT_EQ(mask_secret("abc\xC3\xA9"
                        "defghij"),
            "****");
}

TEST(CaseHelpers, IequalsAndToLower) {
  EXPECT_TRUE(iequals("ApiKey", "APIKEY"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Bearer", "Bearer "));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("\xC3\xA9", "\xC3\x89"));  // only ASCII folds
  EXPECT_EQ(to_lower("TestOps_MULTI-1"), "testops_multi-1");
  EXPECT_EQ(to_lower("\xC3\x89"), "\xC3\x89");
}

TEST(ParseInt, DecimalIntegersWithAnOptionalSign) {
  EXPECT_EQ(parse_int("0", 0, 10), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse_int("007", 0, 10), std::optional<std::int64_t>(7));
  EXPECT_EQ(parse_int("+5", 0, 10), std::optional<std::int64_t>(5));
  EXPECT_EQ(parse_int("-5", -10, 10), std::optional<std::int64_t>(-5));
  EXPECT_EQ(parse_int("-0", 0, 10), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse_int("9223372036854775807", 0, INT64_MAX), std::optional<std::int64_t>(INT64_MAX));
  EXPECT_EQ(parse_int("-9223372036854775808", INT64_MIN, 0), std::optional<std::int64_t>(INT64_MIN));
}

TEST(ParseInt, EverythingElseIsNotAnInteger) {
  for (const char* bad :
       {"", "+", "-", "+-1", "--1", "-+1", " 1", "1 ", "1.0", "1e3", "0x10", "abc", "12abc", "1,000", "\xD9\xA1"}) {
    parse_int_error why = parse_int_error::above_range;
    EXPECT_EQ(parse_int(bad, INT64_MIN, INT64_MAX, &why), std::nullopt) << '"' << bad << '"';
    EXPECT_EQ(why, parse_int_error::not_an_integer) << '"' << bad << '"';
  }
  EXPECT_EQ(parse_int(std::string("1\0", 2), 0, 10), std::nullopt);
}

TEST(ParseInt, OutOfRangeSaysWhichSideEvenBeyondInt64) {
  parse_int_error why = parse_int_error::not_an_integer;
  EXPECT_EQ(parse_int("0", 1, 200, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::below_range);
  EXPECT_EQ(parse_int("201", 1, 200, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::above_range);
  EXPECT_EQ(parse_int("99999999999999999999999999", 1, 200, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::above_range);
  EXPECT_EQ(parse_int("+99999999999999999999999999", 1, 200, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::above_range);
  EXPECT_EQ(parse_int("-99999999999999999999999999", 1, 200, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::below_range);
  EXPECT_EQ(parse_int(std::string(10000, '9'), 0, 10, &why), std::nullopt);
  EXPECT_EQ(why, parse_int_error::above_range);
}

TEST(ParsePort, OneTo65535AsDigitsOnly) {
  EXPECT_EQ(parse_port("1"), std::optional<std::uint16_t>(1));
  EXPECT_EQ(parse_port("443"), std::optional<std::uint16_t>(443));
  EXPECT_EQ(parse_port("00080"), std::optional<std::uint16_t>(80));
  EXPECT_EQ(parse_port("65535"), std::optional<std::uint16_t>(65535));
  for (const char* bad : {"", "0", "00000", "65536", "99999", "000080", "+80", "-1", "8o", " 80", "80 "})
    EXPECT_EQ(parse_port(bad), std::nullopt) << '"' << bad << '"';
}

}  // namespace
}  // namespace gtest_tms::detail

// Unit tests for src/util/uuid.*, time_format.*, retry_after.*.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "delivery/retry_after.hpp"
#include "util/time_format.hpp"
#include "util/uuid.hpp"

namespace gtest_tms::detail {
namespace {

using std::chrono::milliseconds;

// Sun, 06 Nov 1994 08:49:37 GMT (the RFC 9110 example date).
constexpr std::int64_t rfc_example_ms = 784111777000;
constexpr std::int64_t min_ms = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t max_ms = std::numeric_limits<std::int64_t>::max();

// ---- uuid --------------------------------------------------------------------------------

// The 16-byte form a backlog keeps (pipeline): make_uuid()'s text comes back byte for byte, any
// other spelling is refused rather than changed.
TEST(ParseUuid, RoundTripsMakeUuidsTextAndRefusesOtherSpellings) {
  for (int i = 0; i < 200; ++i) {
    const std::string u = make_uuid();
    uuid_bytes b{};
    ASSERT_TRUE(parse_uuid(u, b)) << u;
    EXPECT_EQ(uuid_text(b), u);
  }
  uuid_bytes b{};
  ASSERT_TRUE(parse_uuid("00112233-4455-6677-8899-aabbccddeeff", b));
  EXPECT_EQ(b[0], 0x00);
  EXPECT_EQ(b[15], 0xff);
  for (const char* bad : {"00112233-4455-6677-8899-AABBCCDDEEFF", "00112233445566778899aabbccddeeff",
                          "00112233-4455-6677-8899-aabbccddeef", "00112233-4455-6677-8899_aabbccddeeff",
                          "g0112233-4455-6677-8899-aabbccddeeff", ""})
    EXPECT_FALSE(parse_uuid(bad, b)) << bad;
}

TEST(MakeUuid, IsLowerCaseVersion4) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 200; ++i) {
    const std::string u = make_uuid();
    ASSERT_TRUE(std::regex_match(u, shape)) << u;
  }
}

TEST(MakeUuid, AForkedChildDoesNotRepeatItsParentsSequence) {
  (void)make_uuid();  // the parent's generator exists before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string child = make_uuid();
    const auto n = ::write(fds[1], child.data(), child.size());
    ::_exit(n == static_cast<ssize_t>(child.size()) ? 0 : 1);
  }
  const std::string parent = make_uuid();
  char buf[64] = {};
  const auto n = ::read(fds[0], buf, sizeof buf);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_EQ(n, 36);
  EXPECT_NE(std::string(buf, 36), parent);
}

TEST(MakeUuid, UniqueAcrossThreads) {
  constexpr int threads = 4, per_thread = 2000;
  std::vector<std::vector<std::string>> got(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&got, t] {
      for (int i = 0; i < per_thread; ++i) got[static_cast<std::size_t>(t)].push_back(make_uuid());
    });
  }
  for (auto& th : pool) th.join();
  std::set<std::string> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
}

// ---- time formatting ---------------------------------------------------------------------

TEST(QaseDatetime, KnownInstants) {
  EXPECT_EQ(qase_datetime_utc(0), "1970-01-01 00:00:00");
  EXPECT_EQ(qase_datetime_utc(rfc_example_ms), "1994-11-06 08:49:37");
  EXPECT_EQ(qase_datetime_utc(rfc_example_ms + 999), "1994-11-06 08:49:37");  // milliseconds dropped
  EXPECT_EQ(qase_datetime_utc(951825600000), "2000-02-29 12:00:00");          // leap day in a /400 year
  EXPECT_EQ(qase_datetime_utc(4102444799000), "2099-12-31 23:59:59");
  EXPECT_EQ(qase_datetime_utc(-1), "1969-12-31 23:59:59");
  EXPECT_EQ(qase_datetime_utc(-86400000LL * 365), "1969-01-01 00:00:00");
}

TEST(Iso8601, KnownInstants) {
  EXPECT_EQ(iso8601_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(1500), "1970-01-01T00:00:01.500Z");
  EXPECT_EQ(iso8601_utc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601_utc(1709208000123), "2024-02-29T12:00:00.123Z");
}

TEST(CivilTime, AgreesWithGmtimeOverWideRange) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> dist(-12'000'000'000'000LL, 12'000'000'000'000LL);  // ~1590..2350
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t ms = dist(rng);
    const civil_time c = to_civil(ms);
    std::int64_t secs = ms / 1000;
    if (ms % 1000 < 0) --secs;
    const std::time_t tt = static_cast<std::time_t>(secs);
    std::tm tm{};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    ASSERT_EQ(c.year, tm.tm_year + 1900LL) << ms;
    ASSERT_EQ(c.month, tm.tm_mon + 1) << ms;
    ASSERT_EQ(c.day, tm.tm_mday) << ms;
    ASSERT_EQ(c.hour, tm.tm_hour) << ms;
    ASSERT_EQ(c.minute, tm.tm_min) << ms;
    ASSERT_EQ(c.second, tm.tm_sec) << ms;
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), (secs - (secs % 86400 + 86400) % 86400) / 86400) << ms;
  }
}

TEST(CivilTime, ExtremeInputsStayInRange) {
  for (const std::int64_t ms : {min_ms, min_ms + 1, max_ms, max_ms - 1, std::int64_t{-1}}) {
    const civil_time c = to_civil(ms);
    EXPECT_GE(c.month, 1);
    EXPECT_LE(c.month, 12);
    EXPECT_GE(c.day, 1);
    EXPECT_LE(c.day, 31);
    EXPECT_GE(c.hour, 0);
    EXPECT_LE(c.hour, 23);
    EXPECT_GE(c.millisecond, 0);
    EXPECT_LE(c.millisecond, 999);
    EXPECT_FALSE(qase_datetime_utc(ms).empty());
    EXPECT_FALSE(iso8601_utc(ms).empty());
  }
  EXPECT_EQ(to_civil(max_ms).year, 292278994);  // int64 milliseconds end in the year 292278994
  EXPECT_EQ(to_civil(min_ms).year, -292275055);
}

TEST(CivilTime, RoundTripsFarOutsideChronosYearRange) {
  // std::chrono::year stops at +-32767; the 400-year era shift must make that invisible.
  for (const std::int64_t y :
       {-292275054LL, -100000LL, -32768LL, -401LL, -1LL, 0LL, 1600LL, 2400LL, 32768LL, 100000LL, 292278993LL}) {
    for (const auto& [m, d] : {std::pair{1, 1}, std::pair{2, 28}, std::pair{3, 1}, std::pair{12, 31}}) {
      const std::int64_t days = days_from_civil(y, m, d);
      const civil_time c = to_civil(days * 86'400'000);
      EXPECT_EQ(c.year, y);
      EXPECT_EQ(c.month, m) << y;
      EXPECT_EQ(c.day, d) << y;
      EXPECT_EQ(days_from_civil(y, m, d + 1), days + 1) << y;
    }
  }
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);  // 2000 is a leap year
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // 1900 is not
  EXPECT_EQ(days_from_civil(2024, 2, 30), days_from_civil(2024, 3, 1));      // a day past the end counts on
}

TEST(NowEpochMs, IsTheSystemClock) {
  using namespace std::chrono;
  const auto before = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const auto now = now_epoch_ms();
  const auto after = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(RunTitle, DefaultTemplateMatchesTheCli) {
  EXPECT_EQ(format_run_title("", rfc_example_ms), "Automated test run - Nov 06, 1994, 08:49:37 AM");
  EXPECT_EQ(format_run_title("", 1709229600000), "Automated test run - Feb 29, 2024, 06:00:00 PM");  // 18:00 UTC
}

TEST(RunTitle, AllPlaceholders) {
  EXPECT_EQ(format_run_title("{YYYY}|{YY}|{MMM}|{MM}|{DD}|{HH}|{hh}|{mm}|{ss}|{AMPM}", 1709229605000),
            "2024|24|Feb|02|29|18|06|00|05|PM");
  // Midnight and noon on the 12-hour clock.
  EXPECT_EQ(format_run_title("{hh} {AMPM}", 0), "12 AM");
  EXPECT_EQ(format_run_title("{hh} {AMPM}", 12 * 3600 * 1000), "12 PM");
  EXPECT_EQ(format_run_title("{YY}", 946684800000), "00");  // 2000-01-01
}

TEST(RunTitle, EnvPlaceholders) {
  const std::map<std::string, std::string> vars{{"CI_JOB", "build-42"}, {"EMPTY", ""}};
  const env_lookup env = [&vars](const std::string& n) -> std::optional<std::string> {
    const auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(format_run_title("job {env:CI_JOB} on {DD}", 0, env), "job build-42 on 01");
  EXPECT_EQ(format_run_title("[{env:EMPTY}]", 0, env), "[]");
  EXPECT_EQ(format_run_title("{env:MISSING} stays", 0, env), "{env:MISSING} stays");
  EXPECT_EQ(format_run_title("{env:CI_JOB}", 0), "{env:CI_JOB}");  // no lookup given
  EXPECT_EQ(format_run_title("{env:}", 0, env), "{env:}");
  // Values are inserted verbatim, never expanded again.
  const env_lookup tricky = [](const std::string&) -> std::optional<std::string> { return "{YYYY}"; };
  EXPECT_EQ(format_run_title("{env:X}", 0, tricky), "{YYYY}");
  const env_lookup throwing = [](const std::string&) -> std::optional<std::string> { throw std::runtime_error("x"); };
  EXPECT_EQ(format_run_title("{env:X}", 0, throwing), "{env:X}");
}

TEST(RunTitle, UnknownAndBrokenPlaceholdersStayLiteral) {
  EXPECT_EQ(format_run_title("{yyyy} {foo} {} {", 0), "{yyyy} {foo} {} {");
  EXPECT_EQ(format_run_title("a{b{YYYY}c", 0), "a{b1970c");
  EXPECT_EQ(format_run_title("}}{YYYY}}", 0), "}}1970}");
  EXPECT_EQ(format_run_title("no placeholders", 0), "no placeholders");
}

TEST(RunTitle, UtcOffsetShiftsTheClock) {
  EXPECT_EQ(format_run_title("{DD} {HH}:{mm}", 0, {}, 120), "01 02:00");
  EXPECT_EQ(format_run_title("{DD} {HH}:{mm}", 0, {}, -90), "31 22:30");
  // Absurd offsets are clamped to a day; extreme times do not overflow.
  EXPECT_EQ(format_run_title("{DD} {HH}", 0, {}, INT_MAX), "02 00");
  EXPECT_FALSE(format_run_title("", max_ms, {}, 600).empty());
  EXPECT_FALSE(format_run_title("", min_ms, {}, -600).empty());
}

TEST(LocalOffset, IsWithinADay) {
  const int off = local_utc_offset_minutes(now_epoch_ms());
  EXPECT_GT(off, -24 * 60);
  EXPECT_LT(off, 24 * 60);
  const int extreme = local_utc_offset_minutes(max_ms);
  EXPECT_GT(extreme, -24 * 60);
  EXPECT_LT(extreme, 24 * 60);
}

// ---- Retry-After -------------------------------------------------------------------------

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("0", 0), milliseconds(0));
  EXPECT_EQ(parse_retry_after("60", 0), milliseconds(60000));
  EXPECT_EQ(parse_retry_after("  120\t", 0), milliseconds(120000));
  EXPECT_EQ(parse_retry_after("007", 0), milliseconds(7000));
}

TEST(RetryAfter, HugeDeltaSaturates) {
  const milliseconds cap(retry_after_max_seconds * 1000);
  EXPECT_EQ(parse_retry_after("2147483648", 0), cap);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999999999999999", 0), cap);
  EXPECT_EQ(parse_retry_after(std::string(10000, '9'), 0), cap);
  EXPECT_EQ(parse_retry_after("2147483647", 0), milliseconds(2147483647LL * 1000));
}

TEST(RetryAfter, RejectsGarbage) {
  for (const char* bad : {"",
                          " ",
                          "-1",
                          "+5",
                          "1.5",
                          "5s",
                          "1e3",
                          "0x10",
                          "abc",
                          "12 34",
                          "60,",
                          "١٢",
                          "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 6 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49 GMT",
                          "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 29 Feb 1900 08:49:37 GMT",
                          "Sun, 06 Nov 1994 24:00:00 GMT",
                          "Sun, 06 Nov 1994 08:60:00 GMT",
                          "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing",
                          "sun, 06 nov 1994 08:49:37 gmt",
                          "Sunday, 06-Nov-1994 08:49:37 GMT",
                          "Sun Nov 6 08:49:37 1994",
                          "Sun Nov  6 08:49:37 94"}) {
    EXPECT_EQ(parse_retry_after(bad, rfc_example_ms), std::nullopt) << '"' << bad << '"';
  }
  const std::string with_nul(
      "6\0"
      "0",
      3);
  EXPECT_EQ(parse_retry_after(with_nul, 0), std::nullopt);
}

TEST(RetryAfter, HttpDateForms) {
  const std::int64_t now = rfc_example_ms - 90'000;  // 90 s before the date
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), milliseconds(90000));
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), milliseconds(90000));
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), milliseconds(90000));
  EXPECT_EQ(parse_retry_after(" Sun, 06 Nov 1994 08:49:37 GMT ", now), milliseconds(90000));
  // The weekday is not cross-checked (servers get it wrong; the date is what matters).
  EXPECT_EQ(parse_retry_after("Mon, 06 Nov 1994 08:49:37 GMT", now), milliseconds(90000));
  // asctime with a two-digit day.
  EXPECT_EQ(parse_retry_after("Wed Nov 16 08:49:37 1994", now), milliseconds(90000 + 10LL * 86400 * 1000));
}

TEST(RetryAfter, PastDatesGiveZero) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms + 1), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now_epoch_ms()), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example_ms), milliseconds(0));
}

TEST(RetryAfter, LeapSecondIsAccepted) {
  EXPECT_EQ(parse_retry_after("Sat, 31 Dec 2016 23:59:60 GMT", 1483228799000 - 1000), milliseconds(1000));
}

TEST(RetryAfter, Rfc850TwoDigitYears) {
  // In 2026, "94" is 1994 and "30" is 2030 (within 50 years ahead).
  const std::int64_t in_2026 = 1767225600000;  // 2026-01-01
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", in_2026), rfc_example_ms);
  const auto y2030 = parse_http_date("Tuesday, 01-Jan-30 00:00:00 GMT", in_2026);
  ASSERT_TRUE(y2030.has_value());
  EXPECT_EQ(qase_datetime_utc(*y2030), "2030-01-01 00:00:00");
  const auto y1980 = parse_http_date("Tuesday, 01-Jan-80 00:00:00 GMT", in_2026);
  ASSERT_TRUE(y1980.has_value());
  EXPECT_EQ(qase_datetime_utc(*y1980), "1980-01-01 00:00:00");
}

TEST(RetryAfter, ExtremeNowDoesNotOverflow) {
  const std::string date = "Sun, 06 Nov 1994 08:49:37 GMT";
  EXPECT_EQ(parse_retry_after(date, max_ms), milliseconds(0));
  EXPECT_EQ(parse_retry_after(date, min_ms), milliseconds(retry_after_max_seconds * 1000));
  EXPECT_TRUE(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", max_ms).has_value());
  EXPECT_TRUE(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", min_ms).has_value());
  EXPECT_EQ(parse_retry_after("5", min_ms), milliseconds(5000));
}

TEST(RetryAfter, RandomInputsNeverCrash) {
  // A poor man's fuzz run (the real one is a libFuzzer target): random bytes and mutated dates.
  std::mt19937 rng(99);
  const std::string seeds[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                               "Sun Nov  6 08:49:37 1994", "120"};
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[static_cast<std::size_t>(i) % 4];
    const int edits = static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
    if (rng() % 5 == 0) s.resize(rng() % (s.size() + 1));
    const auto r = parse_retry_after(s, static_cast<std::int64_t>(rng()) * 1000000);
    if (r) {
      ASSERT_GE(r->count(), 0) << s;
    }
  }
}

}  // namespace
}  // namespace gtest_tms::detail

#pragma once
// Reading test records back from JSON, once for every format that stores them: the journal
// (compact keys, exact values) and the local Qase report (its own keys; also files written by
// other Qase reporters). Each format keeps its writer (the journal's is a hand-written fast path)
// and names its keys here. Readers tolerate anything: a missing member, or one of another type,
// reads as empty, 0 or false.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "model/limits.hpp"
#include "model/test_result.hpp"

namespace gtest_tms::detail {

/// Parses stored record text, steps as deep as max_stored_step_depth included. Strings may hold
/// invalid UTF-8: test output is kept byte for byte.
boost::json::value parse_record_json(std::string_view text, boost::system::error_code& ec);

// --- members ---------------------------------------------------------------------------------

std::string string_member(const boost::json::object& o, std::string_view key);
/// An integer; a non-integral number is truncated, one outside int64 reads as `def`.
std::int64_t int_member(const boost::json::object& o, std::string_view key, std::int64_t def = 0);
/// Any finite number.
bool number_member(const boost::json::object& o, std::string_view key, double& out);
bool bool_member(const boost::json::object& o, std::string_view key);

// --- times as the Qase formats spell them (epoch seconds) ------------------------------------

double epoch_seconds(std::int64_t ms);
/// Rounded to the millisecond; 0 when out of range.
std::int64_t seconds_to_ms(double s);

// --- model types -----------------------------------------------------------------------------

/// Where a format keeps a step's fields. `data` / `execution` name sub-objects holding the fields
/// that follow them (the Qase report nests them); empty: the fields are in the step itself.
struct step_keys {
  std::string_view data{}, action{}, expected{};
  std::string_view execution{}, status{}, start{}, duration{};
  std::string_view children{};
  /// The start is in epoch seconds and a non-positive one reads as 0; else exact milliseconds.
  bool start_in_seconds = false;
  /// Files of other reporters: their status spellings (status_from lenient), negative durations as 0.
  bool lenient = false;
};

/// A step tree (an array of step objects); an unknown step status reads as passed.
void steps_from(const boost::json::value& v, const step_keys& keys, std::vector<step_record>& out);

struct part_keys {
  std::string_view file{}, line{}, summary{}, message{}, fatal{}, skip{};
};

/// An array of failure / skip parts; a missing line reads as -1.
void parts_from(const boost::json::value& v, const part_keys& keys, std::vector<failure_part>& out);

/// An array of [key, value] string pairs (RecordProperty).
void properties_from(const boost::json::value& v, std::vector<std::pair<std::string, std::string>>& out);

/// The strings of an array (notes); other elements are skipped.
void strings_from(const boost::json::value& v, std::vector<std::string>& out);

}  // namespace gtest_tms::detail

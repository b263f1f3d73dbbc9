// Boost.JSON compiled into the fuzz build, so its parser is instrumented too (coverage feedback
// inside the JSON parser makes the config and response fuzzers far better). One TU per library
// so that they compile in parallel.
#include <boost/json/src.hpp>

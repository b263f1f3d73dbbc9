// Boost.JSON and Boost.URL compiled into the fuzz build, so their parsers are instrumented too
// (coverage feedback inside the JSON parser makes the config and response fuzzers far better).
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>

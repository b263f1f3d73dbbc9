// Boost.URL compiled into the fuzz build, instrumented (see boost_json_src.cpp).
#include <boost/url/src.hpp>

// Boost.JSON compiled into the reporter (unless GTEST_TMS_BOOST_SHARED): its documented header-only
// form, in exactly one translation unit, so no Boost library is needed at run time.
#include <boost/json/src.hpp>

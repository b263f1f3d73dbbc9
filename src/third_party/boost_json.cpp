// Boost.JSON compiled into the reporter (GTEST_TMS_BOOST_LIBRARIES=OFF): its documented header-only
// form, in exactly one translation unit, so no Boost library is needed at run time.
#include <boost/json/src.hpp>

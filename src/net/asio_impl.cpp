// The one translation unit that compiles Asio, Asio-SSL and Beast (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set by CMake for every target linking gtest_tms_asio), so the
// other Beast users only instantiate templates instead of re-compiling the whole library.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

# Boost.URL's static library, when one is installed, so that test binaries need no Boost library at
# run time. A function: Boost_USE_STATIC_LIBS stays local and leaves the consumer's own Boost alone.
# Defines the imported target Boost::url, or nothing when there is no static variant.
function(gtest_tms_find_static_boost_url)
  if(TARGET Boost::url)
    return()
  endif()
  set(Boost_USE_STATIC_LIBS ON)
  find_package(Boost 1.81 QUIET CONFIG COMPONENTS url)
endfunction()

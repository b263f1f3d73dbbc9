# cmake -DBINARIES=a;b -P no_boost_at_run_time.cmake
# No binary loads a Boost shared library, directly or through a shared reporter (ldd lists both).
foreach(bin IN LISTS BINARIES)
  execute_process(COMMAND ldd ${bin} OUTPUT_VARIABLE libs RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ldd ${bin} failed")
  endif()
  if(libs MATCHES "libboost_[^ ]*")
    message(FATAL_ERROR "${bin} needs ${CMAKE_MATCH_0} at run time:\n${libs}")
  endif()
endforeach()
message(STATUS "no Boost library at run time: ${BINARIES}")

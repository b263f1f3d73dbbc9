# gtest_tms_discover_tests(): gtest_discover_tests() plus one TMS run shared by every test process.
#
#   gtest_tms_discover_tests(<target> [RUN_FIXTURE <name>] [<gtest_discover_tests arguments>...])
#
# CTest runs one process per discovered test; left alone, every process would open its own run.
# This adds two CTest fixture tests around the discovered ones:
#   <name>_create   (FIXTURES_SETUP)   gtest-tms run create --best-effort --collect --run-file <file> --tests-from <binaries>
#   <name>_complete (FIXTURES_CLEANUP) gtest-tms run complete --best-effort --run-file <file>
# and gives every discovered test FIXTURES_REQUIRED <name> and GTEST_TMS_RUN_FILE=<file>, from which
# the reporter takes the run to join (and never completes it). The create step also starts one
# background collector: test processes hand their results to it through <file>.spool and open no
# connection, so the whole CTest run stays within the account's rate limit. So `ctest -j8` produces
# exactly one run, completed once, after the last test. Without QASE_*/QAS_* configuration both steps do nothing and
# succeed, and a reporting problem never fails them (set GTEST_TMS_STRICT=true for that).
# Several targets may share one RUN_FIXTURE (default: gtest_tms_run) within a directory.
include_guard(GLOBAL)

function(gtest_tms_discover_tests target)
  # Here, not at file scope: GoogleTest's module keeps the path of its discovery script in a
  # variable of the including scope, which a consumer's directory would not see (every test would
  # then be registered as <target>_NOT_BUILT).
  include(GoogleTest)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "RUN_FIXTURE" "PROPERTIES")
  if(NOT arg_RUN_FIXTURE)
    set(arg_RUN_FIXTURE gtest_tms_run)
  endif()
  set(fixture ${arg_RUN_FIXTURE})
  set(run_file "${CMAKE_CURRENT_BINARY_DIR}/${fixture}.env")

  gtest_discover_tests(${target} ${arg_UNPARSED_ARGUMENTS}
    PROPERTIES FIXTURES_REQUIRED ${fixture} ENVIRONMENT "GTEST_TMS_RUN_FILE=${run_file}" ${arg_PROPERTIES})

  get_property(targets DIRECTORY PROPERTY GTEST_TMS_FIXTURE_TARGETS_${fixture})
  if(NOT targets)
    # The create step needs every binary of the fixture (QA Sphere runs hold their cases from the
    # start), so it is added once the directory has been processed.
    # (EVAL bakes the values in: a deferred call's variable references are read when it runs.)
    cmake_language(EVAL CODE "cmake_language(DEFER CALL _gtest_tms_add_run_fixture [[${fixture}]] [[${run_file}]])")
  endif()
  set_property(DIRECTORY APPEND PROPERTY GTEST_TMS_FIXTURE_TARGETS_${fixture} ${target})
endfunction()

# The gtest-tms command: the one built with the project (add_subdirectory, FetchContent) or
# installed with the package, else one on PATH.
function(_gtest_tms_command out)
  if(TARGET gtest_tms::gtest-tms)
    set(${out} gtest_tms::gtest-tms PARENT_SCOPE)
    return()
  endif()
  find_program(GTEST_TMS_COMMAND gtest-tms)
  if(NOT GTEST_TMS_COMMAND)
    message(FATAL_ERROR "gtest_tms_discover_tests needs the gtest-tms command: build it with the project "
      "(GTEST_TMS_BUILD_TOOLS=ON), install it with the package, or set GTEST_TMS_COMMAND to its path")
  endif()
  set(${out} ${GTEST_TMS_COMMAND} PARENT_SCOPE)
endfunction()

function(_gtest_tms_add_run_fixture fixture run_file)
  _gtest_tms_command(cmd)
  get_property(targets DIRECTORY PROPERTY GTEST_TMS_FIXTURE_TARGETS_${fixture})
  set(tests_from "")
  foreach(t IN LISTS targets)
    list(APPEND tests_from --tests-from $<TARGET_FILE:${t}>)
  endforeach()
  add_test(NAME ${fixture}_create COMMAND ${cmd} run create --best-effort --collect --run-file ${run_file} ${tests_from})
  add_test(NAME ${fixture}_complete COMMAND ${cmd} run complete --best-effort --run-file ${run_file} ${tests_from})
  set_tests_properties(${fixture}_create PROPERTIES FIXTURES_SETUP ${fixture})
  set_tests_properties(${fixture}_complete PROPERTIES FIXTURES_CLEANUP ${fixture})
endfunction()

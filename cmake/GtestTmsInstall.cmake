include(CMakePackageConfigHelpers)
set(GTEST_TMS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gtest_tms_reporter)

install(TARGETS gtest_tms_reporter gtest_tms_gtest_main EXPORT gtest_tms_reporter-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/gtest_tms DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET gtest-tms)
  install(TARGETS gtest-tms EXPORT gtest_tms_reporter-targets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT gtest_tms_reporter-targets NAMESPACE gtest_tms:: DESTINATION ${GTEST_TMS_CMAKE_DIR})

configure_package_config_file(cmake/gtest_tms_reporterConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gtest_tms_reporterConfig.cmake INSTALL_DESTINATION ${GTEST_TMS_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gtest_tms_reporterConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gtest_tms_reporterConfig.cmake
  ${PROJECT_BINARY_DIR}/gtest_tms_reporterConfigVersion.cmake cmake/GtestTmsHelpers.cmake cmake/GtestTmsBoost.cmake
  DESTINATION ${GTEST_TMS_CMAKE_DIR})

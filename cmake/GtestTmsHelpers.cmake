# Helpers shared by the build tree and the installed package (see gtest_tms_discover_tests, issue 5).

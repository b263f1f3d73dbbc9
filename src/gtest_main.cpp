// gtest_tms::gtest_main: GoogleTest's main with the reporter registered.
#include <gtest_tms/gtest_tms.hpp>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gtest_tms::register_listener();
  return RUN_ALL_TESTS();
}

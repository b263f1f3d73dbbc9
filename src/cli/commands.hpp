#pragma once
// Sub-commands of the gtest-tms tool; each returns the process exit code.

namespace gtest_tms::detail::cli {

int emulator_command(int argc, char** argv);  // gtest-tms emulator ...   (src/cli/emulator_command.cpp)
int run_command(int argc, char** argv);       // gtest-tms run create|complete  (src/cli/run_command.cpp)
int upload_command(int argc, char** argv);    // gtest-tms upload <dir>   (src/cli/upload_command.cpp)

}  // namespace gtest_tms::detail::cli

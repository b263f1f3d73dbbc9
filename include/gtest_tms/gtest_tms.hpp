#pragma once
// gtest-tms-reporter: live reporting of GoogleTest results to Qase and QA Sphere.
// This header is C++17 and pulls in nothing but GoogleTest.

#include <gtest/gtest.h>

#include <gtest_tms/version.hpp>

#if defined(_WIN32)
#define GTEST_TMS_API
#else
#define GTEST_TMS_API __attribute__((visibility("default")))
#endif

namespace gtest_tms {

/// Appends the reporter to GoogleTest's listeners when the environment (or `qase.config.json`,
/// `.qaspherecli`) enables Qase or QA Sphere reporting. Call it after `testing::InitGoogleTest`.
/// Returns true when a listener was appended. When reporting is off it does nothing at all:
/// no thread, no output, no network. Never throws.
GTEST_TMS_API bool register_listener() noexcept;

}  // namespace gtest_tms

#define GTEST_TMS_DETAIL_STR(...) #__VA_ARGS__

/// Links the running test to Qase case ids: `QASE_ID(7);` or `QASE_ID(8, 9);` inside a test body.
/// Same as `RecordProperty("qase_id", "8,9")`, so the ids also appear in `--gtest_output=xml`.
#define QASE_ID(...) ::testing::Test::RecordProperty("qase_id", GTEST_TMS_DETAIL_STR(__VA_ARGS__))

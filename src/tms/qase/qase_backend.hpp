#pragma once
// Qase TestOps backend: test records to Qase API requests (v1 project/run endpoints, attachment
// uploads, v2 bulk results) and responses to one-line messages. No sockets here; the result
// mapping itself is in qase_mapping.hpp.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "delivery/backend.hpp"

namespace gtest_tms::detail {

/// Returns Unix epoch milliseconds ("now"); injectable so run titles and start times are testable.
using epoch_ms_clock = std::function<std::int64_t()>;

std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c);
std::unique_ptr<backend> make_qase_backend(const qase_settings& s, const common_settings& c, epoch_ms_clock now);

/// Qase attachment upload limits (v1/paths/attachment.code.yaml).
inline constexpr std::size_t qase_max_files_per_upload = 20;
inline constexpr std::size_t qase_max_upload_bytes = std::size_t{128} * 1024 * 1024;

/// The telemetry headers (no secrets): "reporter=gtest-tms-reporter;reporter_version=…;framework=googletest"
/// and "os=linux;arch=x86_64;cpp=gcc-12.2.0".
std::string qase_x_client();
std::string qase_x_platform();

}  // namespace gtest_tms::detail

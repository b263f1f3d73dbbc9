#pragma once
// The three sections of the settings, each with its key table and its rule for bad values (see the
// policy in config.cpp): qase_keys.cpp, qasphere_keys.cpp, common_keys.cpp.

#include <string>

#include "config/config.hpp"

namespace gtest_tms::detail {

/// QASE_* from the environment over qase.config.json in `cwd` -> out.qase (and the two request settings
/// of out.common that keep their Qase names). A bad value switches Qase reporting off.
void read_qase_section(const env_lookup& env, const std::string& cwd, settings& out);

/// QAS_* from the environment, QAS_TOKEN/QAS_URL also from .qaspherecli -> out.qasphere. A bad value
/// switches QA Sphere reporting off.
void read_qasphere_section(const env_lookup& env, const std::string& cwd, settings& out);

/// With Qase off and QA Sphere on: QASE_FALLBACK and QASE_REPORT_CONNECTION_PATH still apply (QA
/// Sphere's fallback report and the journal folder). A bad value turns only the fallback off.
void read_qase_storage_keys(const env_lookup& env, const std::string& cwd, settings& out);

/// GTEST_TMS_* and the proxy variables -> out.common. A bad value keeps the default.
void read_common_section(const env_lookup& env, const std::string& cwd, settings& out);

}  // namespace gtest_tms::detail

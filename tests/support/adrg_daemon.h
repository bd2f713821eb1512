// The real adrg binary as integration tests run it (its config: tests/support/daemon_config.h),
// and curl against it over the unix socket and TCP.
#pragma once

#include <optional>
#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace adrg::testing {

inline const std::string kAdrgBinary = ADRG_DAEMON_BIN;

// GET over dir/adrg.sock (needs no token): the body, "" when the daemon does not answer.
std::string unix_get(const TempDir& dir, const std::string& path);

// POST /trigger {"event": ...} over TCP, with `Authorization: Bearer token` unless token is "";
// the output ends with " <HTTP status>".
CommandResult tcp_post_trigger(int port, const std::string& event, const std::string& token);

// The value of one series of a Prometheus text page, e.g.
// metric_value(text, "adrg_config_reloads_total{result=\"ok\"}"); nullopt when absent.
std::optional<double> metric_value(const std::string& metrics, const std::string& series);

}  // namespace adrg::testing

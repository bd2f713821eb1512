// The config.yaml an integration test starts the real adrg with. DaemonConfig(dir) keeps the
// daemon inside the temp dir: its journal, state file and unix socket there, a thermal and hwmon
// root there (a fake thermal zone dir/thermal/thermal_zone0 is the caller's to write), no Docker,
// no log file (adrg logs to stderr, which ChildProcess keeps). A test changes the fields it
// cares about; an optional field set to nullopt leaves its key out, so adrg's default applies.
#pragma once

#include <optional>
#include <string>

#include "tests/support/temp_dir.h"

namespace adrg::testing {

struct DaemonConfig {
  explicit DaemonConfig(const TempDir& dir);

  // general:
  std::optional<double> poll_interval_seconds = 1;
  std::optional<std::string> journal_file;       // dir/journal.json
  std::optional<std::string> state_file;         // dir/state.json
  std::optional<std::string> thermal_root;       // dir/thermal
  std::optional<std::string> hwmon_root;         // dir/hwmon
  std::optional<std::string> docker_socket{""};  // "" = Docker off; nullopt = the default socket
  std::optional<std::string> proc_root;          // nullopt = /proc
  std::optional<std::string> cgroup_units_root;  // nullopt = off
  // general.http_server, always enabled:
  std::string host = "127.0.0.1";
  int port = 0;
  std::string unix_socket;           // dir/adrg.sock; "" = no unix socket
  std::optional<std::string> token;  // nullopt = none
  // More top-level YAML (tiers:, media_mode:, thermal:, jobs:, ...), appended as written.
  std::string extra;
};

// The YAML text. The keys come in a fixed order: with the default general: keys the host's value
// is at line 11, column 11 (daemon_check_config_test expects its errors there).
std::string daemon_yaml(const DaemonConfig& config);

}  // namespace adrg::testing

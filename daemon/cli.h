// Command line of the daemon (CLI11). ADRG's flags keep their meaning: --config, --dry-run,
// --check-config, --cleanup, --version.
#pragma once

#include <optional>
#include <string>

#include "core/reactor.h"

namespace adrg {

struct CliOptions {
  std::string config_path = "/etc/adrg/config.yaml";
  std::string env_file;  // empty: the config's general.env_file (default /etc/adrg/adrg.env)
  bool dry_run = false;
  bool check_config = false;
  bool cleanup = false;
  bool version = false;
  std::string log_level = "info";
  ReactorChoice reactor = ReactorChoice::kAuto;
  // Test-only fault injection: stall the loop thread this many seconds after the first manual
  // trigger, so the systemd watchdog path can be proven. Hidden from --help.
  double fault_stall_seconds = 0;
};

struct CliParse {
  std::optional<CliOptions> options;  // nullopt: exit with exit_code (help, version, bad usage)
  int exit_code = 0;
};

CliParse parse_cli(int argc, char** argv);

}  // namespace adrg

#include "daemon/cli.h"

#include <CLI/CLI.hpp>
#include <map>

namespace adrg {

CliParse parse_cli(int argc, char** argv) {
  CliOptions o;
  CLI::App app{"adrg — adaptive resource governor for Docker home servers"};
  app.set_version_flag("--version", std::string("adrg ") + ADRG_VERSION);
  app.add_option("-c,--config", o.config_path, "Config file (ADRG's format)")
      ->capture_default_str();
  app.add_option("--env-file", o.env_file,
                 "File of KEY=value lines for ${VAR} expansion (default: general.env_file)");
  app.add_flag("--dry-run", o.dry_run, "Log every decision, change nothing");
  app.add_flag("--check-config", o.check_config,
               "Validate the config, list running containers with their tiers, exit 0/1");
  app.add_flag("--cleanup", o.cleanup, "Restore every journaled original value and exit");
  app.add_option("--log-level", o.log_level, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  std::map<std::string, ReactorChoice> backends{{"auto", ReactorChoice::kAuto},
                                                {"io_uring", ReactorChoice::kIoUring},
                                                {"epoll", ReactorChoice::kEpoll}};
  app.add_option("--reactor", o.reactor, "Event loop backend: auto|io_uring|epoll")
      ->transform(CLI::CheckedTransformer(backends, CLI::ignore_case));
  app.add_option("--fault-stall-seconds", o.fault_stall_seconds)->group("");  // test only

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return CliParse{std::nullopt, app.exit(e)};
  }
  int modes = int(o.check_config) + int(o.cleanup);
  if (modes > 1) {
    std::fprintf(stderr, "adrg: --check-config and --cleanup cannot be combined\n");
    return CliParse{std::nullopt, 2};
  }
  return CliParse{o, 0};
}

}  // namespace adrg

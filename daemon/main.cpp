#include <signal.h>

#include "core/log.h"
#include "daemon/cli.h"
#include "daemon/run_modes.h"

int main(int argc, char** argv) {
  adrg::CliParse parsed = adrg::parse_cli(argc, argv);
  if (!parsed.options) return parsed.exit_code;
  const adrg::CliOptions& options = *parsed.options;

  adrg::LogOptions log_options;
  log_options.level = options.log_level;
  adrg::setup_logging(log_options);
  // A client that hangs up mid-response must not kill the daemon; write() reports EPIPE.
  ::signal(SIGPIPE, SIG_IGN);

  if (options.check_config) return adrg::run_check_config(options);
  if (options.cleanup) return adrg::run_cleanup(options);
  return adrg::run_daemon(options);
}

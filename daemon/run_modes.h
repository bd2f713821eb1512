// The three ways the binary runs: the daemon, --check-config and --cleanup.
#pragma once

#include "daemon/cli.h"

namespace adrg {

int run_daemon(const CliOptions& options);
int run_check_config(const CliOptions& options);
int run_cleanup(const CliOptions& options);

}  // namespace adrg

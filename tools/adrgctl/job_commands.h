// adrgctl's job subcommands (issue 8): run, jobs, inspect, wait, logs, kill, remove.
//
//   adrgctl run --id ID --tier N [--cpu-max Q/P] [--cpu-weight N] [--memory-max SZ]
//       [--memory-high SZ] [--io-max RULE]... [--pids-max N] [--cwd DIR] [--env K=V]...
//       [--wait-for-calm] [--wait] -- CMD ARGS...
//   adrgctl jobs [--json] | inspect ID [--json] | wait ID [--timeout S] | logs ID [--follow]
//   adrgctl kill ID | remove ID
//
// `wait` and `run --wait` exit with the job's status: its exit code, 128+N when a signal N
// killed it, 137 after an OOM kill (printed as such), 127 when it could not be started, 255
// when its status is unknown (the reason is printed), 124 when --timeout passed first. Other errors
// follow client.h (1 server error, 2 unreachable).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "tools/adrgctl/client.h"
#include "tools/adrgctl/job_request.h"

namespace adrg::ctl {

constexpr int kExitWaitTimeout = 124;  // as timeout(1)

// The parsed command line of the job subcommands.
struct JobCommands {
  CLI::App* run = nullptr;
  CLI::App* jobs = nullptr;
  CLI::App* inspect = nullptr;
  CLI::App* wait = nullptr;
  CLI::App* logs = nullptr;
  CLI::App* kill = nullptr;
  CLI::App* remove = nullptr;

  RunOptions run_options;
  bool run_wait = false;
  std::string id;  // inspect, wait, logs, kill, remove
  bool json = false;
  bool follow = false;
  std::optional<double> timeout_seconds;
};

// Registers the subcommands on `app`; `commands` receives the values when app parses.
void add_job_commands(CLI::App& app, JobCommands& commands);

// Runs whichever job subcommand was parsed; nullopt when none was.
std::optional<int> run_job_command(const Target& target, const JobCommands& commands);

}  // namespace adrg::ctl

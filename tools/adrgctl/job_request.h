// adrgctl's job requests as pure functions: command-line values -> the POST /jobs body, and a
// finished job object -> the line `wait` prints and the exit status it returns. Unit-tested
// without a server (tests/unit/tools_adrgctl_job_request_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace adrg::ctl {

// `adrgctl run` as typed; sizes and cpu quota still in the user's syntax.
struct RunOptions {
  std::string id;
  int tier = 3;
  std::optional<std::string> cpu_max;  // "50000/100000", "max/100000", "50000" or "max"
  std::optional<std::uint64_t> cpu_weight;
  std::optional<std::string> memory_max;  // "1G", "512M", "1073741824" (config's size parser)
  std::optional<std::string> memory_high;
  std::vector<std::string> io_max;  // kernel syntax, passed through
  std::optional<std::uint64_t> pids_max;
  std::optional<std::string> cwd;  // default: the caller's working directory
  std::vector<std::string> env;    // "K=V" overrides on top of the caller's environment
  bool wait_for_calm = false;
  std::vector<std::string> argv;
};

// "Q/P" -> "Q P" (cpu.max syntax); "Q" and "max" alone pass as they are.
Result<std::string> cpu_max_from_cli(std::string_view text);

// The caller's environment with `overrides` applied: a key given again replaces its value in
// place, a new key is appended. Errors on an override without "=" or with an empty key.
Result<std::vector<std::string>> merge_environment(const std::vector<std::string>& base,
                                                   const std::vector<std::string>& overrides);

// The POST /jobs body. `caller_env` and `caller_cwd` are the defaults the contract names.
Result<std::string> build_run_body(const RunOptions& options,
                                   const std::vector<std::string>& caller_env,
                                   const std::string& caller_cwd);

// How a finished job ended: what `wait` prints and the exit status it returns (the job's exit
// code; 128+N when killed by signal N; 137 when the OOM killer killed it; 127 when it could not
// be started; 1 when adrg refused it; 255 when no status is known: adrg was restarted while the
// job ran, or it was killed while queued).
struct JobEnd {
  std::string line;
  int exit_status = 0;
};
Result<JobEnd> describe_job_end(std::string_view job_json);

// True for the states a job never leaves: exited, killed, failed, refused.
bool is_final_state(std::string_view state);

}  // namespace adrg::ctl

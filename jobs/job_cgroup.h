// A job's cgroup v2 directory: create it with its limits, read its OOM kills, kill everything in
// it, remove it. Plain file operations on an injected root (a temp dir in unit tests, the real
// cgroup2 mount in integration tests); no reactor, usable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace adrg {

struct JobLimits {                          // values in kernel syntax, validated before writing
  std::optional<std::string> cpu_max;       // "50000 100000" or "max 100000"
  std::optional<std::uint64_t> cpu_weight;  // 1..10000
  std::optional<std::uint64_t> memory_max, memory_high;  // bytes
  std::vector<std::string> io_max;  // "MAJ:MIN rbps=N wbps=N riops=N wiops=N" each
  std::optional<std::uint64_t> pids_max;
};

// mkdir -p the jobs root, enable in each ancestor's cgroup.subtree_control the controllers
// `limits` needs (cpu, memory, io, pids), create jobs_root/id and write the limits. The ancestors
// walked are those from the top of the cgroup2 mount (the highest directory whose parent has no
// cgroup.controllers) down to jobs_root. Errors name the missing controller and the file when
// the kernel does not offer it (the hybrid host offers none), and refuse to enable a controller
// in a non-root cgroup that holds processes (cgroup v2's "no internal processes" rule would make
// the write fail, or later the job's own start). Returns the job's cgroup directory.
Result<std::string> create_job_cgroup(const std::string& jobs_root, const std::string& id,
                                      const JobLimits& limits);

// Checks the limits' syntax and ranges without touching any file.
Status validate_job_limits(const JobLimits& limits);
// The controllers `limits` needs, in the kernel's order: "cpu", "io", "memory", "pids".
std::vector<std::string> controllers_needed(const JobLimits& limits);

// memory.events "oom_kill N" (0 when the file or the key is missing: no memory controller).
Result<std::uint64_t> read_oom_kills(const std::string& cgroup_dir);
Result<std::uint64_t> parse_oom_kills(std::string_view memory_events);

// Writes cgroup.kill (Linux 5.14); where that file is missing, kill_cgroup_procs.
Status kill_job_cgroup(const std::string& cgroup_dir);
// SIGKILL to every pid in cgroup.procs, repeated until it reads empty (bounded: ~2 s).
Status kill_cgroup_procs(const std::string& cgroup_dir);
// rmdir; an error while processes remain (EBUSY). A directory already gone is success.
Status remove_job_cgroup(const std::string& cgroup_dir);

// [A-Za-z0-9][A-Za-z0-9._-]{0,63}, no "..", and not a name the kernel's interface files use
// ("cgroup.*", "memory.*", ...): the id becomes a directory name next to those files.
bool valid_job_id(std::string_view id);

}  // namespace adrg

// The process side of a job behind one interface, so the JobManager's state machine is unit-
// tested with a fake (pipes as pidfds) while the daemon and the integration tests use the real
// one: jobs/job_spawner (clone3 into the cgroup) and job_cgroup (cgroup v2 files).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "jobs/job_cgroup.h"
#include "jobs/job_spawner.h"

namespace adrg {

struct AdoptedProcess {
  pid_t pid = -1;
  int pidfd = -1;  // owned by the caller
};

class JobHost {
 public:
  virtual ~JobHost() = default;
  // Worker thread (disk and cgroupfs writes, NSS lookups may block).
  virtual Result<std::string> create_cgroup(const std::string& jobs_root, const std::string& id,
                                            const JobLimits& limits) = 0;
  virtual Result<SpawnedProcess> spawn(const SpawnRequest& request) = 0;
  // getpwuid + getgrouplist for a non-root caller; may ask NSS (LDAP, ...).
  virtual std::vector<gid_t> supplementary_groups(uid_t uid, gid_t gid) = 0;
  // Kills whatever is left in the cgroup and removes it (bounded wait for the processes to go).
  virtual Status kill_and_remove(const std::string& cgroup_dir) = 0;
  virtual Status kill(const std::string& cgroup_dir) = 0;

  // Loop thread: non-blocking syscalls and small cgroupfs reads only.
  virtual Result<std::optional<ExitInfo>> reap(int pidfd) = 0;
  // After an adrg restart: a pidfd for `pid` if it still runs inside cgroup_dir; without a pid
  // (adrg died between spawn and record), the first process of cgroup.procs.
  virtual Result<AdoptedProcess> adopt(std::optional<pid_t> pid, const std::string& cgroup_dir) = 0;
  virtual Result<std::uint64_t> oom_kills(const std::string& cgroup_dir) = 0;
  virtual bool frozen(const std::string& cgroup_dir) = 0;
  virtual std::uint64_t memory_current(const std::string& cgroup_dir) = 0;
};

// The real thing.
class KernelJobHost final : public JobHost {
 public:
  Result<std::string> create_cgroup(const std::string& jobs_root, const std::string& id,
                                    const JobLimits& limits) override;
  Result<SpawnedProcess> spawn(const SpawnRequest& request) override;
  std::vector<gid_t> supplementary_groups(uid_t uid, gid_t gid) override;
  Status kill_and_remove(const std::string& cgroup_dir) override;
  Status kill(const std::string& cgroup_dir) override;
  Result<std::optional<ExitInfo>> reap(int pidfd) override;
  Result<AdoptedProcess> adopt(std::optional<pid_t> pid, const std::string& cgroup_dir) override;
  Result<std::uint64_t> oom_kills(const std::string& cgroup_dir) override;
  bool frozen(const std::string& cgroup_dir) override;
  std::uint64_t memory_current(const std::string& cgroup_dir) override;
};

}  // namespace adrg

// Starts one job process directly inside its cgroup v2 directory. No reactor, no globals beyond a
// test switch: usable from any thread of the (multi-threaded) daemon, so the child side does only
// async-signal-safe work on memory prepared before the clone.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace adrg {

struct SpawnRequest {
  std::string cgroup_dir;         // existing, empty cgroup v2 directory (absolute path)
  std::vector<std::string> argv;  // argv[0] looked up in PATH taken from env (execvpe rules)
  std::vector<std::string> env;   // complete environment, "K=V" each
  std::string cwd;                // "" = "/"
  std::string log_path;           // stdout+stderr appended here; made uid:gid's, mode 0640
  std::optional<uid_t> uid;       // run as (set when the caller is not root, from SO_PEERCRED)
  std::optional<gid_t> gid;
  std::vector<gid_t> groups;  // supplementary groups; replaces the daemon's when uid/gid is set
};

struct SpawnedProcess {
  pid_t pid = -1;
  int pidfd = -1;                  // owned by the caller (close it); POLLIN = exited
  bool clone_into_cgroup = false;  // false: fork + cgroup.procs fallback was used
};

struct ExitInfo {
  int exit_code = 0;  // WEXITSTATUS when exited normally
  int signal = 0;     // terminating signal, 0 when exited normally
  bool core_dumped = false;
};

// Starts argv inside cgroup_dir: clone3(CLONE_INTO_CGROUP|CLONE_PIDFD) when the kernel has it,
// else fork + write to cgroup.procs before exec (pidfd via pidfd_open). An exec failure (ENOENT,
// EACCES, bad cwd, ...) is reported as an Error naming the step and errno, through a CLOEXEC
// pipe, and the child is reaped. Child: new session, signal mask/dispositions reset, fds closed
// but 0 (/dev/null), 1 and 2 (log), oom_score_adj and nice back to 0 (the daemon's unit lowers
// both). Blocks only until the child has exec'd (or failed to).
[[nodiscard]] Result<SpawnedProcess> spawn_in_cgroup(const SpawnRequest& request);

// waitid(P_PIDFD, WEXITED|WNOHANG): nullopt while still running.
[[nodiscard]] Result<std::optional<ExitInfo>> reap_pidfd(int pidfd);

// Forces the fork + cgroup.procs path (tests prove both paths).
void set_spawn_force_fallback_for_testing(bool force);

}  // namespace adrg

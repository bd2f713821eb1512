// Is adrg itself running in a container, and can it see the host's containers from there?
//
// adrg governs the host's containers through the host's cgroup tree and reads each container's
// cgroup from /proc/<State.Pid>/cgroup. Inside a container that needs three things, each checked
// here on injectable roots:
//   - the host's cgroup tree mounted (-v /sys/fs/cgroup:/sys/fs/cgroup): Docker's own cgroup
//     mount in a private cgroup namespace shows only adrg's container. The real root cgroup is
//     the only one without cgroup.freeze/cgroup.type, which tells the two apart.
//   - the host's pids (--pid host): pid 2 is kthreadd only in the initial pid namespace (kernel
//     threads are invisible in any other). Without it, cgroups are found by Docker's layouts
//     by container id (resolve_container_cgroup_by_id), which misses a custom --cgroup-parent.
//   - the host's cgroup namespace (--cgroupns host): /proc/self/cgroup names adrg's own cgroup
//     relative to its namespace; in the host namespace that directory of the mounted tree lists
//     adrg's pid. In a private one it does not, and every /proc/<pid>/cgroup path climbs out
//     ("0::/../x"): exact paths are lost and only the by-id layouts remain.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace adrg::docker {

struct ContainerEnvRoots {
  std::string root = "/";           // where /.dockerenv and /run/.containerenv are looked for
  std::string proc_root = "/proc";  // general.proc_root
  std::string cgroup_v2_root;       // detect_cgroup_v2_root(general.cgroup_root); "" = none
  std::string cgroup_root = "/sys/fs/cgroup";  // for the messages
  pid_t self_pid = 0;                          // 0: getpid()
};

struct ContainerEnv {
  bool in_container = false;
  std::string evidence;  // why we think so: "/.dockerenv", "/run/.containerenv", "/proc/1/cgroup"
  bool host_pids_visible = false;
  bool host_cgroup_tree = false;
  bool host_cgroup_namespace = false;
  // One line per gap, each naming the docker run flag that closes it. Empty when nothing is
  // missing (or adrg is not in a container: then the host is the host).
  std::vector<std::string> problems;
};

ContainerEnv detect_container_env(const ContainerEnvRoots& roots);

// Logs what detect_container_env found: one info line when in a container, one warning per gap.
void log_container_env(const ContainerEnv& env);

}  // namespace adrg::docker

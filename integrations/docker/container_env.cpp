#include "integrations/docker/container_env.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "core/fs.h"
#include "integrations/docker/docker_parse.h"

namespace adrg::docker {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string read_trimmed(const std::string& path) {
  auto text = read_text_file(path);
  return text.ok() ? trim(*text) : std::string();
}

// Container engines' marker files first; a pid 1 living in a container runtime's cgroup second
// (covers engines without a marker, and is false with --pid host where pid 1 is the host's init).
std::string container_evidence(const ContainerEnvRoots& roots) {
  for (const char* marker : {".dockerenv", "run/.containerenv"}) {
    if (exists(join_path(roots.root, marker))) return std::string("/") + marker;
  }
  std::string init_cgroup = read_trimmed(join_path(roots.proc_root, "1/cgroup"));
  for (const char* runtime : {"/docker/", "/docker-", "/libpod-", "/kubepods", "/containerd"}) {
    if (init_cgroup.find(runtime) != std::string::npos) return "/proc/1/cgroup";
  }
  return {};
}

bool cgroup_lists_pid(const std::string& cgroup_dir, pid_t pid) {
  std::istringstream procs(read_trimmed(join_path(cgroup_dir, "cgroup.procs")));
  std::string line;
  while (std::getline(procs, line)) {
    if (line == std::to_string(pid)) return true;
  }
  return false;
}

}  // namespace

ContainerEnv detect_container_env(const ContainerEnvRoots& roots) {
  ContainerEnv env;
  env.evidence = container_evidence(roots);
  env.in_container = !env.evidence.empty();
  env.host_pids_visible = read_trimmed(join_path(roots.proc_root, "2/comm")) == "kthreadd";

  const std::string& v2 = roots.cgroup_v2_root;
  env.host_cgroup_tree = !v2.empty() && !exists(join_path(v2, "cgroup.freeze")) &&
                         !exists(join_path(v2, "cgroup.type"));
  if (!v2.empty()) {
    auto self = parse_cgroup_file(read_trimmed(join_path(roots.proc_root, "self/cgroup")));
    pid_t pid = roots.self_pid != 0 ? roots.self_pid : ::getpid();
    env.host_cgroup_namespace =
        self.ok() && !self->outside_namespace && cgroup_lists_pid(v2 + self->path, pid);
  }

  if (!env.in_container) return env;
  const std::string by_id =
      "; until then container cgroups are found only by Docker's default layouts "
      "(docker/<id>, system.slice/docker-<id>.scope)";
  if (v2.empty()) {
    env.problems.push_back("no cgroup v2 hierarchy under " + roots.cgroup_root +
                           ": mount the host's with -v /sys/fs/cgroup:/sys/fs/cgroup");
  } else if (!env.host_cgroup_tree) {
    env.problems.push_back(v2 +
                           " is this container's own cgroup, not the host's tree: add "
                           "-v /sys/fs/cgroup:/sys/fs/cgroup and --cgroupns host");
  } else if (!env.host_cgroup_namespace) {
    env.problems.push_back(
        "the cgroup namespace is private (/proc/<pid>/cgroup paths climb out of it): add "
        "--cgroupns host" +
        by_id);
  }
  if (!env.host_pids_visible) {
    env.problems.push_back(
        "the host's processes are not visible (private pid namespace), so "
        "/proc/<container pid>/cgroup cannot be read: add --pid host" +
        by_id);
  }
  return env;
}

void log_container_env(const ContainerEnv& env) {
  if (!env.in_container) return;
  spdlog::info("running in a container ({}): host cgroup tree {}, host pids {}, host cgroupns {}",
               env.evidence, env.host_cgroup_tree ? "yes" : "no",
               env.host_pids_visible ? "yes" : "no", env.host_cgroup_namespace ? "yes" : "no");
  for (const auto& problem : env.problems) spdlog::warn("container: {}", problem);
}

}  // namespace adrg::docker

#include "jobs/job_host.h"

#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "core/fs.h"
#include "sensors/cgroup_events.h"

namespace adrg {

namespace {

std::vector<pid_t> cgroup_pids(const std::string& cgroup_dir) {
  std::vector<pid_t> pids;
  auto text = read_text_file(join_path(cgroup_dir, "cgroup.procs"));
  if (!text) return pids;
  std::istringstream in(*text);
  long pid = 0;
  while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

}  // namespace

Result<std::string> KernelJobHost::create_cgroup(const std::string& jobs_root,
                                                 const std::string& id, const JobLimits& limits) {
  return create_job_cgroup(jobs_root, id, limits);
}

Result<SpawnedProcess> KernelJobHost::spawn(const SpawnRequest& request) {
  return spawn_in_cgroup(request);  // resets nice and oom_score_adj in the child before exec
}

std::vector<gid_t> KernelJobHost::supplementary_groups(uid_t uid, gid_t gid) {
  std::vector<gid_t> groups;
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return {gid};  // a uid without a passwd entry: only its primary group
  }
  int count = 32;
  for (int attempt = 0; attempt < 4; ++attempt) {
    groups.resize(static_cast<std::size_t>(count));
    int n = count;
    if (getgrouplist(pw.pw_name, gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<std::size_t>(n));
      return groups;
    }
    count = n > count ? n : count * 2;
  }
  return {gid};
}

Status KernelJobHost::kill_and_remove(const std::string& cgroup_dir) {
  if (access(cgroup_dir.c_str(), F_OK) != 0) return {};
  if (!cgroup_pids(cgroup_dir).empty()) {
    if (auto st = kill_job_cgroup(cgroup_dir); !st) return st;
  }
  // SIGKILLed processes take a moment to leave; rmdir fails with EBUSY until they have.
  Status removed;
  for (int i = 0; i < 200; ++i) {
    removed = remove_job_cgroup(cgroup_dir);
    if (removed) return removed;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return removed;
}

Status KernelJobHost::kill(const std::string& cgroup_dir) { return kill_job_cgroup(cgroup_dir); }

Result<std::optional<ExitInfo>> KernelJobHost::reap(int pidfd) { return reap_pidfd(pidfd); }

Result<AdoptedProcess> KernelJobHost::adopt(std::optional<pid_t> pid,
                                            const std::string& cgroup_dir) {
  std::vector<pid_t> members = cgroup_pids(cgroup_dir);
  if (members.empty()) {
    return Error{std::make_error_code(std::errc::no_such_process),
                 "no process left in " + cgroup_dir};
  }
  pid_t target = pid.value_or(members.front());
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, target, 0));
  if (fd < 0) return Error::from_errno("pidfd_open " + std::to_string(target));
  // Checked after the pidfd exists: a pid found in the job's own cgroup now is the job's (only
  // the job's processes are ever placed there), so a recycled pid cannot be adopted by mistake.
  members = cgroup_pids(cgroup_dir);
  bool inside = false;
  for (pid_t p : members) inside = inside || p == target;
  if (!inside) {
    ::close(fd);
    return Error{std::make_error_code(std::errc::no_such_process),
                 "pid " + std::to_string(target) + " is no longer in " + cgroup_dir};
  }
  return AdoptedProcess{target, fd};
}

Result<std::uint64_t> KernelJobHost::oom_kills(const std::string& cgroup_dir) {
  return read_oom_kills(cgroup_dir);
}

bool KernelJobHost::frozen(const std::string& cgroup_dir) {
  auto text = read_text_file(join_path(cgroup_dir, "cgroup.events"));
  if (!text) return false;
  auto events = parse_cgroup_events(*text);
  return events && events->frozen;
}

std::uint64_t KernelJobHost::memory_current(const std::string& cgroup_dir) {
  auto text = read_text_file(join_path(cgroup_dir, "memory.current"));
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

}  // namespace adrg

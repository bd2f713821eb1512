#include "jobs/job_spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace adrg {

namespace {

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
// waitid's idtype for a pidfd (Linux 5.4); spelled as a number so an older libc without
// P_PIDFD in idtype_t still builds.
constexpr auto kIdtypePidfd = static_cast<idtype_t>(3);

// struct clone_args from linux/sched.h up to CLONE_ARGS_SIZE_VER2 (cgroup, Linux 5.7). Declared
// here because <linux/sched.h> and glibc's <sched.h> clash on the CLONE_* macros.
struct CloneArgs {
  std::uint64_t flags;
  std::uint64_t pidfd;
  std::uint64_t child_tid;
  std::uint64_t parent_tid;
  std::uint64_t exit_signal;
  std::uint64_t stack;
  std::uint64_t stack_size;
  std::uint64_t tls;
  std::uint64_t set_tid;
  std::uint64_t set_tid_size;
  std::uint64_t cgroup;
};
static_assert(sizeof(CloneArgs) == 88, "CLONE_ARGS_SIZE_VER2");

std::atomic<bool> g_force_fallback{false};
// Set once clone3 said it cannot do CLONE_INTO_CGROUP here (old kernel, seccomp): later spawns go
// straight to fork.
std::atomic<bool> g_clone3_unavailable{false};

// The step of the child's preparation that failed; sent with errno through the report pipe.
enum class Step : int {
  kCgroup = 1,
  kSetsid,
  kSignals,
  kStdio,
  kCloseFds,
  kOomScoreAdj,
  kPriority,
  kSetgroups,
  kSetgid,
  kSetuid,
  kChdir,
  kExec,
};

struct ChildReport {
  int step = 0;
  int err = 0;
};

using Fd = FdCloser;

// Every fd the child dup2()s onto 0..3 must itself be above 3, or an earlier dup2 would clobber
// it (a daemon started with closed stdio gets fds 0..2 back from open()).
Status raise_above_stdio(Fd& fd, const char* what) {
  if (fd.get() > 3) return {};
  int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 4);
  if (moved < 0) return Error::from_errno(std::string("move fd of ") + what);
  fd.reset(moved);
  return {};
}

// Everything the child needs, prepared before the clone: after it the child may only make
// async-signal-safe calls (no malloc: another daemon thread may have held its lock at clone time).
struct ChildPlan {
  std::vector<std::string> candidates;  // exec paths in PATH order (execvpe rules)
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<char*> shell_argv;  // "/bin/sh", <candidate>, argv[1..]: ENOEXEC fallback
  const char* cwd = "/";
  int devnull_fd = -1;
  int log_fd = -1;
  int report_fd = -1;
  int procs_fd = -1;  // fallback path only: cgroup.procs, written "0" by the child
  bool change_ids = false;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  const gid_t* groups = nullptr;
  std::size_t group_count = 0;
  int max_fd = 1024;  // close() loop bound when close_range is missing (Linux < 5.9)
};

std::vector<char*> c_array(const std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (const auto& item : items) out.push_back(const_cast<char*>(item.c_str()));
  out.push_back(nullptr);
  return out;
}

// glibc's execvpe searches the daemon's own PATH, not the one in envp; the job's PATH must win,
// so the search is done here with execvpe's rules: a name with '/' is used as is, no PATH means
// "/bin:/usr/bin", an empty element means the working directory.
std::vector<std::string> exec_candidates(const std::string& file,
                                         const std::vector<std::string>& env) {
  if (file.find('/') != std::string::npos) return {file};
  std::string path = "/bin:/usr/bin";
  for (const auto& entry : env) {
    if (entry.rfind("PATH=", 0) == 0) {
      path = entry.substr(5);
      break;
    }
  }
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
    out.push_back(dir.empty() ? file : dir + "/" + file);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

[[noreturn]] void child_fail(int report_fd, Step step) {
  ChildReport report{static_cast<int>(step), errno};
  // One 8-byte write to a pipe is atomic; nothing to do if the parent is gone.
  [[maybe_unused]] ssize_t n = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

// Runs in the child after clone3/fork. Only async-signal-safe calls on `plan` (see ChildPlan).
[[noreturn]] void run_child(ChildPlan& plan) {
  int report_fd = plan.report_fd;
  if (plan.procs_fd >= 0 && ::write(plan.procs_fd, "0", 1) != 1) {
    child_fail(report_fd, Step::kCgroup);
  }
  if (::setsid() < 0) child_fail(report_fd, Step::kSetsid);
  // Handlers revert to SIG_DFL at exec but SIG_IGN (the daemon ignores SIGPIPE) survives it, and
  // the daemon blocks SIGHUP/SIGTERM/SIGINT in every thread for its signalfd; the job must start
  // from a clean slate. Dispositions first, so no daemon handler can run in the child.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    ::sigaction(sig, &dfl, nullptr);  // libc-reserved signals answer EINVAL: nothing to reset
  }
  sigset_t none;
  sigemptyset(&none);
  // The forked child has one thread, and sigprocmask (not pthread_sigmask) is the
  // async-signal-safe call that may run between fork and exec.
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {  // NOLINT(concurrency-mt-unsafe)
    child_fail(report_fd, Step::kSignals);
  }

  if (::dup2(plan.devnull_fd, 0) < 0 || ::dup2(plan.log_fd, 1) < 0 || ::dup2(plan.log_fd, 2) < 0) {
    child_fail(report_fd, Step::kStdio);
  }
  if (report_fd != 3) {
    // dup2 clears FD_CLOEXEC; the report pipe must close at exec so EOF means "exec worked".
    if (::dup2(report_fd, 3) < 0 || ::fcntl(3, F_SETFD, FD_CLOEXEC) < 0) {
      child_fail(report_fd, Step::kStdio);
    }
    report_fd = 3;
  }
  if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
    if (errno != ENOSYS) child_fail(report_fd, Step::kCloseFds);
    for (int fd = 4; fd < plan.max_fd; ++fd) ::close(fd);
  }
  // adrg.service runs the daemon with OOMScoreAdjust=-900 and Nice=-5 and a child inherits both;
  // a job must neither be shielded from the OOM killer nor outrank the services. Raising both
  // values needs no privilege, but do it while still root anyway.
  int oom_fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom_fd >= 0) {
    if (::write(oom_fd, "0", 1) != 1) child_fail(report_fd, Step::kOomScoreAdj);
    ::close(oom_fd);
  } else if (errno != ENOENT) {  // ENOENT: no /proc here, nothing was inherited through it
    child_fail(report_fd, Step::kOomScoreAdj);
  }
  if (::setpriority(PRIO_PROCESS, 0, 0) != 0) child_fail(report_fd, Step::kPriority);
  // Raw syscalls: glibc's set*id() broadcasts to every thread it believes exists, and after a raw
  // clone3 its thread list still names the daemon's threads. The child is single-threaded.
  if (plan.change_ids) {
    if (::syscall(SYS_setgroups, plan.group_count, plan.groups) != 0) {
      child_fail(report_fd, Step::kSetgroups);
    }
    if (plan.gid && ::syscall(SYS_setresgid, *plan.gid, *plan.gid, *plan.gid) != 0) {
      child_fail(report_fd, Step::kSetgid);
    }
    if (plan.uid && ::syscall(SYS_setresuid, *plan.uid, *plan.uid, *plan.uid) != 0) {
      child_fail(report_fd, Step::kSetuid);
    }
  }
  // After dropping privileges, so the user's own permissions decide whether the cwd is usable.
  if (::chdir(plan.cwd) != 0) child_fail(report_fd, Step::kChdir);

  bool got_eacces = false;
  int error = ENOENT;
  for (std::string& candidate : plan.candidates) {
    ::execve(candidate.c_str(), plan.argv.data(), plan.envp.data());
    if (errno == ENOEXEC) {  // a script without #!: execvpe hands it to /bin/sh
      plan.shell_argv[1] = candidate.data();
      ::execve("/bin/sh", plan.shell_argv.data(), plan.envp.data());
      errno = ENOEXEC;
    }
    error = errno;
    if (error == EACCES) {
      got_eacces = true;
    } else if (error != ENOENT && error != ESTALE && error != ENOTDIR && error != ENODEV &&
               error != ETIMEDOUT) {
      break;  // execvpe stops here; the others mean "try the next PATH element"
    }
  }
  errno = got_eacces && (error == ENOENT || error == ESTALE || error == ENOTDIR ||
                         error == ENODEV || error == ETIMEDOUT || error == EACCES)
              ? EACCES
              : error;
  child_fail(report_fd, Step::kExec);
}

std::string step_text(Step step, const SpawnRequest& request) {
  switch (step) {
    case Step::kCgroup:
      return "join cgroup " + request.cgroup_dir + "/cgroup.procs";
    case Step::kSetsid:
      return "setsid";
    case Step::kSignals:
      return "reset signal mask";
    case Step::kStdio:
      return "redirect stdio to " + request.log_path;
    case Step::kCloseFds:
      return "close inherited fds";
    case Step::kOomScoreAdj:
      return "write 0 to /proc/self/oom_score_adj";
    case Step::kPriority:
      return "setpriority 0";
    case Step::kSetgroups:
      return "setgroups";
    case Step::kSetgid:
      return "setgid " + std::to_string(request.gid.value_or(0));
    case Step::kSetuid:
      return "setuid " + std::to_string(request.uid.value_or(0));
    case Step::kChdir:
      return "chdir " + (request.cwd.empty() ? std::string("/") : request.cwd);
    case Step::kExec:
      return "exec " + request.argv[0];
  }
  return "step " + std::to_string(static_cast<int>(step));
}

// Blocks every signal in the calling thread for the clone, so no handler of the daemon runs in
// the child before it has reset the dispositions; restores the mask at scope end.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~AllSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t saved_;
};

// clone3 straight into the cgroup. Returns the pid (>0), or -errno.
long clone_into_cgroup(ChildPlan& plan, int cgroup_fd, int* pidfd) {
  CloneArgs args{};
  args.flags = CLONE_INTO_CGROUP | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<std::uintptr_t>(pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) run_child(plan);
  return pid < 0 ? -errno : pid;
}

Status reap_failed_child(int pidfd, pid_t pid) {
  siginfo_t info{};
  int rc;
  do {
    rc = pidfd >= 0 ? ::waitid(kIdtypePidfd, static_cast<id_t>(pidfd), &info, WEXITED)
                    : ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Error::from_errno("reap failed job child " + std::to_string(pid));
  return {};
}

}  // namespace

void set_spawn_force_fallback_for_testing(bool force) { g_force_fallback = force; }

Result<SpawnedProcess> spawn_in_cgroup(const SpawnRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) {
    return Error{std::make_error_code(std::errc::invalid_argument), "spawn job: empty argv"};
  }
  if (request.cgroup_dir.empty() || request.log_path.empty()) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 "spawn job: cgroup directory and log path are required"};
  }
  Fd cgroup_fd(::open(request.cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (cgroup_fd.get() < 0) return Error::from_errno("open job cgroup " + request.cgroup_dir);
  Fd log_fd(
      ::open(request.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640));
  if (log_fd.get() < 0) return Error::from_errno("open job log " + request.log_path);
  // The log is the job owner's: a non-root caller reads it without asking adrg, and nobody but
  // root and the owner's group can. fchmod too: O_CREAT's mode passes through the daemon's umask.
  if ((request.uid || request.gid) &&
      ::fchown(log_fd.get(), request.uid ? *request.uid : static_cast<uid_t>(-1),
               request.gid ? *request.gid : static_cast<gid_t>(-1)) != 0) {
    return Error::from_errno("chown job log " + request.log_path);
  }
  if (::fchmod(log_fd.get(), 0640) != 0)
    return Error::from_errno("chmod job log " + request.log_path);
  Fd devnull_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull_fd.get() < 0) return Error::from_errno("open /dev/null");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Error::from_errno("pipe for the job's exec report");
  Fd report_read(pipe_fds[0]);
  Fd report_write(pipe_fds[1]);
  for (auto [fd, what] : {std::pair<Fd*, const char*>{&log_fd, "the job log"},
                          {&devnull_fd, "/dev/null"},
                          {&report_write, "the report pipe"}}) {
    if (auto moved = raise_above_stdio(*fd, what); !moved) return moved.error();
  }

  ChildPlan plan;
  plan.candidates = exec_candidates(request.argv[0], request.env);
  plan.argv = c_array(request.argv);
  plan.envp = c_array(request.env);
  plan.shell_argv.push_back(const_cast<char*>("/bin/sh"));
  plan.shell_argv.push_back(nullptr);  // the candidate, filled in by the child
  for (std::size_t i = 1; i < request.argv.size(); ++i) {
    plan.shell_argv.push_back(const_cast<char*>(request.argv[i].c_str()));
  }
  plan.shell_argv.push_back(nullptr);
  plan.cwd = request.cwd.empty() ? "/" : request.cwd.c_str();
  plan.devnull_fd = devnull_fd.get();
  plan.log_fd = log_fd.get();
  plan.report_fd = report_write.get();
  plan.change_ids = request.uid.has_value() || request.gid.has_value();
  plan.uid = request.uid;
  plan.gid = request.gid;
  plan.groups = request.groups.data();
  plan.group_count = request.groups.size();
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    plan.max_fd = static_cast<int>(std::min<rlim_t>(files.rlim_cur, 1 << 20));
  }

  SpawnedProcess spawned;
  int pidfd = -1;
  long pid = -ENOSYS;
  {
    AllSignalsBlocked blocked;
    if (!g_force_fallback && !g_clone3_unavailable) {
      pid = clone_into_cgroup(plan, cgroup_fd.get(), &pidfd);
      // ENOSYS: no clone3 (Linux < 5.3, or seccomp as in Docker's default profile); E2BIG/EINVAL:
      // a clone3 without CLONE_INTO_CGROUP (Linux < 5.7). Anything else is a real error
      // (EBUSY: the cgroup has controllers enabled for children, ...).
      if (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL) {
        g_clone3_unavailable = true;
      } else if (pid < 0) {
        return Error::from_errno("clone3 into cgroup " + request.cgroup_dir,
                                 static_cast<int>(-pid));
      } else {
        spawned.clone_into_cgroup = true;
      }
    }
    if (!spawned.clone_into_cgroup) {
      Fd procs_fd(::open((request.cgroup_dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
      if (procs_fd.get() < 0) {
        return Error::from_errno("open " + request.cgroup_dir + "/cgroup.procs");
      }
      if (auto moved = raise_above_stdio(procs_fd, "cgroup.procs"); !moved) return moved.error();
      plan.procs_fd = procs_fd.get();
      pid = ::fork();
      if (pid == 0) run_child(plan);
      if (pid < 0) return Error::from_errno("fork job " + request.argv[0]);
      // The syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.
      pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0U));
      if (pidfd < 0) {
        // Without a pidfd the caller cannot watch the job; undo the start.
        Error error = Error::from_errno("pidfd_open " + std::to_string(pid));
        ::kill(static_cast<pid_t>(pid), SIGKILL);
        (void)reap_failed_child(-1, static_cast<pid_t>(pid));
        return error;
      }
    }
  }
  spawned.pid = static_cast<pid_t>(pid);
  spawned.pidfd = pidfd;
  report_write.reset();  // else the read below never sees EOF

  ChildReport report;
  std::size_t got = 0;
  while (got < sizeof report) {
    ssize_t n =
        ::read(report_read.get(), reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got == 0) return spawned;  // EOF: the exec closed the CLOEXEC pipe

  Status reaped = reap_failed_child(pidfd, spawned.pid);
  ::close(pidfd);
  if (got != sizeof report) {
    return Error{std::make_error_code(std::errc::protocol_error),
                 "job " + request.argv[0] + ": short report from the child"};
  }
  (void)reaped;  // the exec error below is the one that matters
  return Error::from_errno(
      "job " + request.argv[0] + ": " + step_text(static_cast<Step>(report.step), request),
      report.err);
}

Result<std::optional<ExitInfo>> reap_pidfd(int pidfd) {
  siginfo_t info{};
  int rc;
  do {
    rc = ::waitid(kIdtypePidfd, static_cast<id_t>(pidfd), &info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return Error::from_errno("waitid on job pidfd " + std::to_string(pidfd));
  if (info.si_pid == 0) return std::optional<ExitInfo>();  // WNOHANG: still running
  ExitInfo exit;
  switch (info.si_code) {
    case CLD_EXITED:
      exit.exit_code = info.si_status;
      break;
    case CLD_DUMPED:
      exit.core_dumped = true;
      [[fallthrough]];
    case CLD_KILLED:
      exit.signal = info.si_status;
      break;
    default:
      break;
  }
  return std::optional<ExitInfo>(exit);
}

}  // namespace adrg

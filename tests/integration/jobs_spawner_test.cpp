// job_spawner and job_cgroup on the real host cgroup2 hierarchy, with real programs (sh, cat, id,
// sleep). Every spawner test runs twice: clone3(CLONE_INTO_CGROUP) and the fork + cgroup.procs
// fallback. Needs root (writable cgroup2); skips loudly otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/fs.h"
#include "jobs/job_cgroup.h"
#include "jobs/job_spawner.h"
#include "tests/support/cgroup2.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using std::chrono::seconds;
using testing::TempDir;
using testing::wait_until;

std::string read_file(const std::string& path) {
  auto text = read_text_file(path);
  return text ? *text : "";
}

std::vector<std::string> procs_of(const std::string& cgroup_dir) {
  std::istringstream in(read_file(cgroup_dir + "/cgroup.procs"));
  std::vector<std::string> out;
  for (std::string pid; in >> pid;) out.push_back(pid);
  return out;
}

class JobSpawnerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string mount = testing::find_freezable_cgroup2();
    if (mount.empty()) GTEST_SKIP() << "needs root and a writable cgroup2 mount";
    static std::atomic<int> counter{0};
    mount_ = mount;
    parent_ = mount + "/adrg-jobspawn-test-" + std::to_string(::getpid()) + "-" +
              std::to_string(counter++);
    ASSERT_EQ(::mkdir(parent_.c_str(), 0755), 0) << parent_;
    set_spawn_force_fallback_for_testing(GetParam());
  }

  void TearDown() override {
    set_spawn_force_fallback_for_testing(false);
    for (int fd : pidfds_) ::close(fd);
    if (parent_.empty()) return;
    testing::remove_cgroup_tree(parent_);
    EXPECT_FALSE(std::filesystem::exists(parent_)) << parent_;
  }

  std::string jobs_root() const { return parent_ + "/jobs"; }

  std::string make_cgroup(const std::string& id) {
    auto dir = create_job_cgroup(jobs_root(), id, {});
    EXPECT_TRUE(dir) << dir.error().describe();
    return dir ? *dir : "";
  }

  SpawnRequest request(const std::string& id, std::vector<std::string> argv) {
    SpawnRequest req;
    req.cgroup_dir = make_cgroup(id);
    req.argv = std::move(argv);
    req.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
    req.log_path = logs_.path() + "/" + id + ".log";
    return req;
  }

  SpawnedProcess spawn(const SpawnRequest& req) {
    auto spawned = spawn_in_cgroup(req);
    EXPECT_TRUE(spawned) << spawned.error().describe();
    if (!spawned) return {};
    pidfds_.push_back(spawned->pidfd);
    EXPECT_EQ(spawned->clone_into_cgroup, !GetParam());
    return *spawned;
  }

  std::optional<ExitInfo> wait_exit(const SpawnedProcess& process) {
    std::optional<ExitInfo> exit;
    wait_until(
        [&] {
          auto reaped = reap_pidfd(process.pidfd);
          EXPECT_TRUE(reaped) << reaped.error().describe();
          if (reaped && reaped->has_value()) exit = **reaped;
          return exit.has_value() || !reaped;
        },
        seconds(15));
    return exit;
  }

  // Runs a job to its end and returns its log.
  std::string run(const SpawnRequest& req, int expect_exit = 0) {
    auto process = spawn(req);
    if (process.pid <= 0) return "";
    auto exit = wait_exit(process);
    EXPECT_TRUE(exit.has_value());
    if (exit) {
      EXPECT_EQ(exit->exit_code, expect_exit);
    }
    return read_file(req.log_path);
  }

  // "0::/adrg-jobspawn-test-.../jobs/ID" as /proc/PID/cgroup shows it.
  std::string cgroup_line(const std::string& cgroup_dir) const {
    return "0::" + cgroup_dir.substr(mount_.size()) + "\n";
  }

  std::string mount_;
  std::string parent_;
  TempDir logs_;
  std::vector<int> pidfds_;
};

TEST_P(JobSpawnerTest, ProcessStartsInsideItsCgroup) {
  // cat reads its own cgroup as its very first act: nothing could have moved it there later.
  auto req = request("incgroup", {"cat", "/proc/self/cgroup"});
  std::string log = run(req);
  EXPECT_NE(log.find(cgroup_line(req.cgroup_dir)), std::string::npos) << log;
}

TEST_P(JobSpawnerTest, ProcessIsInTheCgroupWhileItRuns) {
  auto req = request("running", {"sleep", "300"});
  auto process = spawn(req);
  ASSERT_GT(process.pid, 0);
  EXPECT_EQ(procs_of(req.cgroup_dir), std::vector<std::string>{std::to_string(process.pid)});
  EXPECT_NE(read_file("/proc/" + std::to_string(process.pid) + "/cgroup")
                .find(cgroup_line(req.cgroup_dir)),
            std::string::npos);
  auto reaped = reap_pidfd(process.pidfd);
  ASSERT_TRUE(reaped) << reaped.error().describe();
  EXPECT_FALSE(reaped->has_value()) << "reap_pidfd must say nullopt while the job runs";
  // remove refuses while the job runs; kill ends it with SIGKILL.
  auto removed = remove_job_cgroup(req.cgroup_dir);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, std::errc::device_or_resource_busy);
  ASSERT_TRUE(kill_job_cgroup(req.cgroup_dir));
  auto exit = wait_exit(process);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGKILL);
  ASSERT_TRUE(wait_until([&] { return procs_of(req.cgroup_dir).empty(); }));
  EXPECT_TRUE(remove_job_cgroup(req.cgroup_dir));
  EXPECT_FALSE(std::filesystem::exists(req.cgroup_dir));
}

TEST_P(JobSpawnerTest, ExitCodeAndTerminatingSignal) {
  run(request("exit3", {"sh", "-c", "exit 3"}), 3);
  auto process = spawn(request("term", {"sh", "-c", "kill -TERM $$"}));
  ASSERT_GT(process.pid, 0);
  auto exit = wait_exit(process);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(exit->exit_code, 0);
}

TEST_P(JobSpawnerTest, MissingBinaryIsAnErrorWithErrnoAndLeavesNoProcess) {
  for (std::string binary : {"adrg-no-such-binary", "/nonexistent/adrg-no-such-binary"}) {
    auto req = request("missing" + std::to_string(binary.size()), {binary, "arg"});
    auto spawned = spawn_in_cgroup(req);
    ASSERT_FALSE(spawned);
    EXPECT_EQ(spawned.error().code, std::errc::no_such_file_or_directory);
    std::string text = spawned.error().describe();
    EXPECT_NE(text.find("exec " + binary), std::string::npos) << text;
    EXPECT_NE(text.find("No such file or directory"), std::string::npos) << text;
    EXPECT_TRUE(procs_of(req.cgroup_dir).empty());
  }
  // The failed child was reaped: no zombie child of ours is left.
  siginfo_t info{};
  EXPECT_EQ(::waitid(P_ALL, 0, &info, WEXITED | WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST_P(JobSpawnerTest, NotExecutableIsEacces) {
  std::string script = logs_.write("plain.txt", "echo hi\n");
  auto spawned = spawn_in_cgroup(request("noexec", {script}));
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().code, std::errc::permission_denied) << spawned.error().describe();
}

TEST_P(JobSpawnerTest, BadCwdIsAnError) {
  auto req = request("badcwd", {"true"});
  req.cwd = "/nonexistent-adrg-cwd";
  auto spawned = spawn_in_cgroup(req);
  ASSERT_FALSE(spawned);
  std::string text = spawned.error().describe();
  EXPECT_NE(text.find("chdir /nonexistent-adrg-cwd: No such file or directory"), std::string::npos)
      << text;
}

TEST_P(JobSpawnerTest, StdoutAndStderrAppendToTheLogInOrder) {
  auto req = request("output", {"sh", "-c", "echo one; echo two >&2; echo three; echo four >&2"});
  logs_.write("output.log", "earlier\n");
  EXPECT_EQ(run(req), "earlier\none\ntwo\nthree\nfour\n");
  auto fresh = request("fresh", {"echo", "x"});
  EXPECT_EQ(run(fresh), "x\n");
  struct stat st {};
  ASSERT_EQ(::stat(fresh.log_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_P(JobSpawnerTest, EnvironmentAndCwdAreTheRequestsOnly) {
  ::setenv("ADRG_DAEMON_ONLY", "leak", 1);
  auto req = request("env", {"sh", "-c", "echo \"x=$ADRG_X daemon=$ADRG_DAEMON_ONLY\"; pwd"});
  req.env.push_back("ADRG_X=hello world");
  req.cwd = logs_.path();
  EXPECT_EQ(run(req), "x=hello world daemon=\n" + logs_.path() + "\n");
  ::unsetenv("ADRG_DAEMON_ONLY");
  EXPECT_EQ(run(request("root-cwd", {"pwd"})), "/\n");
}

TEST_P(JobSpawnerTest, PathIsSearchedFromTheJobsEnvironment) {
  std::string bin = logs_.mkdir("bin");
  std::string tool = logs_.write("bin/adrg-test-tool", "#!/bin/sh\necho \"tool $1\"\n");
  ::chmod(tool.c_str(), 0755);
  // A script without #! is run by /bin/sh, as execvpe does.
  std::string bare = logs_.write("bin/adrg-bare-script", "echo \"bare $1\"\n");
  ::chmod(bare.c_str(), 0755);
  auto req = request("path", {"adrg-test-tool", "ran"});
  req.env = {"PATH=/nonexistent:" + bin};
  EXPECT_EQ(run(req), "tool ran\n");
  auto script = request("bare", {"adrg-bare-script", "ran"});
  script.env = {"PATH=" + bin};
  EXPECT_EQ(run(script), "bare ran\n");
  auto missing = request("nopath", {"adrg-test-tool"});  // not on the default /bin:/usr/bin
  missing.env = {};
  EXPECT_FALSE(spawn_in_cgroup(missing));
}

TEST_P(JobSpawnerTest, DropsToTheRequestedUserAndGroups) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change ids";
  auto req = request("nobody", {"sh", "-c", "id -u; id -g; id -G"});
  req.uid = 65534;
  req.gid = 65534;
  req.groups = {65534};
  EXPECT_EQ(run(req), "65534\n65534\n65534\n");
  // The log is the job's owner's, 0640 (the umask has no say), so the owner reads it directly.
  struct stat st {};
  ASSERT_EQ(::stat(req.log_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  // The cwd is entered as the user: a root-only directory is refused.
  std::string secret = logs_.mkdir("root-only");
  ::chmod(secret.c_str(), 0700);
  auto denied = request("denied", {"true"});
  denied.uid = 65534;
  denied.gid = 65534;
  denied.cwd = secret;
  auto spawned = spawn_in_cgroup(denied);
  ASSERT_FALSE(spawned);
  EXPECT_EQ(spawned.error().code, std::errc::permission_denied) << spawned.error().describe();
  EXPECT_NE(spawned.error().describe().find("chdir " + secret), std::string::npos);
}

TEST_P(JobSpawnerTest, DoesNotInheritSignalMaskIgnoredSignalsOrFds) {
  // What the daemon does: SIGHUP/SIGTERM/SIGINT blocked for its signalfd, SIGPIPE ignored, and
  // some fd a library opened without O_CLOEXEC.
  sigset_t daemon_mask, saved;
  sigemptyset(&daemon_mask);
  for (int sig : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&daemon_mask, sig);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &daemon_mask, &saved), 0);
  auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  std::string leaked_path = logs_.write("leaked-fd-marker", "");
  // Deliberately inheritable, and high: a low number would be overwritten by the child's own dup2s.
  int leaked = ::fcntl(::open(leaked_path.c_str(), O_RDONLY | O_CLOEXEC), F_DUPFD, 100);
  ASSERT_GE(leaked, 100);

  auto status = request("status", {"cat", "/proc/self/status"});
  std::string log = run(status);
  auto fds = request("fds", {"ls", "-l", "/proc/self/fd/"});
  std::string fd_list = run(fds);

  ::close(leaked);
  ::signal(SIGPIPE, old_pipe);
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  EXPECT_NE(log.find("SigBlk:\t0000000000000000\n"), std::string::npos) << log;
  EXPECT_NE(log.find("SigIgn:\t0000000000000000\n"), std::string::npos) << log;
  EXPECT_EQ(fd_list.find(leaked_path), std::string::npos) << fd_list;
  // Only stdio and ls's own directory fd (3): nothing of the test process came along.
  std::set<std::string> numbers;
  std::istringstream lines(fd_list);
  for (std::string line; std::getline(lines, line);) {
    auto arrow = line.find(" -> ");
    if (arrow == std::string::npos) continue;
    numbers.insert(
        line.substr(line.rfind(' ', arrow - 1) + 1, arrow - line.rfind(' ', arrow - 1) - 1));
  }
  EXPECT_EQ(numbers, (std::set<std::string>{"0", "1", "2", "3"})) << fd_list;
  EXPECT_NE(fd_list.find(" 0 -> /dev/null"), std::string::npos) << fd_list;
  EXPECT_NE(fd_list.find(" 1 -> " + fds.log_path), std::string::npos) << fd_list;
  EXPECT_NE(fd_list.find(" 2 -> " + fds.log_path), std::string::npos) << fd_list;
  // A new session: the job is its own session and process group leader.
  auto session = request("session", {"sh", "-c", "ps -o pid=,sid=,pgid= -p $$"});
  std::istringstream in(run(session));
  long pid = 0, sid = 0, pgid = 0;
  in >> pid >> sid >> pgid;
  EXPECT_GT(pid, 0);
  EXPECT_EQ(sid, pid);
  EXPECT_EQ(pgid, pid);
}

TEST_P(JobSpawnerTest, DoesNotInheritTheDaemonsOomShieldOrPriority) {
  // What adrg.service gives the daemon: OOMScoreAdjust=-900, Nice=-5 (nice is per thread).
  // Without CAP_SYS_RESOURCE (some containers) the test process cannot go below 0; any value
  // other than 0 shows whether the job inherits it.
  std::string saved_adj = trim(read_file("/proc/self/oom_score_adj"));
  int saved_nice = ::getpriority(PRIO_PROCESS, 0);
  if (!write_kernel_file("/proc/self/oom_score_adj", "-900")) {
    ASSERT_TRUE(write_kernel_file("/proc/self/oom_score_adj", "500"));
  }
  ASSERT_NE(trim(read_file("/proc/self/oom_score_adj")), "0");
  ASSERT_EQ(::setpriority(PRIO_PROCESS, 0, -5), 0) << "needs CAP_SYS_NICE";
  auto req = request("unshielded", {"sh", "-c", "cat /proc/self/oom_score_adj; nice"});
  std::string log = run(req);
  EXPECT_TRUE(write_kernel_file("/proc/self/oom_score_adj", saved_adj));
  ::setpriority(PRIO_PROCESS, 0, saved_nice);
  EXPECT_EQ(log, "0\n0\n");
}

TEST_P(JobSpawnerTest, KillJobCgroupKillsForkedGrandchildren) {
  auto req = request("tree", {"sh", "-c", "sleep 300 & echo $!; wait"});
  auto process = spawn(req);
  ASSERT_GT(process.pid, 0);
  ASSERT_TRUE(wait_until([&] { return procs_of(req.cgroup_dir).size() == 2; }));
  ASSERT_TRUE(kill_job_cgroup(req.cgroup_dir));
  auto exit = wait_exit(process);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_TRUE(wait_until([&] { return procs_of(req.cgroup_dir).empty(); }));
  EXPECT_TRUE(wait_until(
      [&] { return read_file(req.cgroup_dir + "/cgroup.events").find("populated 0") == 0; }));
}

TEST_P(JobSpawnerTest, SignalFallbackKillsForkedGrandchildren) {
  // What kill_job_cgroup does on kernels without cgroup.kill (< 5.14).
  auto req = request("tree-signal", {"sh", "-c", "sleep 300 & sleep 300 & wait"});
  auto process = spawn(req);
  ASSERT_GT(process.pid, 0);
  ASSERT_TRUE(wait_until([&] { return procs_of(req.cgroup_dir).size() == 3; }));
  Status killed = kill_cgroup_procs(req.cgroup_dir);
  ASSERT_TRUE(killed) << killed.error().describe();
  EXPECT_TRUE(procs_of(req.cgroup_dir).empty());
  auto exit = wait_exit(process);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGKILL);
}

INSTANTIATE_TEST_SUITE_P(Paths, JobSpawnerTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ForkFallback" : "Clone3IntoCgroup";
                         });

// create_job_cgroup against the real kernel: controllers are enabled where the host offers them
// and refused by name where it does not (the hybrid host's cgroup2 offers none).
TEST(JobCgroupKernel, LimitsNeedTheMemoryController) {
  std::string mount = testing::find_freezable_cgroup2();
  if (mount.empty()) GTEST_SKIP() << "needs root and a writable cgroup2 mount";
  std::string parent = mount + "/adrg-jobcgroup-test-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(parent.c_str(), 0755), 0);
  JobLimits limits;
  limits.memory_max = 64 << 20;
  auto dir = create_job_cgroup(parent + "/jobs", "limited", limits);
  bool offered = read_file(parent + "/cgroup.controllers").find("memory") != std::string::npos;
  if (offered) {
    ASSERT_TRUE(dir) << dir.error().describe();
    EXPECT_EQ(trim(read_file(*dir + "/memory.max")), std::to_string(64 << 20));
    auto kills = read_oom_kills(*dir);
    ASSERT_TRUE(kills) << kills.error().describe();
    EXPECT_EQ(*kills, 0u);
  } else {
    ASSERT_FALSE(dir);
    std::string text = dir.error().describe();
    EXPECT_NE(text.find("'memory'"), std::string::npos) << text;
    EXPECT_NE(text.find("/cgroup.controllers"), std::string::npos) << text;
    EXPECT_FALSE(std::filesystem::exists(parent + "/jobs/limited"));
  }
  testing::remove_cgroup_tree(parent);
  EXPECT_FALSE(std::filesystem::exists(parent));
}

}  // namespace
}  // namespace adrg

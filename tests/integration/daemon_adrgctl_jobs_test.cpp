// The real adrgctl binary against the real adrg process over its unix socket, running jobs in
// the host's cgroup2 hierarchy: run -> jobs -> logs -> wait (exit status propagated) -> kill ->
// remove, run --wait, logs --follow, a server 4xx printed with exit 1, and a non-root caller's
// log: capped, its own, served to it and root only. Needs root (jobs are started in cgroup2
// directories); skips loudly otherwise.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "tests/support/cgroup2.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::CommandResult;
using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;
const std::string kAdrgctl = ADRG_CTL_BIN;

class AdrgctlJobs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string mount = testing::find_freezable_cgroup2();
    if (mount.empty()) GTEST_SKIP() << "needs root and a writable cgroup2 mount";
    cgroup_parent_ = mount + "/adrg-ctl-jobs-test-" + std::to_string(::getpid());
    testing::DaemonConfig config(dir_);
    config.port = testing::free_tcp_port();
    config.extra =
        "jobs:\n"
        "  enabled: true\n"
        "  cgroup_root: " +
        cgroup_parent_ +
        "/jobs\n"
        "  state_dir: " +
        dir_.path() +
        "/jobs\n"
        "  max_log_bytes: 64K\n";
    std::string config_path = dir_.write("config.yaml", daemon_yaml(config));
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_path}, dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] { return ctl("jobs").exit_code == 0; })) << daemon_->log();
  }

  void TearDown() override {
    if (daemon_) {
      daemon_->signal(SIGTERM);
      EXPECT_EQ(daemon_->wait_exit(), 0) << daemon_->log();
    }
    if (!cgroup_parent_.empty()) testing::remove_cgroup_tree(cgroup_parent_);
  }

  // adrgctl over the daemon's unix socket, run from `cwd`.
  CommandResult ctl(const std::string& args, const std::string& cwd = "/") {
    return run_command("cd " + cwd + " && " + kAdrgctl + " --socket " + dir_.path() +
                       "/adrg.sock " + args);
  }

  testing::TempDir dir_;
  std::string cgroup_parent_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(AdrgctlJobs, RunListLogsWaitKillRemove) {
  auto run =
      ctl("run --id hello --tier 3 --env ADRG_GREETING=hi -- sh -c "
          "'echo \"out $ADRG_GREETING $(pwd)\"; echo err >&2; cat /proc/self/cgroup'",
          dir_.path());
  ASSERT_EQ(run.exit_code, 0) << run.output << daemon_->log();
  EXPECT_NE(run.output.find("hello: "), std::string::npos) << run.output;

  auto wait = ctl("wait hello");
  EXPECT_EQ(wait.exit_code, 0) << wait.output;
  EXPECT_NE(wait.output.find("hello: exited with status 0"), std::string::npos) << wait.output;

  auto list = ctl("jobs");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("hello"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("exited"), std::string::npos) << list.output;

  // The caller's cwd and --env reached the job; stdout and stderr in order; its cgroup.
  auto logs = ctl("logs hello");
  EXPECT_EQ(logs.exit_code, 0) << logs.output;
  EXPECT_EQ(logs.output.rfind("out hi " + dir_.path() + "\nerr\n", 0), 0u) << logs.output;
  std::string v2_line =
      "\n0::" + cgroup_parent_.substr(cgroup_parent_.rfind('/')) + "/jobs/hello\n";
  EXPECT_NE(logs.output.find(v2_line), std::string::npos) << logs.output;

  auto inspect = ctl("inspect hello --json");
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("\"exit_code\":0"), std::string::npos) << inspect.output;

  ASSERT_EQ(ctl("run --id sleeper --tier 3 -- sh -c 'sleep 300 & wait'").exit_code, 0);
  auto killed = ctl("kill sleeper");
  EXPECT_EQ(killed.exit_code, 0) << killed.output;
  auto waited = ctl("wait sleeper --timeout 20");
  EXPECT_EQ(waited.exit_code, 128 + SIGKILL) << waited.output;
  EXPECT_NE(waited.output.find("sleeper: killed by SIGKILL"), std::string::npos) << waited.output;

  auto removed = ctl("remove sleeper");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  auto gone = ctl("inspect sleeper");
  EXPECT_EQ(gone.exit_code, 1) << gone.output;
  EXPECT_NE(gone.output.find("HTTP 404"), std::string::npos) << gone.output;
  EXPECT_EQ(ctl("jobs").output.find("sleeper"), std::string::npos);
}

TEST_F(AdrgctlJobs, RunWaitPropagatesTheExitStatus) {
  auto three = ctl("run --wait --id three --tier 3 -- sh -c 'exit 3'");
  EXPECT_EQ(three.exit_code, 3) << three.output;
  EXPECT_NE(three.output.find("three: exited with status 3"), std::string::npos) << three.output;
  auto term = ctl("run --wait --id term --tier 2 -- sh -c 'kill -TERM $$'");
  EXPECT_EQ(term.exit_code, 128 + SIGTERM) << term.output;
}

TEST_F(AdrgctlJobs, WaitTimesOutWhileTheJobRuns) {
  ASSERT_EQ(ctl("run --id long --tier 3 -- sleep 300").exit_code, 0);
  auto wait = ctl("wait long --timeout 1");
  EXPECT_EQ(wait.exit_code, 124) << wait.output;
  EXPECT_NE(wait.output.find("still running"), std::string::npos) << wait.output;
  EXPECT_EQ(ctl("kill long").exit_code, 0);
}

TEST_F(AdrgctlJobs, LogsFollowPrintsUntilTheEnd) {
  // The job ends only after `b` is written a while later: --follow must wait for it.
  ASSERT_EQ(ctl("run --id chatty --tier 3 -- sh -c 'echo a; sleep 1; echo b'").exit_code, 0);
  auto follow = ctl("logs chatty --follow");
  EXPECT_EQ(follow.exit_code, 0) << follow.output;
  EXPECT_EQ(follow.output, "a\nb\n");
}

TEST_F(AdrgctlJobs, ServerErrorsArePrintedWithExit1) {
  auto bad_tier = ctl("run --id t0 --tier 0 -- true");
  EXPECT_EQ(bad_tier.exit_code, 1) << bad_tier.output;
  EXPECT_NE(bad_tier.output.find("HTTP 400"), std::string::npos) << bad_tier.output;
  auto bad_id = ctl("run --id ../x --tier 3 -- true");
  EXPECT_EQ(bad_id.exit_code, 1) << bad_id.output;
  auto missing = ctl("wait no-such-job");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find("HTTP 404"), std::string::npos) << missing.output;
  // Client-side: a size the config's parser rejects never reaches the server.
  auto bad_size = ctl("run --id s --tier 3 --memory-max 1.5 -- true");
  EXPECT_EQ(bad_size.exit_code, 1) << bad_size.output;
  EXPECT_NE(bad_size.output.find("--memory-max"), std::string::npos) << bad_size.output;
  auto unreachable = run_command(kAdrgctl + " --socket " + dir_.path() + "/nope.sock jobs");
  EXPECT_EQ(unreachable.exit_code, 2) << unreachable.output;
}

TEST_F(AdrgctlJobs, ALogIsCappedOwnedByItsCallerAndServedOnlyToItAndRoot) {
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "SKIPPED: no user 'nobody' to run a non-root job as";
  if (run_command("command -v setpriv").exit_code != 0) GTEST_SKIP() << "SKIPPED: no setpriv";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  const uid_t stranger = uid - 1;  // neither root nor the job's owner
  // Let other uids reach the socket, as an admin would with its group: mkdtemp made the
  // directory 0700 and adrg the socket 0660.
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0711), 0);
  ASSERT_EQ(::chmod((dir_.path() + "/adrg.sock").c_str(), 0666), 0);
  auto as = [&](uid_t u, gid_t g, const std::string& command) {
    return run_command(
        fmt::format("cd / && setpriv --reuid={} --regid={} --clear-groups {}", u, g, command));
  };
  const std::string adrgctl = kAdrgctl + " --socket " + dir_.path() + "/adrg.sock ";

  // 588,895 bytes from seq, 9 times the 64 KiB cap, then the job stays running: the cap holds
  // while it runs, not only at its end.
  auto run =
      as(uid, gid, adrgctl + "run --id flood --tier 3 -- sh -c 'seq 1 100000; exec sleep 300'");
  ASSERT_EQ(run.exit_code, 0) << run.output << daemon_->log();
  std::string expected;
  for (int i = 1; i <= 100000; ++i) expected += std::to_string(i) + "\n";
  const std::string log = dir_.path() + "/jobs/flood.log";
  auto log_size = [&]() -> long long {
    struct stat st {};
    return ::stat(log.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
  };
  EXPECT_TRUE(wait_until([&] {
    auto text = dir_.read("jobs/flood.log");
    return text.ends_with("\n100000\n") && text.size() <= 64 * 1024;
  })) << "size "
      << log_size() << "\n"
      << daemon_->log();
  ASSERT_EQ(ctl("kill flood").exit_code, 0);
  ASSERT_EQ(ctl("wait flood --timeout 20").exit_code, 128 + SIGKILL);

  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 64 * 1024);
  EXPECT_EQ(st.st_uid, uid);
  EXPECT_EQ(st.st_gid, gid);
  EXPECT_EQ(st.st_mode & 07777, 0640u);

  // Root: the newest bytes exactly, and on stderr how many older ones were dropped.
  auto root = run_command(adrgctl + "logs flood 2>" + dir_.path() + "/logs.err");
  ASSERT_EQ(root.exit_code, 0) << root.output.substr(0, 200) << dir_.read("logs.err");
  EXPECT_EQ(root.output.size(), static_cast<std::size_t>(st.st_size));
  EXPECT_GT(root.output.size(), 32u * 1024);
  EXPECT_TRUE(expected.ends_with(root.output)) << root.output.substr(0, 200);
  EXPECT_NE(dir_.read("logs.err")
                .find(fmt::format("flood: {} bytes of older output were dropped",
                                  expected.size() - root.output.size())),
            std::string::npos)
      << dir_.read("logs.err");
  auto inspect = ctl("inspect flood --json");
  EXPECT_NE(
      inspect.output.find(fmt::format("\"log_dropped\":{}", expected.size() - root.output.size())),
      std::string::npos)
      << inspect.output;

  // The owner: over the socket, and straight from the file.
  auto own = as(uid, gid, adrgctl + "logs flood");
  EXPECT_EQ(own.exit_code, 0) << own.output.substr(0, 200);
  EXPECT_TRUE(own.output.ends_with(root.output)) << own.output.substr(0, 200);
  auto direct = as(uid, gid, "cat " + log);
  EXPECT_EQ(direct.exit_code, 0) << direct.output.substr(0, 200);
  EXPECT_TRUE(direct.output == root.output) << direct.output.substr(0, 200);

  // Anyone else: 403 over the socket, and the file's mode says no as well.
  auto other = as(stranger, stranger, adrgctl + "logs flood");
  EXPECT_EQ(other.exit_code, 1) << other.output.substr(0, 200);
  EXPECT_NE(other.output.find("HTTP 403"), std::string::npos) << other.output.substr(0, 200);
  EXPECT_NE(other.output.find(fmt::format("readable only by its owner (uid {}) and root", uid)),
            std::string::npos)
      << other.output.substr(0, 200);
  EXPECT_EQ(other.output.find("100000"), std::string::npos) << other.output.substr(0, 200);
  EXPECT_NE(as(stranger, stranger, "cat " + log).exit_code, 0);
}

}  // namespace
}  // namespace adrg

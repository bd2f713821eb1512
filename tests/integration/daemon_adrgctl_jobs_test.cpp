// The real adrgctl binary against the real adrg process over its unix socket, running jobs in
// the host's cgroup2 hierarchy: run -> jobs -> logs -> wait (exit status propagated) -> kill ->
// remove, run --wait, logs --follow, and a server 4xx printed with exit 1. Needs root (jobs are
// started in cgroup2 directories); skips loudly otherwise.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "tests/support/cgroup2.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::CommandResult;
using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_BINARY_DIR "/core/daemon/adrg";
const std::string kAdrgctl = ADRG_BINARY_DIR "/tools/adrgctl";

class AdrgctlJobs : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string mount = testing::find_freezable_cgroup2();
    if (mount.empty()) GTEST_SKIP() << "needs root and a writable cgroup2 mount";
    cgroup_parent_ = mount + "/adrg-ctl-jobs-test-" + std::to_string(::getpid());
    std::string config =
        "general:\n"
        "  poll_interval_seconds: 1\n"
        "  log_file: \"\"\n"
        "  journal_file: " +
        dir_.path() +
        "/journal.json\n"
        "  state_file: " +
        dir_.path() +
        "/state.json\n"
        "  thermal_root: " +
        dir_.path() +
        "/thermal\n"
        "  hwmon_root: " +
        dir_.path() +
        "/hwmon\n"
        "  docker_socket: \"\"\n"
        "  http_server:\n"
        "    enabled: true\n"
        "    host: 127.0.0.1\n"
        "    port: " +
        std::to_string(testing::free_tcp_port()) +
        "\n"
        "    unix_socket: " +
        dir_.path() +
        "/adrg.sock\n"
        "jobs:\n"
        "  enabled: true\n"
        "  cgroup_root: " +
        cgroup_parent_ +
        "/jobs\n"
        "  state_dir: " +
        dir_.path() + "/jobs\n";
    std::string config_path = dir_.write("config.yaml", config);
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

}  // namespace
}  // namespace adrg

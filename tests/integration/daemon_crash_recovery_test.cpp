// The promise that matters most: whatever happens to adrg, nothing it froze stays frozen.
// Real kernel: units are real cgroup v2 directories under the host's cgroup2 mount with a real
// process inside; freezing is observed in cgroup.events ("frozen 1"), as the kernel reports it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/fs.h"
#include "tests/support/cgroup2.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;

using testing::cgroup_frozen;
using testing::find_freezable_cgroup2;

class CrashRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string v2 = find_freezable_cgroup2();
    if (v2.empty()) GTEST_SKIP() << "no writable cgroup2 with cgroup.freeze on this machine";
    units_root_ = v2 + "/adrg-crash-" + std::to_string(::getpid());
    unit_ = units_root_ + "/bulk-job";
    ASSERT_EQ(::mkdir(units_root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(unit_.c_str(), 0755), 0);
    worker_ = ::fork();
    if (worker_ == 0) {
      ::execl("/bin/sleep", "sleep", "300", nullptr);
      ::_exit(127);
    }
    ASSERT_TRUE(write_kernel_file(unit_ + "/cgroup.procs", std::to_string(worker_)).ok());
    port_ = testing::free_tcp_port();
    testing::DaemonConfig config(dir_);
    config.poll_interval_seconds = std::nullopt;
    config.state_file = std::nullopt;
    config.cgroup_units_root = units_root_;
    config.thermal_root = dir_.path() + "/none";
    config.hwmon_root = dir_.path() + "/none";
    config.port = port_;
    config.unix_socket = "";
    config.extra =
        "tiers:\n"
        "  3: {name: Bulk, containers: [\"bulk-*\"], cpu_weight: 10, io_weight: 10}\n";
    config_ = dir_.write("config.yaml", daemon_yaml(config));
  }

  void TearDown() override {
    daemon_.reset();
    if (!unit_.empty()) (void)write_kernel_file(unit_ + "/cgroup.freeze", "0");
    if (worker_ > 0) {
      ::kill(worker_, SIGKILL);
      ::waitpid(worker_, nullptr, 0);
    }
    if (!unit_.empty()) {
      wait_until([&] { return ::rmdir(unit_.c_str()) == 0; }, std::chrono::seconds(5));
      ::rmdir(units_root_.c_str());
    }
  }

  void start_daemon() {
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_}, dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] {
      return run_command("curl -sf --max-time 1 http://127.0.0.1:" + std::to_string(port_) +
                         "/healthz")
                 .exit_code == 0;
    })) << daemon_->log();
  }

  void trigger(const std::string& event) {
    auto r = run_command("curl -sf --max-time 2 -X POST -d '{\"event\":\"" + event +
                         "\"}' http://127.0.0.1:" + std::to_string(port_) + "/trigger");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  testing::TempDir dir_;
  std::string units_root_;
  std::string unit_;
  pid_t worker_ = -1;
  int port_ = 0;
  std::string config_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(CrashRecovery, TriggerFreezesAndResumeThawsARealCgroup) {
  start_daemon();
  trigger("tier3_pause");
  EXPECT_TRUE(wait_until([&] { return cgroup_frozen(unit_); })) << daemon_->log();
  // The kernel's "frozen 1" edge reaches the daemon through inotify on cgroup.events.
  EXPECT_TRUE(wait_until([&] {
    return run_command("curl -s --max-time 1 http://127.0.0.1:" + std::to_string(port_) + "/status")
               .output.find("\"frozen\":true") != std::string::npos;
  })) << daemon_->log();
  EXPECT_TRUE(wait_until([&] {
    return daemon_->log().find("\"action\":\"frozen\"") != std::string::npos;
  })) << daemon_->log();
  trigger("tier3_resume");
  EXPECT_TRUE(wait_until([&] { return !cgroup_frozen(unit_); })) << daemon_->log();
}

TEST_F(CrashRecovery, SigtermThawsEverything) {
  start_daemon();
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(unit_); })) << daemon_->log();
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait_exit(), 0) << daemon_->log();
  EXPECT_FALSE(cgroup_frozen(unit_));
}

TEST_F(CrashRecovery, KilledDaemonIsUndoneByTheNextStart) {
  start_daemon();
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(unit_); })) << daemon_->log();
  daemon_->signal(SIGKILL);
  daemon_->wait_exit();
  ASSERT_TRUE(cgroup_frozen(unit_)) << "SIGKILL cannot thaw: the journal must";
  start_daemon();  // the manual pause died with the old process: nothing claims it any more
  EXPECT_TRUE(wait_until([&] { return !cgroup_frozen(unit_); })) << daemon_->log();
}

TEST_F(CrashRecovery, CleanupCommandThawsWhatAKilledDaemonFroze) {
  start_daemon();
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(unit_); })) << daemon_->log();
  daemon_->signal(SIGKILL);
  daemon_->wait_exit();
  ASSERT_TRUE(cgroup_frozen(unit_));
  auto r = run_command(kAdrg + " --cleanup --config " + config_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(wait_until([&] { return !cgroup_frozen(unit_); }));
}

TEST_F(CrashRecovery, DryRunNeverFreezes) {
  daemon_ = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{kAdrg, "--config", config_, "--dry-run"}, dir_.path() + "/adrg.log");
  ASSERT_TRUE(wait_until([&] {
    return run_command("curl -sf --max-time 1 http://127.0.0.1:" + std::to_string(port_) +
                       "/healthz")
               .exit_code == 0;
  }));
  trigger("tier3_pause");
  EXPECT_TRUE(wait_until([&] {
    return daemon_->log().find("\"action\":\"pause\"") != std::string::npos;
  })) << daemon_->log();
  EXPECT_FALSE(cgroup_frozen(unit_));
  EXPECT_NE(daemon_->log().find("dry-run"), std::string::npos);
}

}  // namespace
}  // namespace adrg

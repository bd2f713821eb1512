// Fault suite: kill -9 adrg at random moments while it enforces (right after a trigger, while
// the freezes are being written, after they settled), then recover the way an operator or
// systemd would: `adrg --cleanup` (ExecStopPost) or simply starting adrg again (its journal
// replay). Whatever the moment, no cgroup may stay frozen. Real kernel: units are cgroup v2
// directories under the host's cgroup2 mount with a real process inside. (The byte-exact restore
// of cpu.max/io.max/memory.* after kill -9 needs a pure v2 machine: the e2e VM checks it.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

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
constexpr int kTrials = 50;

using testing::cgroup_frozen;
using testing::find_freezable_cgroup2;

class Kill9Fault : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string v2 = find_freezable_cgroup2();
    if (v2.empty()) GTEST_SKIP() << "no writable cgroup2 with cgroup.freeze on this machine";
    if (::access(kAdrg.c_str(), X_OK) != 0) GTEST_SKIP() << kAdrg << " not built";
    root_ = v2 + "/adrg-kill9-" + std::to_string(::getpid());
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    // Two tier-3 units (frozen by tier3_pause and media_start) and a tier-2 one (throttled by
    // media_start where cpu.max exists, never frozen).
    for (const char* name : {"bulk-a", "bulk-b", "bg-c"}) {
      std::string unit = root_ + "/" + name;
      ASSERT_EQ(::mkdir(unit.c_str(), 0755), 0);
      units_.push_back(unit);
      pid_t pid = ::fork();
      if (pid == 0) {
        ::execl("/bin/sleep", "sleep", "600", nullptr);
        ::_exit(127);
      }
      workers_.push_back(pid);
      ASSERT_TRUE(write_kernel_file(unit + "/cgroup.procs", std::to_string(pid)).ok());
    }
    port_ = testing::free_tcp_port();
    testing::DaemonConfig config(dir_);
    config.poll_interval_seconds = std::nullopt;
    config.state_file = std::nullopt;
    config.cgroup_units_root = root_;
    config.thermal_root = dir_.path() + "/none";
    config.hwmon_root = dir_.path() + "/none";
    config.port = port_;
    config.unix_socket = "";
    config.extra =
        "tiers:\n"
        "  2: {name: Background, containers: [\"bg-*\"]}\n"
        "  3: {name: Bulk, containers: [\"bulk-*\"]}\n"
        "media_mode: {enabled: true, provider: webhook, cooldown_seconds: 0}\n"
        "thermal: {enabled: false}\n";
    config_ = dir_.write("config.yaml", daemon_yaml(config));
  }

  void TearDown() override {
    daemon_.reset();
    for (const auto& unit : units_) (void)write_kernel_file(unit + "/cgroup.freeze", "0");
    for (pid_t pid : workers_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    for (const auto& unit : units_) {
      wait_until([&] { return ::rmdir(unit.c_str()) == 0; }, std::chrono::seconds(5));
    }
    if (!root_.empty()) ::rmdir(root_.c_str());
  }

  bool start_daemon(const std::string& log) {
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_}, log);
    return wait_until(
        [&] {
          return run_command("curl -sf --max-time 1 http://127.0.0.1:" + std::to_string(port_) +
                             "/healthz")
                     .exit_code == 0;
        },
        std::chrono::seconds(20), std::chrono::milliseconds(20));
  }

  // Asynchronous on purpose: the kill must be able to land while the request is in flight.
  void trigger_async(const std::string& event) {
    std::string cmd = "curl -s --max-time 2 -o /dev/null -X POST -d '{\"event\":\"" + event +
                      "\"}' http://127.0.0.1:" + std::to_string(port_) + "/trigger &";
    (void)std::system(cmd.c_str());
  }

  std::vector<std::string> frozen_units() const {
    std::vector<std::string> out;
    for (const auto& unit : units_) {
      if (cgroup_frozen(unit)) out.push_back(unit);
    }
    return out;
  }

  testing::TempDir dir_;
  std::string root_;
  std::vector<std::string> units_;
  std::vector<pid_t> workers_;
  int port_ = 0;
  std::string config_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(Kill9Fault, NoCgroupStaysFrozenAfterKill9AtRandomMoments) {
  std::random_device device;
  const unsigned seed = device();
  std::mt19937 rng(seed);
  std::printf("kill9 fault suite: %d trials, seed %u\n", kTrials, seed);
  int frozen_at_kill = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial) + " (seed " + std::to_string(seed) + ")");
    std::string log = dir_.path() + "/adrg-" + std::to_string(trial) + ".log";
    ASSERT_TRUE(start_daemon(log)) << daemon_->log();
    trigger_async(rng() % 2 == 0 ? "tier3_pause" : "media_start");
    // 0-400 ms: from "request not read yet" through "freezes being written" to "settled".
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    daemon_->signal(SIGKILL);
    ASSERT_TRUE(daemon_->wait_exit().has_value());
    if (!frozen_units().empty()) ++frozen_at_kill;

    bool use_cleanup = rng() % 2 == 0;
    if (use_cleanup) {
      // ExecStopPost=adrg --cleanup: undo every journaled override and exit.
      auto r = run_command(kAdrg + " --cleanup --config " + config_);
      ASSERT_EQ(r.exit_code, 0) << r.output;
    } else {
      // Restart: the journal replay thaws what the dead process froze (its claims died with it).
      ASSERT_TRUE(start_daemon(log)) << daemon_->log();
      ASSERT_TRUE(wait_until([&] { return frozen_units().empty(); })) << daemon_->log();
      daemon_->signal(SIGTERM);
      auto code = daemon_->wait_exit();
      ASSERT_TRUE(code.has_value()) << daemon_->log();
      EXPECT_EQ(*code, 0) << daemon_->log();
    }
    auto still = frozen_units();
    ASSERT_TRUE(still.empty()) << still.front() << " still frozen after "
                               << (use_cleanup ? "--cleanup" : "restart + SIGTERM") << "\n"
                               << daemon_->log();
  }
  std::printf("kill9 fault suite: %d of %d kills landed while a unit was frozen\n", frozen_at_kill,
              kTrials);
  // The random delays must actually hit enforcement, or the suite proves little.
  EXPECT_GT(frozen_at_kill, 0);
}

}  // namespace
}  // namespace adrg

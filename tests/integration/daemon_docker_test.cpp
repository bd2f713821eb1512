// The real adrg binary governing real Docker containers: media mode pauses tier 3 through
// Docker's API (so `docker inspect` and `docker ps` tell the truth) and releases it after the
// cooldown; a tier-2 container started with the user's own `--cpus 1.5 --memory 2g` keeps
// exactly those limits through a throttle and its release; a SIGKILLed adrg leaves a paused
// container behind that `adrg --cleanup` unpauses from the journal.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "tests/support/daemon_config.h"
#include "tests/support/docker_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;

class DaemonDocker : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!testing::ensure_docker(&why)) GTEST_SKIP() << "no docker: " << why;
    label_ = testing::unique_test_label();
    prefix_ = "adrgd" + std::to_string(::getpid());
    bulk_ = prefix_ + "-bulk";
    background_ = prefix_ + "-bg";
    ASSERT_TRUE(docker_.run_detached_parallel(
        {"--label " + label_ + " --name " + bulk_ +
             " local/busybox sh -c 'while :; do sleep 1; done'",
         "--label " + label_ + " --name " + background_ +
             " --cpus 1.5 --memory 2g local/busybox sh -c 'while :; do sleep 1; done'"}));
    port_ = testing::free_tcp_port();
    testing::DaemonConfig config(dir_);
    config.state_file = std::nullopt;
    config.thermal_root = dir_.path() + "/none";
    config.hwmon_root = dir_.path() + "/none";
    config.docker_socket = std::nullopt;  // the host's dockerd, as DOCKER_HOST or the default says
    config.port = port_;
    config.unix_socket = "";
    config.extra =
        "tiers:\n"
        "  2: {name: Background, containers: [\"" +
        prefix_ +
        "-bg\"], cpu_weight: 100}\n"
        "  3: {name: Bulk, containers: [\"" +
        prefix_ +
        "-bulk*\"], cpu_weight: 10}\n"
        "media_mode:\n"
        "  enabled: true\n"
        "  provider: webhook\n"
        "  tier2_cpu_max_percent: 20\n"
        "  cooldown_seconds: 1\n";
    config_ = dir_.write("config.yaml", daemon_yaml(config));
  }

  void TearDown() override {
    daemon_.reset();
    if (!label_.empty()) docker_.remove_by_label(label_);
  }

  void start_daemon() {
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_}, dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] { return status().find("\"" + bulk_ + "\"") != std::string::npos; },
                           std::chrono::seconds(20)))
        << daemon_->log();
  }
  std::string status() {
    return testing::run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port_) +
                                "/status")
        .output;
  }
  void trigger(const std::string& event) {
    auto r = testing::run_command("curl -sf --max-time 2 -X POST -d '{\"event\":\"" + event +
                                  "\"}' http://127.0.0.1:" + std::to_string(port_) + "/trigger");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  std::string inspect(const std::string& name, const std::string& format) {
    auto lines = docker_.inspect({name}, format);
    return lines.empty() ? "" : lines.front();
  }
  bool paused(const std::string& name) { return inspect(name, "{{.State.Paused}}") == "true"; }

  testing::DockerCli docker_;
  testing::TempDir dir_;
  std::string label_, prefix_, bulk_, background_, config_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(DaemonDocker, MediaModePausesTier3ThroughDockerAndReleasesAfterCooldown) {
  start_daemon();
  trigger("media_start");
  EXPECT_TRUE(wait_until([&] { return paused(bulk_); })) << daemon_->log();
  EXPECT_FALSE(paused(background_)) << "tier 2 is throttled, never paused by media mode";
  auto ps = testing::run_stdout("docker ps --filter name=" + bulk_ + " --format '{{.Status}}'");
  EXPECT_NE(ps.output.find("Paused"), std::string::npos) << "docker ps must tell the truth";
  EXPECT_NE(status().find("\"" + bulk_ + "\":{\"tier\":3,\"paused_by\":[\"media\"]"),
            std::string::npos)
      << status();
  trigger("media_stop");
  EXPECT_TRUE(wait_until([&] { return !paused(bulk_); })) << daemon_->log();
}

TEST_F(DaemonDocker, UsersOwnCpusAndMemoryLimitsSurviveThrottleAndRelease) {
  auto limits = [&] {
    return inspect(background_, "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}");
  };
  ASSERT_EQ(limits(), "1500000000 2147483648");
  std::string id = inspect(background_, "{{.Id}}");
  std::string v1_quota = "/sys/fs/cgroup/cpu/docker/" + id + "/cpu.cfs_quota_us";
  auto quota_before = testing::run_stdout("cat " + v1_quota + " 2>/dev/null").output;
  start_daemon();
  trigger("media_start");
  ASSERT_TRUE(wait_until([&] {
    return status().find("\"" + background_ +
                         "\":{\"tier\":2,\"paused_by\":[],\"cpu_max_by\":[\"media\"]") !=
           std::string::npos;
  })) << status();
  trigger("media_stop");
  ASSERT_TRUE(wait_until([&] {
    return status().find("\"media_mode_active\":false") != std::string::npos;
  })) << status();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(), 0) << daemon_->log();
  EXPECT_EQ(limits(), "1500000000 2147483648");
  EXPECT_EQ(testing::run_stdout("cat " + v1_quota + " 2>/dev/null").output, quota_before);
}

TEST_F(DaemonDocker, CleanupUnpausesWhatAKilledDaemonPaused) {
  start_daemon();
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return paused(bulk_); })) << daemon_->log();
  daemon_->signal(SIGKILL);
  daemon_->wait_exit();
  ASSERT_TRUE(paused(bulk_));
  auto r = testing::run_command(kAdrg + " --cleanup --config " + config_);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(wait_until([&] { return !paused(bulk_); })) << r.output;
}

TEST_F(DaemonDocker, SigtermUnpausesBeforeExit) {
  start_daemon();
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return paused(bulk_); })) << daemon_->log();
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait_exit(), 0) << daemon_->log();
  EXPECT_FALSE(paused(bulk_)) << daemon_->log();
}

}  // namespace
}  // namespace adrg

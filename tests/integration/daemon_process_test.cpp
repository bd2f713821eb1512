// The real adrg binary, driven as a user and systemd would: the CLI modes, then a running
// daemon probed with the real curl binary, fed by a fake thermal zone (the only fake: this
// machine has no thermal sensor), reloaded by SIGHUP and by a file rewrite, stopped by SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <string>

#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;

TEST(AdrgCli, VersionAndHelp) {
  auto version = run_command(kAdrg + " --version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("adrg " ADRG_VERSION), std::string::npos) << version.output;
  auto help = run_command(kAdrg + " --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--config", "--dry-run", "--check-config", "--cleanup", "--reactor"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
  auto bad = run_command(kAdrg + " --no-such-flag");
  EXPECT_NE(bad.exit_code, 0);
}

TEST(AdrgCli, CheckConfigAcceptsTheBundledConfig) {
  auto r = run_command(kAdrg + " --check-config --config " ADRG_SOURCE_DIR "/config/config.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tier 3"), std::string::npos) << r.output;
}

TEST(AdrgCli, CheckConfigAcceptsAdrgsOwnTemplateUnchanged) {
  auto r =
      run_command(kAdrg + " --check-config --config " ADRG_TEST_DATA_DIR "/adrg-1.1.2-config.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(AdrgCli, CheckConfigReportsFileLineColumn) {
  testing::TempDir dir;
  std::string path = dir.write("bad.yaml",
                               "thermal:\n"
                               "  enabled: true\n"
                               "  stage1_temp_c: hot\n");
  auto r = run_command(kAdrg + " --check-config --config " + path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(path + ":3:18: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("INVALID"), std::string::npos) << r.output;
}

TEST(AdrgCli, DaemonRefusesAnInvalidConfig) {
  testing::TempDir dir;
  std::string path = dir.write("bad.yaml", "tiers:\n  7:\n    name: x\n");
  auto r = run_command(kAdrg + " --config " + path);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(path + ":2:3"), std::string::npos) << r.output;
}

// A config that keeps the daemon inside the temp dir: its own port, socket, journal, a fake
// thermal zone, no docker.
std::string daemon_config(const testing::TempDir& dir, int port, const std::string& extra = "",
                          const std::string& host = "127.0.0.1") {
  testing::DaemonConfig config(dir);
  config.port = port;
  config.host = host;
  config.extra = "thermal:\n  enabled: true\n  poll_interval_seconds: 0.2\n" + extra;
  return daemon_yaml(config);
}

class AdrgDaemon : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    port_ = testing::free_tcp_port();
    dir_.write("thermal/thermal_zone0/temp", "50000\n");
    config_path_ = dir_.write("config.yaml", daemon_config(dir_, port_));
  }

  void start() {
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_path_, "--reactor", GetParam()},
        dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] { return get("/healthz").find("ok") != std::string::npos; }))
        << daemon_->log();
  }

  std::string get(const std::string& path) {
    return run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port_) + path)
        .output;
  }
  testing::CommandResult post_trigger(const std::string& event) {
    return run_command("curl -s --max-time 2 -w ' %{http_code}' -X POST -d '{\"event\":\"" + event +
                       "\"}' http://127.0.0.1:" + std::to_string(port_) + "/trigger");
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::string config_path_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_P(AdrgDaemon, ServesStatusWithAdrgSchemaAndItsBackend) {
  start();
  std::string status = get("/status");
  for (const char* key :
       {"\"version\"", "\"uptime_seconds\"", "\"dry_run\":false", "\"media_mode_active\":false",
        "\"media_provider\"", "\"thermal_stage\":0", "\"memory_throttled\"", "\"io_throttled\"",
        "\"protected_containers\"", "\"containers\"", "\"psi\"", "\"temperature_c\":50",
        "\"triggers_armed\""}) {
    EXPECT_NE(status.find(key), std::string::npos) << key << " in " << status;
  }
  EXPECT_NE(status.find(std::string("\"backend\":\"") + GetParam() + "\""), std::string::npos)
      << status;
  // Over the unix socket too.
  auto unix_status = run_command("curl -s --max-time 2 --unix-socket " + dir_.path() +
                                 "/adrg.sock http://localhost/status");
  EXPECT_NE(unix_status.output.find("\"version\""), std::string::npos) << unix_status.output;
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait_exit(), 0) << daemon_->log();
}

TEST_P(AdrgDaemon, ThermalZoneEdgeReachesThePolicy) {
  start();
  dir_.write("thermal/thermal_zone0/temp", "81000\n");
  EXPECT_TRUE(wait_until([&] {
    return get("/status").find("\"thermal_stage\":2") != std::string::npos;
  })) << get("/status");
  // Hysteresis: back below stage1 but above recovery keeps stage 2.
  dir_.write("thermal/thermal_zone0/temp", "70000\n");
  EXPECT_TRUE(
      wait_until([&] { return get("/status").find("\"temperature_c\":70") != std::string::npos; }));
  EXPECT_NE(get("/status").find("\"thermal_stage\":2"), std::string::npos);
  EXPECT_NE(daemon_->log().find("thermal_stage2"), std::string::npos) << daemon_->log();
}

TEST_P(AdrgDaemon, TriggersAreAcceptedAndBadOnesGetA400) {
  start();
  auto ok = post_trigger("tier3_pause");
  EXPECT_NE(ok.output.find(" 200"), std::string::npos) << ok.output;
  EXPECT_TRUE(wait_until(
      [&] { return get("/status").find("\"tier3_manual_pause\":true") != std::string::npos; }));
  auto bad = post_trigger("explode");
  EXPECT_NE(bad.output.find(" 400"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("\"error\""), std::string::npos) << bad.output;
  EXPECT_TRUE(daemon_->running());
}

TEST_P(AdrgDaemon, SighupWithABrokenConfigKeepsTheRunningOne) {
  std::ofstream(config_path_, std::ios::app) << "protected_containers: [keepme]\n";
  start();
  ASSERT_NE(get("/status").find("keepme"), std::string::npos);
  std::ofstream(config_path_, std::ios::app) << "io_pressure:\n  trigger_avg10_threshold: lots\n";
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] {
    return daemon_->log().find("reload rejected") != std::string::npos;
  })) << daemon_->log();
  EXPECT_NE(daemon_->log().find("config.yaml:"), std::string::npos);
  EXPECT_NE(get("/status").find("keepme"), std::string::npos) << "old config must stay active";
  EXPECT_TRUE(daemon_->running());
}

TEST_P(AdrgDaemon, SighupAppliesAValidNewConfig) {
  start();
  EXPECT_EQ(get("/status").find("newly-protected"), std::string::npos);
  // Written elsewhere and renamed over, as config managers do; the SIGHUP races the inotify
  // reload on purpose: both paths must end in the new config.
  dir_.write("next.yaml", daemon_config(dir_, port_, "protected_containers: [newly-protected]\n"));
  ASSERT_EQ(std::rename((dir_.path() + "/next.yaml").c_str(), config_path_.c_str()), 0);
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] {
    return get("/status").find("newly-protected") != std::string::npos;
  })) << daemon_->log();
}

TEST_P(AdrgDaemon, ConfigFileRewriteIsPickedUpWithoutSignal) {
  start();
  std::ofstream(config_path_, std::ios::trunc)
      << daemon_config(dir_, port_, "protected_containers: [seen-by-inotify]\n");
  EXPECT_TRUE(wait_until([&] {
    return get("/status").find("seen-by-inotify") != std::string::npos;
  })) << daemon_->log();
}

TEST_P(AdrgDaemon, AdrgctlDrivesTheRunningDaemon) {
  const std::string adrgctl = ADRG_CTL_BIN;
  std::ofstream(config_path_, std::ios::app) << "protected_containers: [ctl-visible]\n";
  start();
  std::string target = " --url http://127.0.0.1:" + std::to_string(port_);
  auto table = run_command(adrgctl + target + " status");
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find(GetParam()), std::string::npos) << table.output;
  auto over_socket = run_command(adrgctl + " --socket " + dir_.path() + "/adrg.sock status --json");
  EXPECT_EQ(over_socket.exit_code, 0) << over_socket.output;
  EXPECT_NE(over_socket.output.find("ctl-visible"), std::string::npos) << over_socket.output;
  auto trigger = run_command(adrgctl + target + " trigger tier3_pause");
  EXPECT_EQ(trigger.exit_code, 0) << trigger.output;
  EXPECT_TRUE(wait_until(
      [&] { return get("/status").find("\"tier3_manual_pause\":true") != std::string::npos; }));
  auto bad = run_command(adrgctl + target + " trigger nonsense");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("400"), std::string::npos) << bad.output;
}

TEST_P(AdrgDaemon, RefusesNonLoopbackBindWithoutToken) {
  std::ofstream(config_path_, std::ios::trunc) << daemon_config(dir_, port_, "", "0.0.0.0");
  auto r = run_command(kAdrg + " --config " + config_path_ + " --reactor " + GetParam(),
                       std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("token"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, AdrgDaemon, ::testing::Values("io_uring", "epoll"));

}  // namespace
}  // namespace adrg

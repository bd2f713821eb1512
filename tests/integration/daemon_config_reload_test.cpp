// Reloading the real adrg binary's config the ways people and tools really rewrite a file (issue
// 16 part 2): `cp` over it, `sed -i` (a temp file renamed over it), vim, an editor's swap file
// renamed over it, `: > file`, and SIGHUP after that truncation. An emptied file must be refused
// and the running config kept: the token still required over TCP, the API where it was.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <string>

#include "tests/support/adrg_daemon.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

constexpr const char* kToken = "reload-test-token";

class AdrgReload : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    port_ = testing::free_tcp_port();
    dir_.write("thermal/thermal_zone0/temp", "50000\n");
    config_path_ = dir_.write("config.yaml", yaml("v1"));
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{testing::kAdrgBinary, "--config", config_path_, "--reactor",
                                 GetParam()},
        dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] { return protects("v1"); })) << daemon_->log();
  }

  // The token and the port never change; the protected container names the version.
  std::string yaml(const std::string& version) const {
    testing::DaemonConfig config(dir_);
    config.port = port_;
    config.token = kToken;
    config.extra =
        "thermal:\n  poll_interval_seconds: 0.2\nprotected_containers: [" + version + "]\n";
    return daemon_yaml(config);
  }
  bool protects(const std::string& version) {
    return testing::unix_get(dir_, "/status")
               .find("\"protected_containers\":[\"" + version + "\"]") != std::string::npos;
  }
  double reloads(const char* result) {
    std::string metrics = testing::unix_get(dir_, "/metrics");
    return testing::metric_value(
               metrics, std::string("adrg_config_reloads_total{result=\"") + result + "\"}")
        .value_or(-1);
  }
  void expect_token_still_enforced() {
    auto without = testing::tcp_post_trigger(port_, "tier3_resume", "");
    EXPECT_NE(without.output.find(" 401"), std::string::npos) << without.output;
    auto with = testing::tcp_post_trigger(port_, "tier3_resume", kToken);
    EXPECT_NE(with.output.find(" 200"), std::string::npos) << with.output;
  }
  int sh(const std::string& command) {
    return run_command("cd " + dir_.path() + " && " + command).exit_code;
  }

  testing::TempDir dir_;
  int port_ = 0;
  std::string config_path_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_P(AdrgReload, EveryWayOfRewritingTheFileIsPickedUpAndAnEmptyFileIsRefused) {
  // cp: truncates the target, writes it in pieces, closes it (one IN_CLOSE_WRITE at the end).
  dir_.write("next.yaml", yaml("v2"));
  ASSERT_EQ(sh("cp next.yaml config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return protects("v2"); })) << daemon_->log();

  // sed -i: writes ./sedXXXXXX and renames it over the config (IN_MOVED_TO).
  ASSERT_EQ(sh("sed -i s/v2/v3/ config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return protects("v3"); })) << daemon_->log();

  // Real vim: renames the original to a backup and writes a new file in its place.
  ASSERT_EQ(sh("vim -u NONE -i NONE -N -n -e -s -c '%s/v3/v4/' -c wq config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return protects("v4"); })) << daemon_->log();

  // An editor writing a swap name first, then renaming it over the config.
  dir_.write(".config.yaml.swp", yaml("v5"));
  ASSERT_EQ(sh("mv .config.yaml.swp config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return protects("v5"); })) << daemon_->log();
  ASSERT_EQ(reloads("rejected"), 0) << daemon_->log();

  // `: > file`: refused, the running config (token, port, v5) stays.
  ASSERT_EQ(sh(": > config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return reloads("rejected") == 1; })) << daemon_->log();
  EXPECT_NE(daemon_->log().find(config_path_ + ": error: the config file is empty"),
            std::string::npos)
      << daemon_->log();
  EXPECT_TRUE(protects("v5"));
  expect_token_still_enforced();

  // SIGHUP while the file is still empty: refused again.
  daemon_->signal(SIGHUP);
  EXPECT_TRUE(wait_until([&] { return reloads("rejected") == 2; })) << daemon_->log();
  EXPECT_TRUE(protects("v5"));
  expect_token_still_enforced();

  // A good file afterwards is applied as usual.
  ASSERT_EQ(sh("cp next.yaml config.yaml"), 0);
  EXPECT_TRUE(wait_until([&] { return protects("v2"); })) << daemon_->log();
  EXPECT_TRUE(daemon_->running());
}

INSTANTIATE_TEST_SUITE_P(Backends, AdrgReload, ::testing::Values("io_uring", "epoll"));

}  // namespace
}  // namespace adrg

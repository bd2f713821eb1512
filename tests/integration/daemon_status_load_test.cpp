// wrk against the real daemon's /status for 10 s while rules fire underneath: triggers flip
// tier-3 pauses on 30 units and a (fake) thermal zone crosses stage 1 and back. The assertion
// is correctness only (no error responses, the daemon still answers); throughput is printed,
// never asserted.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <regex>
#include <string>
#include <thread>

#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;

TEST(DaemonStatusLoad, WrkAgainstStatusWhileRulesFire) {
  if (run_command("command -v wrk").exit_code != 0) GTEST_SKIP() << "wrk is not installed";
  testing::TempDir dir;
  for (int i = 0; i < 30; ++i) dir.mkdir("units/bulk-" + std::to_string(i));
  dir.write("thermal/thermal_zone0/temp", "50000\n");
  int port = testing::free_tcp_port();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  testing::DaemonConfig yaml(dir);
  yaml.poll_interval_seconds = 0.5;
  yaml.state_file = std::nullopt;
  yaml.cgroup_units_root = dir.path() + "/units";
  yaml.hwmon_root = dir.path() + "/none";
  yaml.port = port;
  yaml.unix_socket = "";
  yaml.extra =
      "tiers:\n"
      "  3: {name: Bulk, containers: [\"bulk-*\"]}\n"
      "thermal: {enabled: true, poll_interval_seconds: 0.1}\n";
  std::string config = dir.write("config.yaml", daemon_yaml(yaml));
  testing::ChildProcess daemon({kAdrg, "--config", config, "--dry-run", "--log-level", "warn"},
                               dir.path() + "/adrg.log");
  ASSERT_TRUE(wait_until([&] {
    return run_command("curl -sf --max-time 1 " + base + "/healthz").exit_code == 0;
  })) << daemon.log();

  std::atomic<bool> stop{false};
  std::atomic<int> flips{0};
  std::thread rules([&] {
    bool on = false;
    while (!stop) {
      on = !on;
      run_command("curl -s --max-time 2 -X POST -d '{\"event\":\"" +
                  std::string(on ? "tier3_pause" : "tier3_resume") + "\"}' " + base + "/trigger");
      dir.write("thermal/thermal_zone0/temp", on ? "76000\n" : "50000\n");
      ++flips;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // pacing, not a wait
    }
  });
  auto wrk =
      run_command("wrk -t2 -c20 -d10s --latency " + base + "/status", std::chrono::seconds(60));
  stop = true;
  rules.join();

  std::cout << "[ wrk /status while rules fire: " << flips << " rule flips ]\n"
            << wrk.output << std::endl;
  ASSERT_EQ(wrk.exit_code, 0) << wrk.output;
  EXPECT_EQ(wrk.output.find("Non-2xx"), std::string::npos) << wrk.output;
  EXPECT_EQ(wrk.output.find("Socket errors"), std::string::npos) << wrk.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(wrk.output, m, std::regex(R"((\d+) requests in)"))) << wrk.output;
  EXPECT_GT(std::stoll(m[1]), 0);
  EXPECT_GT(flips.load(), 10);
  EXPECT_TRUE(daemon.running()) << daemon.log();
  auto status = run_command("curl -s --max-time 2 " + base + "/status");
  EXPECT_NE(status.output.find("\"bulk-29\""), std::string::npos) << status.output;
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(), 0) << daemon.log();
}

}  // namespace
}  // namespace adrg

// Media mode end to end through the real adrg binary in --dry-run: a loopback server shaped like
// Jellyfin's documented GET /Sessions (Jellyfin cannot run here) reports playback, adrg polls it
// and claims tier 3 paused and tier 2 throttled, then lets go after the cooldown. The native
// Jellyfin Webhook-plugin payload switches media mode on without waiting for a poll.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <string>

#include "tests/support/daemon_config.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;
constexpr const char* kApiKey = "jf-key-123";

constexpr const char* kPlaying = R"([
  {"Id":"s1","UserName":"anna","Client":"Jellyfin Web","DeviceName":"Firefox",
   "NowPlayingItem":{"Name":"Big Buck Bunny","Type":"Movie","RunTimeTicks":5964000000},
   "PlayState":{"PositionTicks":120000000,"IsPaused":false,"IsMuted":false,"PlayMethod":"DirectPlay"}},
  {"Id":"s2","UserName":"ben","Client":"Android TV","DeviceName":"Shield",
   "PlayState":{"IsPaused":false}}
])";
constexpr const char* kIdle = R"([{"Id":"s2","UserName":"ben","PlayState":{"IsPaused":false}}])";

class MediaDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    jellyfin_.on("GET", "/Sessions", [this](const testing::HttpServerRequest& request) {
      if (request.header("X-Emby-Token") != kApiKey &&
          request.header("Authorization").find(kApiKey) == std::string::npos) {
        return testing::HttpServerResponse::text(401, "Unauthorized");
      }
      return testing::HttpServerResponse::json(200, playing_ ? kPlaying : kIdle);
    });
    dir_.mkdir("units/tdarr-worker");  // tier 3
    dir_.mkdir("units/sonarr");        // tier 2
    dir_.mkdir("units/jellyfin");      // tier 0: never touched
    port_ = testing::free_tcp_port();
    testing::DaemonConfig config(dir_);
    config.state_file = std::nullopt;
    config.cgroup_units_root = dir_.path() + "/units";
    config.thermal_root = dir_.path() + "/none";
    config.hwmon_root = dir_.path() + "/none";
    config.port = port_;
    config.unix_socket = "";
    config.extra =
        "tiers:\n"
        "  0: {name: Core, containers: [jellyfin]}\n"
        "  2: {name: Background, containers: [\"sonarr\"], cpu_weight: 100}\n"
        "  3: {name: Bulk, containers: [\"tdarr*\"], cpu_weight: 10}\n"
        "media_mode:\n"
        "  enabled: true\n"
        "  provider: jellyfin\n"
        "  url: " +
        jellyfin_.url() +
        "\n"
        "  api_key: \"${ADRG_MEDIA_API_KEY}\"\n"
        "  poll_interval_seconds: 0.3\n"
        "  tier2_cpu_max_percent: 20\n"
        "  tier2_io_max_read_mbps: 10\n"
        "  tier2_io_max_write_mbps: 5\n"
        "  cooldown_seconds: 1\n";
    config_ = dir_.write("config.yaml", daemon_yaml(config));
    std::string env_var = std::string("ADRG_MEDIA_API_KEY=") + kApiKey;
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_, "--dry-run"},
        dir_.path() + "/adrg.log", std::vector<std::string>{env_var});
    ASSERT_TRUE(wait_until([&] { return status().find("\"version\"") != std::string::npos; }))
        << daemon_->log();
  }

  std::string status() {
    return run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port_) + "/status")
        .output;
  }

  testing::LoopbackHttpServer jellyfin_;
  std::atomic<bool> playing_{false};
  testing::TempDir dir_;
  int port_ = 0;
  std::string config_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(MediaDaemon, PlaybackOnTheServerClaimsTier3AndTier2ThenCooldownReleases) {
  EXPECT_NE(status().find("\"media_mode_active\":false"), std::string::npos);
  playing_ = true;
  ASSERT_TRUE(wait_until([&] {
    return status().find("\"media_mode_active\":true") != std::string::npos;
  })) << daemon_->log();
  std::string s = status();
  EXPECT_NE(s.find(R"("tdarr-worker":{"tier":3,"paused_by":["media"])"), std::string::npos) << s;
  EXPECT_NE(
      s.find(R"("sonarr":{"tier":2,"paused_by":[],"cpu_max_by":["media"],"io_max_by":["media"])"),
      std::string::npos)
      << s;
  EXPECT_NE(s.find(R"("jellyfin":{"tier":0,"paused_by":[],"cpu_max_by":[],"io_max_by":[])"),
            std::string::npos)
      << s;
  EXPECT_NE(daemon_->log().find("media_mode_activated"), std::string::npos);
  // The API key never reaches the log.
  EXPECT_EQ(daemon_->log().find(kApiKey), std::string::npos);

  playing_ = false;
  ASSERT_TRUE(wait_until([&] {
    return status().find("\"media_mode_active\":false") != std::string::npos;
  })) << daemon_->log();
  EXPECT_NE(status().find(R"("tdarr-worker":{"tier":3,"paused_by":[])"), std::string::npos);
  EXPECT_NE(daemon_->log().find("media_mode_deactivated"), std::string::npos);
}

TEST_F(MediaDaemon, JellyfinWebhookSwitchesMediaModeOnAtOnce) {
  auto r = run_command(
      "curl -s -w ' %{http_code}' --max-time 2 -H 'Content-Type: application/json' -X POST "
      "-d '{\"NotificationType\":\"PlaybackStart\",\"ItemType\":\"Movie\",\"Name\":\"Big Buck "
      "Bunny\",\"NotificationUsername\":\"anna\",\"ServerName\":\"home\"}' "
      "http://127.0.0.1:" +
      std::to_string(port_) + "/webhook/media");
  EXPECT_NE(r.output.find(" 200"), std::string::npos) << r.output;
  EXPECT_NE(status().find("\"media_mode_active\":true"), std::string::npos) << daemon_->log();
  auto stop = run_command(
      "curl -s -w ' %{http_code}' --max-time 2 -H 'Content-Type: application/json' -X POST "
      "-d '{\"NotificationType\":\"PlaybackStop\"}' http://127.0.0.1:" +
      std::to_string(port_) + "/webhook/media");
  EXPECT_NE(stop.output.find(" 200"), std::string::npos) << stop.output;
  EXPECT_TRUE(wait_until([&] {
    return status().find("\"media_mode_active\":false") != std::string::npos;
  })) << daemon_->log();
}

TEST_F(MediaDaemon, GarbageWebhookIsA400AndChangesNothing) {
  auto r = run_command(
      "curl -s -w ' %{http_code}' --max-time 2 -H 'Content-Type: application/json' "
      "-X POST -d '{\"hello\":1}' http://127.0.0.1:" +
      std::to_string(port_) + "/webhook/media");
  EXPECT_NE(r.output.find(" 400"), std::string::npos) << r.output;
  EXPECT_NE(status().find("\"media_mode_active\":false"), std::string::npos);
  EXPECT_TRUE(daemon_->running());
}

}  // namespace
}  // namespace adrg

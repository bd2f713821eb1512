// adrg with media_mode.download_throttle pointed at a real qbittorrent-nox and a real
// transmission-daemon.
// --dry-run: media_start makes /status and the event stream say what a real run would do to
// the client (cap it, then give its own limit back) while the client's limit, as the client's own
// API reports it, never changes and no journal is written or restored. A journal left by an
// earlier crashed run stays where it is and is only reported.
// A real run killed with -9 while it holds the cap: `adrg --cleanup` (the unit's ExecStopPost)
// gives the client its own limit back from the journal, like every cgroup file.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "integrations/downloads/download_throttle.h"
#include "tests/support/daemon_config.h"
#include "tests/support/download_peers.h"
#include "tests/support/process.h"
#include "tests/support/shell_child.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;
constexpr std::uint64_t kMiB = 1024 * 1024;

class DaemonDownloads : public ::testing::Test {
 protected:
  // Starts adrg (--dry-run unless `real`) capping `provider` at `url` to 1 MiB/s while media
  // plays, and follows its event stream from the start.
  void start_adrg(const std::string& provider, const std::string& url, const std::string& user,
                  const std::string& password, bool real = false) {
    dir_.mkdir("units");
    dir_.mkdir("state");
    port_ = testing::free_tcp_port();
    testing::DaemonConfig yaml(dir_);
    yaml.poll_interval_seconds = std::nullopt;
    yaml.journal_file = journal_dir() + "/journal.json";
    yaml.state_file = std::nullopt;
    yaml.cgroup_units_root = dir_.path() + "/units";
    yaml.thermal_root = dir_.path() + "/none";
    yaml.hwmon_root = dir_.path() + "/none";
    yaml.port = port_;
    yaml.unix_socket = "";
    yaml.extra =
        "media_mode:\n  enabled: true\n  provider: webhook\n"
        "  cooldown_seconds: 0\n  download_throttle:\n    enabled: true\n"
        "    provider: " +
        provider + "\n    url: \"" + url + "\"\n    username: \"" + user +
        "\"\n    password: \"${ADRG_DL_PASSWORD}\"\n"
        "    limit_mb_per_sec: 1\n";
    std::string config = dir_.write("config.yaml", daemon_yaml(yaml));
    config_ = config;
    password_ = password;
    std::vector<std::string> argv{kAdrg, "--config", config};
    if (!real) argv.push_back("--dry-run");
    daemon_ = std::make_unique<testing::ChildProcess>(
        argv, dir_.path() + "/adrg.log", std::vector<std::string>{"ADRG_DL_PASSWORD=" + password});
    ASSERT_TRUE(wait_until([&] { return status().find("\"downloads\"") != std::string::npos; }))
        << daemon_->log();
    events_ =
        std::make_unique<testing::ShellChild>("curl -sS -N --max-time 60 " + base() + "/events");
    ASSERT_TRUE(events_->read_until([](const std::string& out) {
      return out.find("daemon_start") != std::string::npos;
    })) << events_->output();
  }

  // A real qbittorrent-nox whose user has set a 3 MiB/s download limit (skips when it is not
  // installed); the caller returns on IsSkipped() or a fatal failure.
  void start_qbittorrent() {
    if (!testing::program_available(testing::QbittorrentPeer::kProgram)) {
      GTEST_SKIP() << "SKIPPED LOUDLY: qbittorrent-nox is not installed";
    }
    qbittorrent_ = std::make_unique<testing::QbittorrentPeer>(peer_dir_.path());
    std::string error;
    ASSERT_TRUE(qbittorrent_->start(&error)) << error;
    int code = 0;
    qbittorrent_->api("transfer/setDownloadLimit", "limit=" + std::to_string(3 * kMiB), true,
                      &code);
    ASSERT_EQ(code, 200);
  }

  std::string journal_dir() const { return dir_.path() + "/state"; }
  std::string download_journal() const { return journal_dir() + "/download-throttle.json"; }
  std::string journal_text() const {
    std::error_code ec;
    if (!std::filesystem::exists(download_journal(), ec)) return "";
    return dir_.read("state/download-throttle.json");
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string status() { return run_command("curl -s --max-time 2 " + base() + "/status").output; }
  void trigger(const std::string& event) {
    auto reply = run_command("curl -s --max-time 5 -X POST -d '{\"event\":\"" + event + "\"}' " +
                             base() + "/trigger");
    ASSERT_NE(reply.output.find("\"status\":\"ok\""), std::string::npos) << reply.output;
  }
  bool events_show(const std::string& action) {
    return events_->read_until([&](const std::string& out) {
      return out.find("\"action\":\"" + action + "\"") != std::string::npos;
    });
  }

  // One cycle: media_start, what would be done shown everywhere, media_stop, the same; the
  // client's limit (read through its own API by `limit`) is `user_limit` throughout.
  // The download journal is `journal` (empty: absent) throughout as well.
  void expect_cycle_changes_nothing(const std::function<std::string()>& limit,
                                    const std::string& user_limit, const std::string& journal) {
    trigger("media_start");
    EXPECT_TRUE(wait_until([&] {
      return status().find("\"would_be_engaged\":true") != std::string::npos;
    })) << status();
    EXPECT_TRUE(events_show("download_cap")) << events_->output();
    EXPECT_NE(events_->output().find("\"dry_run\":true"), std::string::npos);
    EXPECT_TRUE(wait_until([&] {
      return daemon_->log().find("dry-run: would cap") != std::string::npos;
    })) << daemon_->log();
    // The wish is decided and logged in the same loop turn as a real run would send its first
    // request; the client and the journal directory are what a real run would have changed.
    EXPECT_EQ(limit(), user_limit);
    EXPECT_EQ(journal_text(), journal);

    trigger("media_stop");
    EXPECT_TRUE(wait_until([&] {
      return status().find("\"would_be_engaged\":false") != std::string::npos;
    })) << status();
    EXPECT_TRUE(events_show("download_cap_release")) << events_->output();
    EXPECT_TRUE(wait_until([&] {
      return daemon_->log().find("dry-run: would give") != std::string::npos;
    })) << daemon_->log();
    EXPECT_EQ(limit(), user_limit);
    EXPECT_EQ(journal_text(), journal);
  }

  testing::TempDir dir_;
  testing::TempDir peer_dir_;
  std::string config_;
  std::string password_;
  int port_ = 0;
  std::unique_ptr<testing::ChildProcess> daemon_;
  std::unique_ptr<testing::ShellChild> events_;
  std::unique_ptr<testing::QbittorrentPeer> qbittorrent_;
};

TEST_F(DaemonDownloads, DryRunQbittorrentKeepsItsLimitWhileStatusAndEventsSayWhatWouldBeDone) {
  start_qbittorrent();
  if (IsSkipped() || HasFatalFailure()) return;
  testing::QbittorrentPeer& peer = *qbittorrent_;
  start_adrg("qbittorrent", peer.url(), testing::QbittorrentPeer::kUsername,
             testing::QbittorrentPeer::kPassword);
  if (HasFatalFailure()) return;
  expect_cycle_changes_nothing([&] { return peer.api("transfer/downloadLimit"); },
                               std::to_string(3 * kMiB), "");
}

TEST_F(DaemonDownloads, DryRunTransmissionKeepsItsLimitAndALeftoverJournalIsOnlyReported) {
  if (!testing::program_available(testing::TransmissionPeer::kProgram)) {
    GTEST_SKIP() << "SKIPPED LOUDLY: transmission-daemon is not installed";
  }
  testing::TransmissionPeer peer(peer_dir_.path());
  std::string error;
  ASSERT_TRUE(peer.start(&error)) << error;
  std::string set = peer.rpc(R"({"method":"session-set","arguments":{"speed-limit-down":700,)"
                             R"("speed-limit-down-enabled":true,"alt-speed-enabled":false}})");
  ASSERT_NE(set.find("\"success\""), std::string::npos) << set;
  auto limit = [&] {
    return peer.rpc(R"({"method":"session-get","arguments":{"fields":["speed-limit-down",)"
                    R"("speed-limit-down-enabled"]}})");
  };
  const std::string user_limit = limit();
  ASSERT_NE(user_limit.find("\"speed-limit-down\":700"), std::string::npos) << user_limit;

  // What a crashed real run leaves: a cap journaled with another original. A real start would
  // write 200 kB/s (disabled) back to the client; a dry run must not.
  dir_.mkdir("state");
  downloads::ThrottleRecord leftover;
  leftover.provider = "transmission";
  leftover.url = peer.rpc_url();
  leftover.original = downloads::DownloadLimit{false, 200, std::nullopt};
  leftover.cap = downloads::DownloadLimit{true, 1049, std::nullopt};
  const std::string leftover_text = downloads::serialize_record(leftover);
  dir_.write("state/download-throttle.json", leftover_text);

  start_adrg("transmission", peer.rpc_url(), testing::TransmissionPeer::kUsername,
             testing::TransmissionPeer::kPassword);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(wait_until([&] {
    return daemon_->log().find("holds a limit left by an earlier run") != std::string::npos;
  })) << daemon_->log();
  // Neither restored (the client keeps 700 kB/s, the file stays as it was) nor replaced.
  expect_cycle_changes_nothing(limit, user_limit, leftover_text);
}

TEST_F(DaemonDownloads, KillNineThenCleanupGivesQbittorrentItsLimitBack) {
  start_qbittorrent();
  if (IsSkipped() || HasFatalFailure()) return;
  testing::QbittorrentPeer& peer = *qbittorrent_;
  auto limit = [&] { return peer.api("transfer/downloadLimit"); };
  start_adrg("qbittorrent", peer.url(), testing::QbittorrentPeer::kUsername,
             testing::QbittorrentPeer::kPassword, /*real=*/true);
  if (HasFatalFailure()) return;
  trigger("media_start");
  ASSERT_TRUE(wait_until([&] { return limit() == std::to_string(kMiB); })) << limit();
  ASSERT_NE(journal_text().find("qbittorrent"), std::string::npos);

  daemon_->signal(SIGKILL);
  ASSERT_TRUE(daemon_->wait_exit().has_value());
  EXPECT_EQ(limit(), std::to_string(kMiB));  // nobody gave it back yet

  auto cleanup = run_command("ADRG_DL_PASSWORD='" + password_ + "' " + kAdrg +
                             " --cleanup --config " + config_ + " 2>&1");
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
  EXPECT_EQ(limit(), std::to_string(3 * kMiB)) << cleanup.output;
  EXPECT_EQ(journal_text(), "");
  EXPECT_EQ(cleanup.output.find(password_), std::string::npos);  // never logged
  // A second cleanup has nothing left to do.
  cleanup = run_command(kAdrg + " --cleanup --config " + config_ + " 2>&1");
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
}

}  // namespace
}  // namespace adrg

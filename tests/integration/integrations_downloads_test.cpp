// Download throttling against a REAL qbittorrent-nox 4.5.2 and a REAL transmission-daemon 3.00,
// started here on loopback with tests/support/download_peers. Every
// check of the client's limit goes through the peer's own curl helper, never through adrg's
// client, so the tests prove what the download client really shows.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/downloads/download_service.h"
#include "integrations/downloads/qbittorrent_client.h"
#include "integrations/downloads/transmission_client.h"
#include "tests/support/download_peers.h"
#include "tests/support/temp_dir.h"

namespace adrg::downloads {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::QbittorrentPeer;
using testing::TempDir;
using testing::TransmissionPeer;

constexpr std::uint64_t kMiB = 1048576;

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Config throttle_config(std::string provider, std::string url, std::string username,
                       std::string password, double limit_mb_per_sec) {
  Config config;
  config.media_mode.enabled = true;
  auto& dt = config.media_mode.download_throttle;
  dt.enabled = true;
  dt.provider = std::move(provider);
  dt.url = std::move(url);
  dt.username = std::move(username);
  dt.password = std::move(password);
  dt.limit_mb_per_sec = limit_mb_per_sec;
  return config;
}

// Fast backoff so retry tests run in well under a second per step.
DownloadThrottle::Options fast_backoff() {
  return DownloadThrottle::Options{milliseconds(100), milliseconds(400)};
}

class DownloadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    qbt_dir_ = new TempDir();
    tr_dir_ = new TempDir();
  }
  static void TearDownTestSuite() {
    qbt_.reset();
    tr_.reset();
    delete qbt_dir_;
    delete tr_dir_;
  }

  void SetUp() override {
    auto created = Reactor::create();
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    http_ = std::make_unique<HttpClient>(*reactor_);
    journal_ = temp_.path() + "/state/download-throttle.json";
  }
  void TearDown() override {
    http_.reset();
    reactor_.reset();
  }

  QbittorrentPeer& qbittorrent() {
    if (!qbt_) {
      qbt_ = std::make_unique<QbittorrentPeer>(qbt_dir_->path());
      std::string error;
      EXPECT_TRUE(qbt_->start(&error)) << error;
    }
    // Every test starts from the normal speed mode with the user's limit of 3 MiB/s.
    qbt_->api("transfer/setSpeedLimitsMode", "mode=0", true);
    int status = 0;
    qbt_->api("transfer/setDownloadLimit", "limit=" + std::to_string(3 * kMiB), true, &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(qbt_->api("transfer/downloadLimit"), std::to_string(3 * kMiB));
    return *qbt_;
  }

  TransmissionPeer& transmission() {
    if (!tr_) {
      tr_ = std::make_unique<TransmissionPeer>(tr_dir_->path());
      std::string error;
      EXPECT_TRUE(tr_->start(&error)) << error;
    }
    // The user's limit: 700 kB/s, enabled.
    std::string reply = tr_->rpc(R"({"method":"session-set","arguments":{"speed-limit-down":700,)"
                                 R"("speed-limit-down-enabled":true,"alt-speed-enabled":false}})");
    EXPECT_NE(reply.find("\"success\""), std::string::npos) << reply;
    return *tr_;
  }

  std::string transmission_limit() {
    return tr_->rpc(R"({"method":"session-get","arguments":{"fields":["speed-limit-down",)"
                    R"("speed-limit-down-enabled"]}})");
  }

  bool run_until(const std::function<bool()>& done, Duration deadline = seconds(15)) {
    const TimePoint end = SteadyClock::now() + deadline;
    while (!done() && SteadyClock::now() < end) reactor_->run_once(milliseconds(20));
    return done();
  }

  static inline TempDir* qbt_dir_ = nullptr;
  static inline TempDir* tr_dir_ = nullptr;
  static inline std::unique_ptr<QbittorrentPeer> qbt_;
  static inline std::unique_ptr<TransmissionPeer> tr_;

  TempDir temp_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> http_;
  std::string journal_;
};

class QbittorrentTest : public DownloadsTest {
 protected:
  void SetUp() override {
    if (!testing::program_available(QbittorrentPeer::kProgram)) {
      GTEST_SKIP() << QbittorrentPeer::kProgram << " is not installed (apt-get install "
                   << "qbittorrent-nox); the real-client tests cannot run";
    }
    DownloadsTest::SetUp();
  }
  Config config(double limit_mb = 1, std::string password = QbittorrentPeer::kPassword) {
    return throttle_config("qbittorrent", qbt_->url(), QbittorrentPeer::kUsername,
                           std::move(password), limit_mb);
  }
};

class TransmissionTest : public DownloadsTest {
 protected:
  void SetUp() override {
    if (!testing::program_available(TransmissionPeer::kProgram)) {
      GTEST_SKIP() << TransmissionPeer::kProgram << " is not installed (apt-get install "
                   << "transmission-daemon); the real-client tests cannot run";
    }
    DownloadsTest::SetUp();
  }
  Config config(double limit_mb = 1, std::string password = TransmissionPeer::kPassword) {
    return throttle_config("transmission", tr_->rpc_url(), TransmissionPeer::kUsername,
                           std::move(password), limit_mb);
  }
};

// ---- qBittorrent ---------------------------------------------------------------------------

TEST_F(QbittorrentTest, EngageCapsAndReleaseRestoresTheUsersLimitExactly) {
  QbittorrentPeer& peer = qbittorrent();
  DownloadService service(*reactor_, *http_, config(1.5), journal_);
  ASSERT_TRUE(service.start());

  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }))
      << service.status_json();
  // 1.5 MiB/s = 1572864 bytes/s, what the WebUI shows.
  EXPECT_EQ(peer.api("transfer/downloadLimit"), "1572864");
  // The original was journaled (bytes/s and the speed mode it belongs to).
  auto record = parse_record(file_text(journal_));
  ASSERT_TRUE(record) << record.error().describe();
  EXPECT_EQ(record->provider, "qbittorrent");
  EXPECT_EQ(record->original, (DownloadLimit{true, 3 * kMiB, 0}));

  // Idempotent: wanting it again every tick sends nothing more.
  service.set_wanted(true);
  EXPECT_TRUE(service.settled());

  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return !service.engaged() && service.settled(); }))
      << service.status_json();
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));
  EXPECT_FALSE(std::filesystem::exists(journal_));
}

TEST_F(QbittorrentTest, UnlimitedIsRestoredAsUnlimited) {
  QbittorrentPeer& peer = qbittorrent();
  peer.api("transfer/setDownloadLimit", "limit=0", true);
  DownloadService service(*reactor_, *http_, config(2), journal_);
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(2 * kMiB));
  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return !service.engaged() && service.settled(); }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), "0");
}

TEST_F(QbittorrentTest, CrashWhileCappedIsRestoredFromTheJournalAtNextStart) {
  QbittorrentPeer& peer = qbittorrent();
  {
    DownloadService service(*reactor_, *http_, config(1), journal_);
    ASSERT_TRUE(service.start());
    service.set_wanted(true);
    ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
    // Destroyed without release_now(): what a crash leaves behind.
  }
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(kMiB));
  ASSERT_TRUE(std::filesystem::exists(journal_));

  DownloadService restarted(*reactor_, *http_, config(1), journal_);
  ASSERT_TRUE(restarted.start());
  ASSERT_TRUE(run_until([&] { return restarted.settled() && !std::filesystem::exists(journal_); }))
      << restarted.status_json();
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));
}

TEST_F(QbittorrentTest, LeftoverRecordKeptWhenEngagedAgainRightAway) {
  QbittorrentPeer& peer = qbittorrent();
  {
    DownloadService service(*reactor_, *http_, config(1), journal_);
    ASSERT_TRUE(service.start());
    service.set_wanted(true);
    ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  }
  // Restarted while media still plays: the cap stays and the user's limit (not adrg's cap) is
  // still what gets restored at the end.
  DownloadService restarted(*reactor_, *http_, config(1), journal_);
  ASSERT_TRUE(restarted.start());
  restarted.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return restarted.engaged() && restarted.settled(); }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(kMiB));
  ASSERT_TRUE(restarted.throttle()->record());
  EXPECT_EQ(restarted.throttle()->record()->original.value, 3 * kMiB);

  bool released = false;
  restarted.release_now([&](Status st) {
    EXPECT_TRUE(st) << st.error().describe();
    released = true;
  });
  ASSERT_TRUE(run_until([&] { return released; }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));
  EXPECT_FALSE(std::filesystem::exists(journal_));
}

TEST_F(QbittorrentTest, AlternativeSpeedModeLimitIsTheOneCappedAndRestored) {
  QbittorrentPeer& peer = qbittorrent();
  // The user runs on alternative ("turtle") limits of 200 KiB/s.
  peer.api("app/setPreferences", R"(json={"alt_dl_limit":204800})", true);
  peer.api("transfer/setSpeedLimitsMode", "mode=1", true);
  ASSERT_EQ(peer.api("transfer/downloadLimit"), "204800");

  // 0.1 MiB/s = 104857.6 bytes/s, rounded down to whole KiB/s as qBittorrent stores it.
  DownloadService service(*reactor_, *http_, config(0.1), journal_);
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), "104448");
  EXPECT_EQ(service.throttle()->record()->original, (DownloadLimit{true, 204800, 1}));
  // The normal-mode limit was left alone.
  EXPECT_NE(peer.api("app/preferences").find("\"dl_limit\":3145728"), std::string::npos);

  // The user switches back to normal mode while media plays; the release must still land in
  // the alternative limit it was read from, and leave the normal one untouched.
  peer.api("transfer/setSpeedLimitsMode", "mode=0", true);
  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return !service.engaged() && service.settled(); }))
      << service.status_json();
  std::string prefs = peer.api("app/preferences");
  EXPECT_NE(prefs.find("\"alt_dl_limit\":204800"), std::string::npos) << prefs;
  EXPECT_NE(prefs.find("\"dl_limit\":3145728"), std::string::npos) << prefs;
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));
}

TEST_F(QbittorrentTest, WrongPasswordIsAClearErrorAndNotRetriedInALoop) {
  QbittorrentPeer& peer = qbittorrent();
  QbittorrentClient client(*http_, peer.url(), "admin", "wrong-secret-pw");
  std::optional<Result<DownloadLimit>> got;
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, std::errc::permission_denied);
  EXPECT_NE(got->error().message.find("wrong username or password"), std::string::npos)
      << got->error().message;
  EXPECT_EQ(got->error().message.find("wrong-secret-pw"), std::string::npos);

  DownloadService service(*reactor_, *http_, config(1, "wrong-secret-pw"), journal_,
                          fast_backoff());
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.throttle()->failures() > 0; }));
  // No timer retries on refused credentials (qBittorrent bans after 5 failed logins).
  const TimePoint end = SteadyClock::now() + milliseconds(800);
  while (SteadyClock::now() < end) reactor_->run_once(milliseconds(50));
  EXPECT_EQ(service.throttle()->failures(), 1u);
  EXPECT_FALSE(service.engaged());
  EXPECT_EQ(service.status_json().find("wrong-secret-pw"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(journal_));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));

  // A config reload with the right password engages.
  service.reconfigure(config(1));
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }))
      << service.status_json();
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(kMiB));
  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return service.settled(); }));
  EXPECT_EQ(peer.api("transfer/downloadLimit"), std::to_string(3 * kMiB));
}

TEST_F(QbittorrentTest, ExpiredSessionReLogsInOn403) {
  QbittorrentPeer& peer = qbittorrent();
  QbittorrentClient client(*http_, peer.url(), QbittorrentPeer::kUsername,
                           QbittorrentPeer::kPassword);
  std::optional<Result<DownloadLimit>> got;
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got) << got->error().describe();
  EXPECT_EQ(client.logins(), 1u);

  // Log adrg's session out behind its back (what a session timeout or restart does).
  ASSERT_TRUE(client.has_session());
  // auth/logout with our own cookie is not reachable from here; a restart of the client drops
  // every session instead.
  peer.stop();
  std::string error;
  ASSERT_TRUE(peer.start(&error)) << error;
  got.reset();
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got) << got->error().describe();
  EXPECT_EQ(got->value().value, 3 * kMiB);  // the restart kept the user's limit
  EXPECT_EQ(client.logins(), 2u);
}

TEST_F(QbittorrentTest, ClientDownThenUpIsRetriedWithBackoff) {
  // A peer constructed but not started yet: its port refuses connections.
  TempDir dir;
  QbittorrentPeer late(dir.path());
  Config cfg = throttle_config("qbittorrent", late.url(), QbittorrentPeer::kUsername,
                               QbittorrentPeer::kPassword, 1);
  DownloadService service(*reactor_, *http_, cfg, journal_, fast_backoff());
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.throttle()->failures() >= 2; }))
      << service.status_json();
  EXPECT_FALSE(service.engaged());
  EXPECT_FALSE(std::filesystem::exists(journal_));  // nothing read, nothing journaled

  std::string error;
  ASSERT_TRUE(late.start(&error)) << error;
  // qBittorrent itself rounds to whole KiB/s: the user's limit is what it shows afterwards.
  late.api("transfer/setDownloadLimit", "limit=777777", true);
  const std::string users_limit = late.api("transfer/downloadLimit");
  EXPECT_EQ(users_limit, "777216");
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }))
      << service.status_json();
  EXPECT_EQ(late.api("transfer/downloadLimit"), std::to_string(kMiB));

  // Shutdown with release_now while the client is up: restored.
  bool done = false;
  service.release_now([&](Status st) {
    EXPECT_TRUE(st) << st.error().describe();
    done = true;
  });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(late.api("transfer/downloadLimit"), users_limit);

  // Engaged, then the client dies: release_now reports the failure and keeps the journal.
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  late.stop();
  std::optional<Status> outcome;
  service.release_now([&](Status st) { outcome.emplace(std::move(st)); });
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_FALSE(*outcome);
  EXPECT_TRUE(std::filesystem::exists(journal_));
}

// ---- Transmission --------------------------------------------------------------------------

bool has(const std::string& reply, std::string_view text) {
  return reply.find(text) != std::string::npos;
}

TEST_F(TransmissionTest, EngageCapsAndReleaseRestoresValueAndFlag) {
  transmission();
  DownloadService service(*reactor_, *http_, config(1), journal_);
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }))
      << service.status_json();
  // 1 MiB/s = 1048576 B/s = 1048 kB/s (1 kB = 1000 B, rounded down).
  std::string now = transmission_limit();
  EXPECT_TRUE(has(now, "\"speed-limit-down\":1048,")) << now;
  EXPECT_TRUE(has(now, "\"speed-limit-down-enabled\":true")) << now;
  auto record = parse_record(file_text(journal_));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->original, (DownloadLimit{true, 700, 0}));

  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return !service.engaged() && service.settled(); }));
  now = transmission_limit();
  EXPECT_TRUE(has(now, "\"speed-limit-down\":700,")) << now;
  EXPECT_TRUE(has(now, "\"speed-limit-down-enabled\":true")) << now;
  EXPECT_FALSE(std::filesystem::exists(journal_));
}

TEST_F(TransmissionTest, DisabledLimitComesBackDisabledWithItsValue) {
  TransmissionPeer& peer = transmission();
  peer.rpc(R"({"method":"session-set","arguments":{"speed-limit-down":100,)"
           R"("speed-limit-down-enabled":false}})");
  DownloadService service(*reactor_, *http_, config(3), journal_);
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  EXPECT_TRUE(has(transmission_limit(), "\"speed-limit-down\":3145,"));
  service.set_wanted(false);
  ASSERT_TRUE(run_until([&] { return !service.engaged() && service.settled(); }));
  std::string now = transmission_limit();
  EXPECT_TRUE(has(now, "\"speed-limit-down\":100,")) << now;
  EXPECT_TRUE(has(now, "\"speed-limit-down-enabled\":false")) << now;
}

TEST_F(TransmissionTest, CrashWhileCappedIsRestoredFromTheJournalAtNextStart) {
  transmission();
  {
    DownloadService service(*reactor_, *http_, config(1), journal_);
    ASSERT_TRUE(service.start());
    service.set_wanted(true);
    ASSERT_TRUE(run_until([&] { return service.engaged() && service.settled(); }));
  }
  EXPECT_TRUE(has(transmission_limit(), "\"speed-limit-down\":1048,"));
  DownloadService restarted(*reactor_, *http_, config(1), journal_);
  ASSERT_TRUE(restarted.start());
  ASSERT_TRUE(run_until([&] { return restarted.settled() && !std::filesystem::exists(journal_); }))
      << restarted.status_json();
  std::string now = transmission_limit();
  EXPECT_TRUE(has(now, "\"speed-limit-down\":700,")) << now;
  EXPECT_TRUE(has(now, "\"speed-limit-down-enabled\":true")) << now;
}

TEST_F(TransmissionTest, SessionIdHandshakeOnFirstCallAndAfterRotation) {
  TransmissionPeer& peer = transmission();
  // The base URL form (rpc path appended) is accepted as well as the full RPC URL.
  TransmissionClient client(*http_, peer.url(), TransmissionPeer::kUsername,
                            TransmissionPeer::kPassword);
  EXPECT_EQ(client.rpc_url(), peer.rpc_url());
  std::optional<Result<DownloadLimit>> got;
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got) << got->error().describe();
  EXPECT_EQ(got->value(), (DownloadLimit{true, 700, 0}));
  EXPECT_EQ(client.session_id_refreshes(), 1u);  // 409 -> id -> resend

  // Same id reused while it is valid.
  got.reset();
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_TRUE(*got);
  EXPECT_EQ(client.session_id_refreshes(), 1u);

  // A daemon restart rotates the id: the stale one is answered 409 and handled.
  peer.stop();
  std::string error;
  ASSERT_TRUE(peer.start(&error)) << error;
  std::optional<Status> set;
  client.set_limit(DownloadLimit{true, 650, std::nullopt},
                   [&](Status st) { set.emplace(std::move(st)); });
  ASSERT_TRUE(run_until([&] { return set.has_value(); }));
  ASSERT_TRUE(*set) << set->error().describe();
  EXPECT_EQ(client.session_id_refreshes(), 2u);
  EXPECT_TRUE(has(transmission_limit(), "\"speed-limit-down\":650,"));
}

TEST_F(TransmissionTest, WrongPasswordIsAClearError) {
  TransmissionPeer& peer = transmission();
  TransmissionClient client(*http_, peer.rpc_url(), TransmissionPeer::kUsername, "nope-nope");
  std::optional<Result<DownloadLimit>> got;
  client.read_limit([&](Result<DownloadLimit> limit) { got.emplace(std::move(limit)); });
  ASSERT_TRUE(run_until([&] { return got.has_value(); }));
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->error().code, std::errc::permission_denied);
  EXPECT_NE(got->error().message.find("401"), std::string::npos) << got->error().message;

  DownloadService service(*reactor_, *http_, config(1, "nope-nope"), journal_, fast_backoff());
  ASSERT_TRUE(service.start());
  service.set_wanted(true);
  ASSERT_TRUE(run_until([&] { return service.throttle()->failures() > 0; }));
  EXPECT_FALSE(service.engaged());
  EXPECT_EQ(service.status_json().find("nope-nope"), std::string::npos);
  EXPECT_TRUE(has(transmission_limit(), "\"speed-limit-down\":700,"));
}

TEST(TransmissionUrl, AllAcceptedFormsReachTheRpcPath) {
  EXPECT_EQ(TransmissionClient::rpc_url_for("http://h:9091"), "http://h:9091/transmission/rpc");
  EXPECT_EQ(TransmissionClient::rpc_url_for("http://h:9091/"), "http://h:9091/transmission/rpc");
  EXPECT_EQ(TransmissionClient::rpc_url_for("http://h:9091/transmission"),
            "http://h:9091/transmission/rpc");
  EXPECT_EQ(TransmissionClient::rpc_url_for("http://h:9091/transmission/rpc"),
            "http://h:9091/transmission/rpc");
  EXPECT_EQ(TransmissionClient::rpc_url_for("https://seedbox/tr/transmission/rpc/"),
            "https://seedbox/tr/transmission/rpc");
}

}  // namespace
}  // namespace adrg::downloads

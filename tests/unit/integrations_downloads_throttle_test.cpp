// DownloadThrottle's own logic with a scripted in-process client (the real clients are covered
// by tests/integration/integrations_downloads_test.cpp): journal-before-cap ordering, coalescing
// of wish changes while a request is out, retries with backoff, no timer retry on refused
// credentials, crash records (matching, orphaned, corrupt), and unit conversions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/reactor.h"
#include "integrations/downloads/download_throttle.h"
#include "integrations/downloads/qbittorrent_client.h"
#include "integrations/downloads/transmission_client.h"
#include "tests/support/temp_dir.h"

namespace adrg::downloads {
namespace {

using std::chrono::milliseconds;

struct Script {
  DownloadLimit current{true, 3 * 1048576, 0};
  std::vector<std::string> calls;
  int fail_next = 0;  // that many calls fail (connection refused)
  bool refuse_credentials = false;
  std::string journal_path;
  std::vector<bool> journal_present_at_set;
};

class FakeClient final : public DownloadClient {
 public:
  FakeClient(Reactor& reactor, Script& script, std::string url = "http://qbt:8080")
      : reactor_(reactor), script_(script), url_(std::move(url)) {}
  std::string_view provider() const override { return "qbittorrent"; }
  std::string display_url() const override { return url_; }
  void read_limit(LimitCallback done) override {
    script_.calls.push_back("read");
    reactor_.post([this, done = std::move(done)] {
      if (auto error = next_error()) return done(*error);
      done(script_.current);
    });
  }
  void set_limit(const DownloadLimit& limit, StatusCallback done) override {
    script_.calls.push_back("set " + std::to_string(limit.value));
    script_.journal_present_at_set.push_back(std::filesystem::exists(script_.journal_path));
    reactor_.post([this, limit, done = std::move(done)] {
      if (auto error = next_error()) return done(*error);
      script_.current = limit;
      done(Status{});
    });
  }
  DownloadLimit cap_for(std::uint64_t bytes) const override {
    return DownloadLimit{true, bytes, std::nullopt};
  }

 private:
  std::optional<Error> next_error() {
    if (script_.refuse_credentials) {
      return Error{std::make_error_code(std::errc::permission_denied), "login failed"};
    }
    if (script_.fail_next > 0) {
      --script_.fail_next;
      return Error{std::make_error_code(std::errc::connection_refused), "refused"};
    }
    return std::nullopt;
  }
  Reactor& reactor_;
  Script& script_;
  std::string url_;
};

class ThrottleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Reactor::create();
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    script_.journal_path = dir_.path() + "/lib/adrg/download-throttle.json";
  }
  std::unique_ptr<DownloadThrottle> make(std::string url = "http://qbt:8080") {
    return std::make_unique<DownloadThrottle>(
        *reactor_, std::make_unique<FakeClient>(*reactor_, script_, std::move(url)), 1048576,
        script_.journal_path, DownloadThrottle::Options{milliseconds(20), milliseconds(80)});
  }
  bool run_until(const std::function<bool()>& done) {
    const TimePoint end = SteadyClock::now() + std::chrono::seconds(5);
    while (!done() && SteadyClock::now() < end) reactor_->run_once(milliseconds(5));
    return done();
  }
  void run_for(Duration span) {
    const TimePoint end = SteadyClock::now() + span;
    while (SteadyClock::now() < end) reactor_->run_once(milliseconds(5));
  }

  testing::TempDir dir_;
  std::unique_ptr<Reactor> reactor_;
  Script script_;
};

TEST_F(ThrottleTest, JournalIsWrittenBeforeTheCapAndRemovedAfterTheRestore) {
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->settled(); }));
  EXPECT_TRUE(throttle->engaged());
  EXPECT_EQ(script_.calls, (std::vector<std::string>{"read", "set 1048576"}));
  ASSERT_EQ(script_.journal_present_at_set, (std::vector<bool>{true}));
  throttle->release();
  ASSERT_TRUE(run_until([&] { return throttle->settled(); }));
  EXPECT_EQ(script_.calls.back(), "set 3145728");
  EXPECT_EQ(script_.current, (DownloadLimit{true, 3 * 1048576, 0}));
  EXPECT_FALSE(std::filesystem::exists(script_.journal_path));
}

TEST_F(ThrottleTest, WishChangesWhileBusyCoalesce) {
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  throttle->release();
  throttle->engage();
  throttle->release();
  ASSERT_TRUE(run_until([&] { return throttle->settled(); }));
  // The read was out when the wish flipped: it finishes, the cap is set, then released once.
  EXPECT_LE(script_.calls.size(), 3u);
  EXPECT_EQ(script_.current.value, 3u * 1048576);
  EXPECT_FALSE(std::filesystem::exists(script_.journal_path));
}

TEST_F(ThrottleTest, ErrorsRetryWithBackoffUntilTheClientAnswers) {
  script_.fail_next = 3;
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->engaged() && throttle->settled(); }));
  EXPECT_EQ(throttle->failures(), 0u);  // reset on success
  EXPECT_EQ(script_.current.value, 1048576u);
  EXPECT_EQ(throttle->record()->original.value, 3u * 1048576);
}

TEST_F(ThrottleTest, RefusedCredentialsAreNotRetriedOnATimer) {
  script_.refuse_credentials = true;
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->failures() == 1; }));
  run_for(milliseconds(300));
  EXPECT_EQ(script_.calls.size(), 1u);
  EXPECT_FALSE(throttle->engaged());
  // The next change of wish tries again.
  script_.refuse_credentials = false;
  throttle->release();
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->engaged() && throttle->settled(); }));
}

TEST_F(ThrottleTest, ReleaseNowWithNothingHeldAnswersAtOnce) {
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  bool done = false;
  throttle->release_now([&](Status st) {
    EXPECT_TRUE(st);
    done = true;
  });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_TRUE(script_.calls.empty());
}

TEST_F(ThrottleTest, ReleaseNowReportsAFailedAttemptAndKeepsTheJournal) {
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->engaged() && throttle->settled(); }));
  script_.fail_next = 100;
  std::optional<Status> outcome;
  throttle->release_now([&](Status st) { outcome.emplace(std::move(st)); });
  ASSERT_TRUE(run_until([&] { return outcome.has_value(); }));
  EXPECT_FALSE(*outcome);
  EXPECT_TRUE(std::filesystem::exists(script_.journal_path));
}

TEST_F(ThrottleTest, LeftoverRecordIsRestoredAtStart) {
  {
    auto crashed = make();
    ASSERT_TRUE(crashed->start());
    crashed->engage();
    ASSERT_TRUE(run_until([&] { return crashed->engaged() && crashed->settled(); }));
  }
  script_.calls.clear();
  auto restarted = make();
  ASSERT_TRUE(restarted->start());
  ASSERT_TRUE(run_until([&] { return restarted->settled(); }));
  EXPECT_EQ(script_.calls, (std::vector<std::string>{"set 3145728"}));  // no read of our cap
  EXPECT_FALSE(std::filesystem::exists(script_.journal_path));
}

TEST_F(ThrottleTest, RecordOfAnotherClientIsMovedAsideNotWrittenHere) {
  {
    auto crashed = make("http://old-host:8080");
    ASSERT_TRUE(crashed->start());
    crashed->engage();
    ASSERT_TRUE(run_until([&] { return crashed->engaged() && crashed->settled(); }));
  }
  script_.calls.clear();
  auto restarted = make("http://new-host:8080");
  ASSERT_TRUE(restarted->start());
  run_for(milliseconds(50));
  EXPECT_TRUE(script_.calls.empty());
  EXPECT_FALSE(std::filesystem::exists(script_.journal_path));
  EXPECT_TRUE(std::filesystem::exists(script_.journal_path + ".orphaned"));
}

TEST_F(ThrottleTest, CorruptJournalIsMovedAside) {
  std::filesystem::create_directories(std::filesystem::path(script_.journal_path).parent_path());
  std::ofstream(script_.journal_path) << "{not json";
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  EXPECT_FALSE(throttle->record());
  EXPECT_TRUE(std::filesystem::exists(script_.journal_path + ".corrupt"));
}

TEST_F(ThrottleTest, NewCapWhileEngagedKeepsTheOriginal) {
  auto throttle = make();
  ASSERT_TRUE(throttle->start());
  throttle->engage();
  ASSERT_TRUE(run_until([&] { return throttle->engaged() && throttle->settled(); }));
  throttle->set_cap(2 * 1048576);
  ASSERT_TRUE(run_until([&] { return throttle->settled(); }));
  EXPECT_EQ(script_.current.value, 2u * 1048576);
  EXPECT_EQ(throttle->record()->original.value, 3u * 1048576);
  auto journaled = parse_record([&] {
    std::ifstream in(script_.journal_path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }());
  ASSERT_TRUE(journaled);
  EXPECT_EQ(journaled->cap.value, 2u * 1048576);
  EXPECT_EQ(journaled->original.value, 3u * 1048576);
}

TEST(ThrottleRecord, RoundTrip) {
  ThrottleRecord record{"transmission", "http://tr:9091/transmission/rpc",
                        DownloadLimit{false, 100, 1}, DownloadLimit{true, 5242, std::nullopt},
                        1.7e9};
  auto parsed = parse_record(serialize_record(record));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->provider, record.provider);
  EXPECT_EQ(parsed->url, record.url);
  EXPECT_EQ(parsed->original, record.original);
  EXPECT_EQ(parsed->cap, record.cap);
  EXPECT_FALSE(parse_record(R"({"version":2})"));
  EXPECT_FALSE(parse_record(R"({"version":1,"provider":"x","url":"y","original":{}})"));
}

TEST(Units, MiBAndNativeCaps) {
  EXPECT_EQ(mib_per_sec_to_bytes(5), 5u * 1048576);
  EXPECT_EQ(mib_per_sec_to_bytes(0.5), 524288u);
  EXPECT_EQ(mib_per_sec_to_bytes(0), 0u);
  EXPECT_EQ(mib_per_sec_to_bytes(-1), 0u);
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor);
  HttpClient http(**reactor);
  QbittorrentClient qbt(http, "http://q", "u", "p");
  TransmissionClient tr(http, "http://t", "u", "p");
  // qBittorrent: bytes/s in whole KiB; Transmission: kB/s with 1 kB = 1000 B.
  EXPECT_EQ(qbt.cap_for(5 * 1048576), (DownloadLimit{true, 5242880, std::nullopt}));
  EXPECT_EQ(qbt.cap_for(104857), (DownloadLimit{true, 104448, std::nullopt}));
  EXPECT_EQ(qbt.cap_for(1), (DownloadLimit{true, 1024, std::nullopt}));
  EXPECT_EQ(tr.cap_for(5 * 1048576), (DownloadLimit{true, 5242, std::nullopt}));
  EXPECT_EQ(tr.cap_for(10), (DownloadLimit{true, 1, std::nullopt}));
  EXPECT_EQ(qbt.display_url(), "http://q");
}

}  // namespace
}  // namespace adrg::downloads

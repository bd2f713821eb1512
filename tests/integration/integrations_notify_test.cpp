// NotificationService against loopback fakes of Discord, ntfy and Gotify, built from each
// service's documented API (see integrations/notify/notification.h). The reactor runs in the
// test thread with run_once until a condition or a deadline; the fakes run on their own threads.
// Every test captures the log and TearDown asserts that no secret of any test ever reached it.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/http_client.h"
#include "integrations/notify/notification_service.h"
#include "tests/support/loopback_http_server.h"

namespace adrg::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpServerRequest;
using testing::HttpServerResponse;
using testing::LoopbackHttpServer;

constexpr const char* kDiscordToken = "SECRETdiscordWEBHOOKtoken_0123456789";
constexpr const char* kNtfyTopic = "adrg-secret-topic-7f3a";
constexpr const char* kNtfyToken = "tk_SECRETntfyTOKEN42";
constexpr const char* kGotifyToken = "AgotifySECRETkey9";

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

// Arrival times on the fakes' threads, for "retried after at least X" assertions.
class Arrivals {
 public:
  void mark() {
    std::lock_guard<std::mutex> lock(mutex_);
    times_.push_back(SteadyClock::now());
  }
  std::vector<TimePoint> times() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return times_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<TimePoint> times_;
};

double gap(const std::vector<TimePoint>& t, std::size_t i) { return to_seconds(t[i] - t[i - 1]); }

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Reactor::create();
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    http_ = std::make_unique<HttpClient>(*reactor_);
    sink_ = std::make_shared<CaptureSink>();
    sink_->set_pattern("%l %v");
    spdlog::default_logger()->sinks().push_back(sink_);
    saved_level_ = spdlog::default_logger()->level();
    spdlog::default_logger()->set_level(spdlog::level::trace);  // debug lines must be clean too
    config_.notify_on = {"daemon_start",   "daemon_stop",    "media_mode_activated",
                         "thermal_stage1", "thermal_stage2", "memory_emergency_restart"};
    config_.min_interval_seconds = 0;
    tuning_.initial_backoff = milliseconds(50);
  }

  void TearDown() override {
    service_.reset();
    http_.reset();
    reactor_.reset();
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
    spdlog::default_logger()->set_level(saved_level_);
    const std::string log = sink_->text();
    for (const char* secret : {kDiscordToken, kNtfyTopic, kNtfyToken, kGotifyToken}) {
      EXPECT_EQ(log.find(secret), std::string::npos) << "secret " << secret << " in log:\n" << log;
    }
  }

  std::string discord_url(const LoopbackHttpServer& s) const {
    return s.url("/api/webhooks/112233445566778899/") + kDiscordToken;
  }
  std::string ntfy_url(const LoopbackHttpServer& s) const { return s.url("/") + kNtfyTopic; }

  void start() {
    service_ = std::make_unique<NotificationService>(*reactor_, *http_, config_, clock_, tuning_);
  }

  bool run_until(const std::function<bool()>& done, Duration deadline = seconds(10)) {
    const TimePoint end = SteadyClock::now() + deadline;
    while (!done() && SteadyClock::now() < end) reactor_->run_once(milliseconds(10));
    return done();
  }

  const BackendCounters& counters(Backend b) {
    stats_ = service_->stats();
    return stats_[static_cast<std::size_t>(b)].counters;
  }
  bool idle() { return service_->pending() == 0; }

  static Decision thermal2() {
    return {"thermal",
            "thermal_stage2",
            "stage1",
            "stage2",
            "max temperature 81.5 °C >= stage2 threshold 80.0 °C",
            {}};
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> http_;
  RealClock clock_;
  NotificationsConfig config_;
  NotifyTuning tuning_;
  std::unique_ptr<NotificationService> service_;
  std::shared_ptr<CaptureSink> sink_;
  spdlog::level::level_enum saved_level_ = spdlog::level::info;
  std::array<BackendStats, kBackendCount> stats_{};
};

TEST_F(NotifyTest, DiscordGetsJsonContentAndUsername) {
  LoopbackHttpServer discord;
  discord.on("POST", "/api/webhooks/*/*",
             [](const HttpServerRequest&) { return HttpServerResponse::text(204, ""); });
  config_.discord_webhook_url = discord_url(discord);
  start();
  EXPECT_TRUE(service_->notify(thermal2()));
  ASSERT_TRUE(run_until([&] { return counters(Backend::kDiscord).sent == 1; }));
  auto requests = discord.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, std::string("/api/webhooks/112233445566778899/") + kDiscordToken);
  EXPECT_EQ(requests[0].header("Content-Type"), "application/json");
  EXPECT_EQ(
      requests[0].body,
      "{\"content\":\"**🌡️ Thermal stage 2**\\nPaused tier 2+3: max temperature 81.5 °C ≥ "
      "stage2 threshold 80.0 °C.\",\"username\":\"adrg\",\"allowed_mentions\":{\"parse\":[]}"
      "}");
  EXPECT_NE(sink_->text().find("discord http://127.0.0.1:" + std::to_string(discord.port()) +
                               "/…: sent 'Thermal stage 2' (HTTP 204"),
            std::string::npos)
      << sink_->text();
}

TEST_F(NotifyTest, Discord429HonoursRetryAfterThenDelivers) {
  LoopbackHttpServer discord;
  Arrivals arrivals;
  std::atomic<int> calls{0};
  discord.on("POST", "/api/webhooks/*/*", [&](const HttpServerRequest&) {
    arrivals.mark();
    if (calls++ == 0) {
      // Discord's documented 429: Retry-After header plus retry_after (float seconds) in JSON.
      auto r = HttpServerResponse::json(
          429,
          R"({"message": "You are being rate limited.", "retry_after": 0.2, "global": false})");
      r.headers.emplace_back("Retry-After", "0.2");
      return r;
    }
    return HttpServerResponse::text(204, "");
  });
  config_.discord_webhook_url = discord_url(discord);
  tuning_.initial_backoff = milliseconds(1);  // so only Retry-After can explain the wait
  start();
  service_->notify(thermal2());
  ASSERT_TRUE(run_until([&] { return counters(Backend::kDiscord).sent == 1; }));
  auto t = arrivals.times();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_GE(gap(t, 1), 0.2);
  EXPECT_EQ(counters(Backend::kDiscord).retries, 1u);
  EXPECT_EQ(counters(Backend::kDiscord).failed, 0u);
  EXPECT_NE(sink_->text().find("retry 1/3 in 0.2 s (Retry-After)"), std::string::npos);
  EXPECT_EQ(discord.requests()[0].body, discord.requests()[1].body);
}

TEST_F(NotifyTest, NtfyTitlePriorityTagsBearerAndBody) {
  LoopbackHttpServer ntfy;
  ntfy.on("POST", std::string("/") + kNtfyTopic, [](const HttpServerRequest&) {
    return HttpServerResponse::json(
        200, R"({"id":"hwQ2YpKdmg","time":1635528741,"event":"message","topic":"t"})");
  });
  config_.ntfy_url = ntfy_url(ntfy);
  config_.ntfy_token = kNtfyToken;
  start();
  service_->notify(thermal2());
  service_->notify("daemon_start", "adrg started", "adrg 0.1.0 on nas");
  ASSERT_TRUE(run_until([&] { return counters(Backend::kNtfy).sent == 2; }));
  auto requests = ntfy.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].header("Title"), "Thermal stage 2");
  EXPECT_EQ(requests[0].header("Priority"), "high");
  EXPECT_EQ(requests[0].header("Tags"), "thermometer,fire");
  EXPECT_EQ(requests[0].header("Authorization"), std::string("Bearer ") + kNtfyToken);
  EXPECT_EQ(requests[0].body,
            "Paused tier 2+3: max temperature 81.5 °C ≥ stage2 threshold 80.0 °C.");
  EXPECT_EQ(requests[1].header("Title"), "adrg started");
  EXPECT_EQ(requests[1].header("Priority"), "default");
  EXPECT_EQ(requests[1].body, "adrg 0.1.0 on nas");
}

TEST_F(NotifyTest, GotifyKeyHeaderAndJsonPriority) {
  LoopbackHttpServer gotify;
  gotify.on("POST", "/message", [](const HttpServerRequest&) {
    return HttpServerResponse::json(200, R"({"id":25,"appid":5,"message":"m","title":"t"})");
  });
  config_.gotify_url = gotify.url("/");
  config_.gotify_token = kGotifyToken;
  start();
  service_->notify(Decision{"memory",
                            "memory_emergency_restart",
                            "critical",
                            "critical",
                            "memory full avg10 30.00 > 25.00: emergency restart of tdarr",
                            {"tdarr"}});
  ASSERT_TRUE(run_until([&] { return counters(Backend::kGotify).sent == 1; }));
  auto r = gotify.requests().at(0);
  EXPECT_EQ(r.path, "/message");
  EXPECT_EQ(r.query, "");  // the token never travels in the URL
  EXPECT_EQ(r.header("X-Gotify-Key"), kGotifyToken);
  EXPECT_EQ(r.body,
            "{\"title\":\"🚨 Memory emergency: container restarted\",\"message\":\"Memory full "
            "avg10 30.00 > 25.00: emergency restart of tdarr.\",\"priority\":10}");
}

TEST_F(NotifyTest, FansOutToEveryBackendAndSkipsEventsNotListed) {
  LoopbackHttpServer server;
  server.on("POST", "*", [](const HttpServerRequest& r) {
    return HttpServerResponse::text(r.path == "/message"                           ? 200
                                    : r.path.find("webhooks") != std::string::npos ? 204
                                                                                   : 200,
                                    "{}");
  });
  config_.discord_webhook_url = discord_url(server);
  config_.ntfy_url = ntfy_url(server);
  config_.gotify_url = server.url();
  config_.gotify_token = kGotifyToken;
  config_.notify_on = {"thermal_stage1"};
  start();
  EXPECT_FALSE(service_->notify("media_mode_activated", "Media mode on", "not listed"));
  EXPECT_FALSE(service_->notify(thermal2()));  // thermal_stage2 is not listed either
  EXPECT_TRUE(service_->notify("thermal_stage1", "Thermal stage 1", "listed"));
  // Each backend is a FIFO: had a filtered event been queued it would have arrived first.
  ASSERT_TRUE(run_until([&] { return idle() && server.request_count() >= 3; }));
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_TRUE(r.body.find("listed") != std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("not listed"), std::string::npos);
  }
  EXPECT_EQ(service_->filtered(), 2u);
  for (auto b : {Backend::kDiscord, Backend::kNtfy, Backend::kGotify}) {
    EXPECT_EQ(counters(b).sent, 1u) << to_string(b);
  }
}

TEST_F(NotifyTest, RateLimitCoalescesABurstIntoOneFollowUp) {
  LoopbackHttpServer ntfy;
  Arrivals arrivals;
  ntfy.on("POST", "/*", [&](const HttpServerRequest&) {
    arrivals.mark();
    return HttpServerResponse::json(200, "{}");
  });
  config_.ntfy_url = ntfy_url(ntfy);
  config_.min_interval_seconds = 0.3;
  start();
  const TimePoint t0 = SteadyClock::now();
  EXPECT_TRUE(service_->notify("thermal_stage1", "Thermal stage 1", "m1"));
  EXPECT_FALSE(service_->notify("thermal_stage1", "Thermal stage 1", "m2"));
  EXPECT_FALSE(service_->notify("thermal_stage1", "Thermal stage 1", "m3"));
  EXPECT_FALSE(service_->notify("thermal_stage1", "Thermal stage 1", "m4"));
  // Another kind is not limited by this one's window.
  EXPECT_TRUE(service_->notify("thermal_stage2", "Thermal stage 2", "other kind"));
  ASSERT_TRUE(run_until([&] { return counters(Backend::kNtfy).sent == 3; }));
  auto requests = ntfy.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, "m1");
  EXPECT_EQ(requests[1].body, "other kind");
  EXPECT_EQ(requests[2].body, "m4 (+2 more)");
  EXPECT_GE(to_seconds(arrivals.times()[2] - t0), 0.3);
  EXPECT_EQ(counters(Backend::kNtfy).suppressed, 2u);
  // The follow-up opened a new window: the next one waits for it and carries no count.
  EXPECT_FALSE(service_->notify("thermal_stage1", "Thermal stage 1", "m5"));
  ASSERT_TRUE(run_until([&] { return counters(Backend::kNtfy).sent == 4; }));
  EXPECT_EQ(ntfy.requests().at(3).body, "m5");
  // Measured between arrivals, so the loopback latency of the follow-up is the tolerance.
  EXPECT_GE(to_seconds(arrivals.times()[3] - arrivals.times()[2]), 0.25);
  EXPECT_EQ(ntfy.request_count(), 4u);
}

TEST_F(NotifyTest, ServerErrorsAreRetriedWithBackoffThenGivenUp) {
  LoopbackHttpServer gotify;
  Arrivals arrivals;
  gotify.on("POST", "/message", [&](const HttpServerRequest&) {
    arrivals.mark();
    return HttpServerResponse::json(500, R"({"error":"Internal Server Error"})");
  });
  config_.gotify_url = gotify.url();
  config_.gotify_token = kGotifyToken;
  start();
  service_->notify(thermal2());
  ASSERT_TRUE(run_until([&] { return counters(Backend::kGotify).failed == 1; }));
  auto t = arrivals.times();
  ASSERT_EQ(t.size(), 4u);  // first attempt + 3 retries
  EXPECT_GE(gap(t, 1), 0.05);
  EXPECT_GE(gap(t, 2), 0.10);
  EXPECT_GE(gap(t, 3), 0.20);
  EXPECT_EQ(counters(Backend::kGotify).retries, 3u);
  EXPECT_EQ(counters(Backend::kGotify).sent, 0u);
  EXPECT_TRUE(idle());
  const std::string log = sink_->text();
  EXPECT_NE(log.find("error notify: gotify http://127.0.0.1:" + std::to_string(gotify.port()) +
                     ": gave up on 'Thermal stage 2' after 4 attempt(s): HTTP 500"),
            std::string::npos)
      << log;
}

TEST_F(NotifyTest, ClientErrorsAreNotRetried) {
  LoopbackHttpServer gotify;
  gotify.on("POST", "/message", [](const HttpServerRequest& r) {
    // A server that quotes the credential back must not get it into our log.
    return HttpServerResponse::json(401, R"({"error":"Unauthorized","errorDescription":"token )" +
                                             r.header("X-Gotify-Key") + R"( is invalid"})");
  });
  config_.gotify_url = gotify.url();
  config_.gotify_token = kGotifyToken;
  start();
  service_->notify(thermal2());
  ASSERT_TRUE(run_until([&] { return counters(Backend::kGotify).failed == 1; }));
  EXPECT_EQ(gotify.request_count(), 1u);
  EXPECT_EQ(counters(Backend::kGotify).retries, 0u);
  EXPECT_NE(sink_->text().find("HTTP 401"), std::string::npos);
  EXPECT_NE(sink_->text().find("token *** is invalid"), std::string::npos) << sink_->text();
}

TEST_F(NotifyTest, UnreachablePortNeitherCrashesNorStallsTheLoop) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  ::close(fd);  // nothing listens there now: connection refused
  config_.ntfy_url = "http://127.0.0.1:" + std::to_string(port) + "/" + kNtfyTopic;
  config_.ntfy_token = kNtfyToken;
  start();
  int ticks = 0;
  auto tick = reactor_->add_timer(milliseconds(5), milliseconds(5), [&] { ++ticks; });
  ASSERT_TRUE(tick);
  service_->notify(thermal2());
  ASSERT_TRUE(run_until([&] { return counters(Backend::kNtfy).failed == 1; }));
  reactor_->cancel(*tick);
  EXPECT_EQ(counters(Backend::kNtfy).retries, 3u);
  // 50 + 100 + 200 ms of backoff passed on reactor timers while the loop kept ticking.
  EXPECT_GE(ticks, 20);
  EXPECT_NE(sink_->text().find("ntfy http://127.0.0.1:" + std::to_string(port) + "/…"),
            std::string::npos);
}

TEST_F(NotifyTest, FlushDeliversDaemonStopAndHeldMessagesBeforeDone) {
  LoopbackHttpServer ntfy;
  ntfy.on("POST", "/*", [](const HttpServerRequest&) {
    auto r = HttpServerResponse::json(200, "{}");
    r.delay = milliseconds(100);
    return r;
  });
  config_.ntfy_url = ntfy_url(ntfy);
  config_.min_interval_seconds = 60;
  start();
  service_->notify("thermal_stage1", "Thermal stage 1", "first");
  service_->notify("thermal_stage1", "Thermal stage 1", "held for a minute");
  service_->notify(Decision{"", "daemon_stop", "", "", "SIGTERM", {}});
  bool done = false;
  service_->flush(seconds(5), [&] { done = true; });
  EXPECT_FALSE(done);  // never called from inside flush()
  ASSERT_TRUE(run_until([&] { return done; }));
  auto requests = ntfy.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, "first");
  EXPECT_EQ(requests[1].body, "SIGTERM.");
  EXPECT_EQ(requests[1].header("Title"), "adrg stopping");
  EXPECT_EQ(requests[2].body, "held for a minute");
  EXPECT_EQ(counters(Backend::kNtfy).sent, 3u);
}

TEST_F(NotifyTest, FlushGivesUpAtItsDeadline) {
  LoopbackHttpServer ntfy;
  ntfy.on("POST", "/*", [](const HttpServerRequest&) {
    auto r = HttpServerResponse::json(200, "{}");
    r.delay = seconds(5);  // a hung server; stop() interrupts the delay
    return r;
  });
  config_.ntfy_url = ntfy_url(ntfy);
  start();
  service_->notify(Decision{"", "daemon_stop", "", "", "SIGTERM", {}});
  bool done = false;
  const TimePoint t0 = SteadyClock::now();
  service_->flush(milliseconds(200), [&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }, seconds(3)));
  EXPECT_GE(to_seconds(SteadyClock::now() - t0), 0.2);
  EXPECT_LT(to_seconds(SteadyClock::now() - t0), 2.0);
  EXPECT_EQ(counters(Backend::kNtfy).failed, 1u);
  EXPECT_TRUE(idle());
  ntfy.stop();
}

TEST_F(NotifyTest, FullQueueDropsTheOldestNotInFlight) {
  LoopbackHttpServer ntfy;
  ntfy.on("POST", "/*", [](const HttpServerRequest&) {
    auto r = HttpServerResponse::json(200, "{}");
    r.delay = milliseconds(20);
    return r;
  });
  config_.ntfy_url = ntfy_url(ntfy);
  tuning_.max_pending = 4;
  start();
  for (int i = 1; i <= 10; ++i) {
    service_->notify("thermal_stage1", "Thermal stage 1", "m" + std::to_string(i));
  }
  EXPECT_EQ(service_->pending(), 4u);
  ASSERT_TRUE(run_until([&] { return idle(); }));
  std::vector<std::string> bodies;
  for (const auto& r : ntfy.requests()) bodies.push_back(r.body);
  EXPECT_EQ(bodies, (std::vector<std::string>{"m1", "m8", "m9", "m10"}));
  EXPECT_EQ(counters(Backend::kNtfy).dropped, 6u);
  EXPECT_NE(sink_->text().find("queue full"), std::string::npos);
}

TEST_F(NotifyTest, ReconfigureSwitchesBackendsAndDropsADisabledQueue) {
  LoopbackHttpServer server;
  server.on("POST", "*", [](const HttpServerRequest&) {
    auto r = HttpServerResponse::json(200, "{}");
    r.delay = milliseconds(50);
    return r;
  });
  config_.ntfy_url = ntfy_url(server);
  start();
  service_->notify("thermal_stage1", "Thermal stage 1", "to ntfy");
  service_->notify("thermal_stage1", "Thermal stage 1", "queued for ntfy");
  NotificationsConfig next = config_;
  next.ntfy_url = "";  // ADRG: ${ADRG_NTFY_URL} unset
  next.gotify_url = server.url();
  next.gotify_token = kGotifyToken;
  service_->reconfigure(next);
  EXPECT_EQ(counters(Backend::kNtfy).dropped, 2u);
  service_->notify("thermal_stage1", "Thermal stage 1", "to gotify");
  ASSERT_TRUE(run_until([&] { return counters(Backend::kGotify).sent == 1; }));
  auto requests = server.requests();
  ASSERT_GE(requests.size(), 1u);
  EXPECT_EQ(requests.back().path, "/message");
  EXPECT_NE(requests.back().body.find("to gotify"), std::string::npos);
  EXPECT_EQ(service_->describe().find(kGotifyToken), std::string::npos);
}

TEST_F(NotifyTest, DestroyedWithTransfersInFlightRunsNoCallback) {
  LoopbackHttpServer ntfy;
  ntfy.on("POST", "/*", [](const HttpServerRequest&) {
    auto r = HttpServerResponse::json(200, "{}");
    r.delay = milliseconds(100);
    return r;
  });
  config_.ntfy_url = ntfy_url(ntfy);
  config_.ntfy_token = kNtfyToken;
  config_.discord_webhook_url = "http://127.0.0.1:1/api/webhooks/1/x";  // refused quickly
  config_.min_interval_seconds = 10;
  start();
  service_->notify(thermal2());
  service_->notify(thermal2());  // held: a window timer is armed
  ASSERT_TRUE(run_until([&] { return ntfy.request_count() >= 1; }));
  service_.reset();
  // Whatever the client or the timers still deliver must find nothing of ours.
  const TimePoint end = SteadyClock::now() + milliseconds(300);
  while (SteadyClock::now() < end) reactor_->run_once(milliseconds(10));
  SUCCEED();
}

}  // namespace
}  // namespace adrg::notify

// MediaMonitor and MediaService against loopback fakes shaped like the documented APIs
// (Jellyfin/Emby GET /Sessions with X-Emby-Token, Plex GET /status/sessions with X-Plex-Token
// and Accept: application/json). The fakes check the key like the real servers (401 otherwise),
// change their sessions over time, and can be slow, to prove: callbacks follow the server, a
// wrong key or a dead/slow server is "unreachable, 0 sessions" logged once per outage, the loop
// is never blocked (a timer keeps firing during a hung request), one request at most in flight,
// recovery is noticed and logged once, and the key never reaches a log line.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/media/media_monitor.h"
#include "integrations/media/media_service.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/process.h"

namespace adrg::media {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpServerRequest;
using testing::HttpServerResponse;
using testing::LoopbackHttpServer;

constexpr const char* kKey = "k3y-0123456789abcdef";

std::string jellyfin_sessions(int playing, int paused, int idle) {
  std::string json = "[";
  auto add = [&](const std::string& session) {
    if (json.size() > 1) json += ",";
    json += session;
  };
  for (int i = 0; i < playing; ++i) {
    add(R"({"Id":"p)" + std::to_string(i) +
        R"(","UserName":"alice","Client":"Jellyfin Web","PlayState":{"IsPaused":false},)"
        R"("NowPlayingItem":{"Name":"Big Buck Bunny","Type":"Movie"}})");
  }
  for (int i = 0; i < paused; ++i) {
    add(R"({"Id":"z)" + std::to_string(i) +
        R"(","UserName":"bob","PlayState":{"IsPaused":true},"NowPlayingItem":{"Name":"Sintel"}})");
  }
  for (int i = 0; i < idle; ++i) {
    add(R"({"Id":"i)" + std::to_string(i) + R"(","UserName":"carol","PlayState":{}})");
  }
  return json + "]";
}

// Captures every log line of the default logger while alive.
class LogCapture {
 public:
  LogCapture() {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::info);  // per-poll repeats are debug on purpose
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return stream_.str(); }
  int count(std::string_view needle) const {
    std::string all = text();
    int n = 0;
    for (auto at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

// A Jellyfin-like fake whose state the test changes while the monitor polls.
struct FakeJellyfin {
  std::mutex mutex;
  int playing = 0;
  int paused = 0;
  milliseconds delay{0};
  int status = 200;

  void install(LoopbackHttpServer& server) {
    server.on("GET", "/Sessions", [this](const HttpServerRequest& request) {
      // Like Jellyfin: the API key in X-Emby-Token (or the MediaBrowser Authorization header).
      if (request.header("X-Emby-Token") != kKey) {
        return HttpServerResponse::text(401, "Unauthorized");
      }
      std::lock_guard lock(mutex);
      HttpServerResponse response =
          status == 200 ? HttpServerResponse::json(200, jellyfin_sessions(playing, paused, 1))
                        : HttpServerResponse::text(status, "error");
      response.delay = delay;
      return response;
    });
  }
  void set(int new_playing, int new_paused) {
    std::lock_guard lock(mutex);
    playing = new_playing;
    paused = new_paused;
  }
};

struct Seen {
  int sessions;
  bool reachable;
  bool operator==(const Seen&) const = default;
};

class MediaMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Reactor::create();
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    http_ = std::make_unique<HttpClient>(*reactor_);
  }
  void TearDown() override {
    http_.reset();
    reactor_.reset();
  }

  MediaModeConfig config(std::string provider, std::string url, double interval = 0.05) {
    MediaModeConfig c;
    c.enabled = true;
    c.provider = std::move(provider);
    c.url = std::move(url);
    c.api_key = kKey;
    c.poll_interval_seconds = interval;
    return c;
  }

  bool run_until(const std::function<bool()>& done, Duration deadline = seconds(10)) {
    const TimePoint end = SteadyClock::now() + deadline;
    while (!done() && SteadyClock::now() < end) reactor_->run_once(milliseconds(10));
    return done();
  }
  void run_for(Duration span) {
    const TimePoint end = SteadyClock::now() + span;
    while (SteadyClock::now() < end) reactor_->run_once(milliseconds(10));
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(MediaMonitorTest, JellyfinSessionsFollowTheServer) {
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  std::vector<Seen> seen;
  MediaMonitor monitor(*reactor_, *http_, config("jellyfin", server.url() + "/"),
                       [&](int s, bool r) {
                         seen.push_back({s, r});
                       });
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(monitor.polling());
  ASSERT_TRUE(run_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen.back(), (Seen{0, true}));  // one idle session: nothing counts

  fake.set(2, 1);  // the paused one does not count by default
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{2, true}; }));
  fake.set(1, 0);
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{1, true}; }));
  fake.set(0, 0);
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{0, true}; }));

  // The request is the documented one: GET /Sessions (the trailing slash of the URL is not
  // doubled) with the key in both header spellings.
  auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/Sessions");
  EXPECT_EQ(requests[0].header("X-Emby-Token"), kKey);
  EXPECT_EQ(requests[0].header("Authorization"),
            std::string("MediaBrowser Token=\"") + kKey + "\"");
}

TEST_F(MediaMonitorTest, CountPausedSessionsWhenConfigured) {
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  fake.set(1, 2);
  MediaModeConfig c = config("emby", server.url());
  c.count_paused_sessions = true;
  std::vector<Seen> seen;
  MediaMonitor monitor(*reactor_, *http_, c, [&](int s, bool r) { seen.push_back({s, r}); });
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(run_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen.back(), (Seen{3, true}));
}

TEST_F(MediaMonitorTest, WrongKeyIsUnreachableLoggedOnceAndKeyNeverLogged) {
  LogCapture logs;
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  fake.set(2, 0);
  MediaModeConfig c = config("jellyfin", server.url());
  c.api_key = "wrong-key-do-not-log";
  std::vector<Seen> seen;
  MediaMonitor monitor(*reactor_, *http_, c, [&](int s, bool r) { seen.push_back({s, r}); });
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(run_until([&] { return seen.size() >= 5; }));
  for (const Seen& s : seen) EXPECT_EQ(s, (Seen{0, false}));
  EXPECT_NE(monitor.last_error().find("401"), std::string::npos) << monitor.last_error();
  EXPECT_EQ(logs.count("unreachable: HTTP 401"), 1) << logs.text();
  EXPECT_EQ(logs.text().find("wrong-key-do-not-log"), std::string::npos) << logs.text();
}

TEST_F(MediaMonitorTest, SlowServerTimesOutWithoutBlockingTheLoopThenRecovers) {
  LogCapture logs;
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  fake.set(1, 0);
  std::vector<Seen> seen;
  MediaMonitor monitor(
      *reactor_, *http_, config("jellyfin", server.url(), 0.05),
      [&](int s, bool r) {
        seen.push_back({s, r});
      },
      MediaMonitor::Options{milliseconds(300)});
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(run_until([&] { return !seen.empty() && seen.back() == Seen{1, true}; }));

  // The server hangs for 2 s per request; the monitor's timeout is 0.3 s.
  {
    std::lock_guard lock(fake.mutex);
    fake.delay = milliseconds(2000);
  }
  int ticks = 0;
  auto heartbeat = reactor_->add_timer(milliseconds(20), milliseconds(20), [&] { ++ticks; });
  ASSERT_TRUE(heartbeat);
  const std::size_t before = server.request_count();
  const TimePoint start = SteadyClock::now();
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{0, false}; }, seconds(5)));
  const double waited = to_seconds(SteadyClock::now() - start);
  EXPECT_LT(waited, 1.5);  // the 0.3 s timeout, not the 2 s delay
  run_for(milliseconds(1200));
  reactor_->cancel(*heartbeat);
  // The loop kept running: ~60 heartbeats in 1.2 s+ (generous bound for a loaded CI box).
  EXPECT_GT(ticks, 25);
  // At most one request in flight: ticks every 50 ms found the previous request still out.
  EXPECT_GT(monitor.skipped_ticks(), 5u);
  // About one request per 0.3 s timeout, not one per 50 ms tick.
  const std::size_t during = server.request_count() - before;
  EXPECT_LE(during, 8u) << during;
  EXPECT_EQ(logs.count("unreachable:"), 1) << logs.text();
  EXPECT_NE(logs.text().find("timed out"), std::string::npos) << logs.text();

  // Recovery: noticed, logged once.
  {
    std::lock_guard lock(fake.mutex);
    fake.delay = milliseconds(0);
  }
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{1, true}; }));
  run_for(milliseconds(300));
  EXPECT_EQ(logs.count("reachable again"), 1) << logs.text();
  EXPECT_EQ(logs.text().find(kKey), std::string::npos);
}

TEST_F(MediaMonitorTest, ServerErrorAndDeadPortAreUnreachable) {
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  {
    std::lock_guard lock(fake.mutex);
    fake.status = 500;
  }
  std::vector<Seen> seen;
  MediaMonitor monitor(*reactor_, *http_, config("jellyfin", server.url()), [&](int s, bool r) {
    seen.push_back({s, r});
  });
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(run_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen.back(), (Seen{0, false}));

  const int port = testing::free_tcp_port();  // nobody listens there
  std::vector<Seen> dead;
  MediaMonitor refused(*reactor_, *http_,
                       config("jellyfin", "http://127.0.0.1:" + std::to_string(port)),
                       [&](int s, bool r) {
                         dead.push_back({s, r});
                       });
  ASSERT_TRUE(refused.start());
  ASSERT_TRUE(run_until([&] { return dead.size() >= 2; }));
  EXPECT_EQ(dead.back(), (Seen{0, false}));
}

TEST_F(MediaMonitorTest, PlexSessionsWithTokenAndJsonAccept) {
  LoopbackHttpServer server;
  std::atomic<int> phase{0};
  server.on("GET", "/status/sessions", [&](const HttpServerRequest& request) {
    if (request.header("X-Plex-Token") != kKey) return HttpServerResponse::text(401, "");
    if (request.header("Accept") != "application/json") {
      // Plex answers XML unless asked for JSON.
      return HttpServerResponse::text(200, R"(<MediaContainer size="0"></MediaContainer>)");
    }
    if (phase == 0) return HttpServerResponse::json(200, R"({"MediaContainer":{"size":0}})");
    return HttpServerResponse::json(
        200, R"({"MediaContainer":{"size":2,"Metadata":[)"
             R"({"title":"a","Player":{"state":"playing","product":"Plex Web"}},)"
             R"({"title":"b","Player":{"state":"paused","product":"Plexamp"}}]}})");
  });
  std::vector<Seen> seen;
  MediaMonitor monitor(*reactor_, *http_, config("plex", server.url()), [&](int s, bool r) {
    seen.push_back({s, r});
  });
  ASSERT_TRUE(monitor.start());
  ASSERT_TRUE(run_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen.back(), (Seen{0, true}));
  phase = 1;
  ASSERT_TRUE(run_until([&] { return seen.back() == Seen{1, true}; }));  // paused one excluded
  EXPECT_EQ(server.requests()[0].target, "/status/sessions");
}

TEST_F(MediaMonitorTest, WebhookAndNoneProvidersDoNotPoll) {
  LoopbackHttpServer server;
  for (std::string provider : {"webhook", "none"}) {
    MediaMonitor monitor(*reactor_, *http_, config(provider, server.url()), [](int, bool) {});
    ASSERT_TRUE(monitor.start());
    EXPECT_FALSE(monitor.polling());
  }
  MediaModeConfig disabled = config("jellyfin", server.url());
  disabled.enabled = false;
  MediaMonitor off(*reactor_, *http_, disabled, [](int, bool) {});
  ASSERT_TRUE(off.start());
  EXPECT_FALSE(off.polling());
  run_for(milliseconds(200));
  EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(MediaMonitorTest, ServiceReportsChangesOnlyAndTurnsWebhooksIntoTriggers) {
  LoopbackHttpServer server;
  FakeJellyfin fake;
  fake.install(server);
  RealClock clock;
  Config cfg;
  cfg.media_mode = config("jellyfin", server.url());
  MediaService service(*reactor_, *http_, cfg, clock);
  std::vector<Seen> changes;
  service.on_change([&](int s, bool r) { changes.push_back({s, r}); });
  ASSERT_TRUE(service.start());
  run_for(milliseconds(300));  // several polls of an unchanged 0-session server
  EXPECT_TRUE(changes.empty());
  fake.set(1, 0);
  ASSERT_TRUE(run_until([&] { return service.sessions() == 1; }));
  run_for(milliseconds(200));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], (Seen{1, true}));
  std::string status = service.status_json();
  EXPECT_NE(status.find("\"sessions\":1"), std::string::npos) << status;
  EXPECT_EQ(status.find(kKey), std::string::npos) << status;

  std::vector<TriggerEvent> triggers;
  ASSERT_TRUE(service.handle_webhook(
      "application/json", R"({"NotificationType":"PlaybackStart","Name":"x"})", triggers));
  ASSERT_TRUE(service.handle_webhook(
      "application/json", R"({"NotificationType":"PlaybackProgress","Name":"x"})", triggers));
  ASSERT_TRUE(service.handle_webhook("application/json", R"({"event":"media.stop"})", triggers));
  auto bad = service.handle_webhook("application/json", "junk", triggers);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, std::errc::invalid_argument);
  ASSERT_EQ(triggers.size(), 2u);
  EXPECT_EQ(triggers[0].kind, TriggerKind::kMediaStart);
  EXPECT_EQ(triggers[0].source, "jellyfin-webhook");
  EXPECT_EQ(triggers[1].kind, TriggerKind::kMediaStop);
  EXPECT_EQ(triggers[1].source, "plex-webhook");

  // Reconfigured to webhook-only: polling stops, sessions drop to 0 (reported once).
  Config webhook_only = cfg;
  webhook_only.media_mode.provider = "webhook";
  ASSERT_TRUE(service.reconfigure(webhook_only));
  EXPECT_EQ(service.sessions(), 0);
  EXPECT_TRUE(service.reachable());
  ASSERT_EQ(changes.size(), 2u);
  const std::size_t requests = server.request_count();
  run_for(milliseconds(200));
  EXPECT_EQ(server.request_count(), requests);
}

}  // namespace
}  // namespace adrg::media

// The HTTP API against real clients: the curl binary (TCP and --unix-socket), raw sockets for
// slow clients, promtool for /metrics, and the built adrgctl. The reactor runs on its own thread
// as in the daemon; the handlers are test stubs recording what they were given. Every wait has a
// deadline. The whole suite runs on both reactor backends.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "integrations/http_api/http_api.h"
#include "integrations/http_api/prometheus_text.h"
#include "tests/support/shell_child.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using Child = testing::ShellChild;
using Command = testing::ShellResult;

Command run_command(const std::string& command) { return testing::run_shell(command); }

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

// `args` go to curl verbatim (URL included). Status and content type come from -w.
HttpResult curl(const std::string& args) {
  Command result =
      run_command("curl -sS --max-time 10 -w '\\n%{http_code} %{content_type}' " + args);
  HttpResult out;
  std::size_t last = result.output.rfind('\n');
  if (last == std::string::npos) return out;
  out.body = result.output.substr(0, last);
  std::string tail = result.output.substr(last + 1);
  out.status = std::atoi(tail.c_str());
  std::size_t space = tail.find(' ');
  if (space != std::string::npos) out.content_type = tail.substr(space + 1);
  return out;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr const char* kStatusJson = R"({"version":"0.1.0","uptime_seconds":93784.5,)"
                                    R"("dry_run":false,"media_mode_active":true,)"
                                    R"("media_provider":"jellyfin","thermal_stage":1,)"
                                    R"("memory_throttled":false,"io_throttled":true,)"
                                    R"("protected_containers":["postgres"],)"
                                    R"("containers":{)"
                                    R"("jellyfin":{"tier":0,"paused_by":[],"cpu_max_by":[],)"
                                    R"("io_max_by":[]},)"
                                    R"("tdarr-node":{"tier":3,"paused_by":["media","thermal"],)"
                                    R"("cpu_max_by":[],"io_max_by":["io"]},)"
                                    R"("sonarr":{"tier":2,"paused_by":[],"cpu_max_by":["media"],)"
                                    R"("io_max_by":["media"],"limits":{"memory.max":{)"
                                    R"("user":"67108864","adrg":"3221225472",)"
                                    R"("effective":"67108864","from":"user"},"cpu.max":{)"
                                    R"("user":"max 100000","adrg":"50000 100000",)"
                                    R"("effective":"50000 100000","from":"adrg"}}}},)"
                                    R"("psi":{"cpu":{"some_avg10":1.5},)"
                                    R"("memory":{"some_avg10":0.2,"full_avg10":0.0},)"
                                    R"("io":{"some_avg10":62.1}},)"
                                    R"("temperature_c":76.5,"triggers_armed":["memory","io"],)"
                                    R"("backend":"io_uring"})";

std::string realistic_metrics() {
  PrometheusText text;
  text.gauge("adrg_up", "Whether the governor loop is running.", {}, 1);
  text.gauge("adrg_uptime_seconds", "Seconds since the daemon started.", {}, 93784.5);
  for (const char* resource : {"cpu", "memory", "io"}) {
    text.gauge("adrg_psi_some_avg10", "PSI some avg10 in percent.", {{"resource", resource}}, 12.5);
  }
  text.gauge("adrg_temperature_celsius", "Hottest thermal zone.", {}, 76.5);
  text.gauge("adrg_thermal_stage", "Thermal stage (0 none, 1, 2).", {}, 1);
  text.gauge("adrg_media_mode_active", "Whether media mode is active.", {}, 1);
  for (const char* name : {"jellyfin", "tdarr-node", "sonarr"}) {
    text.gauge("adrg_container_paused", "Whether adrg paused the container.",
               {{"container", name}, {"tier", "3"}}, name[0] == 't' ? 1 : 0);
  }
  text.counter("adrg_actions_total", "Governance actions taken.", {{"action", "pause"}}, 3);
  text.counter("adrg_actions_total", "Governance actions taken.", {{"action", "io_max"}}, 2);
  text.counter("adrg_actions_total", "Governance actions taken.", {{"action", "pause"}}, 4);
  return text.render();
}

// Records handler calls (made on the loop thread) for the test thread.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> triggers;
  std::vector<std::pair<std::string, std::string>> webhooks;
  std::atomic<bool> healthy{true};

  std::vector<std::string> trigger_list() {
    std::lock_guard lock(mutex);
    return triggers;
  }
};

class HttpApiFixture {
 public:
  explicit HttpApiFixture(ReactorChoice choice) : choice_(choice) {}

  ~HttpApiFixture() { shutdown(); }

  Status create_reactor() {
    auto created = Reactor::create(choice_);
    if (!created) return created.error();
    reactor_ = std::move(created.value());
    return {};
  }

  HttpServerConfig default_config() const {
    HttpServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.unix_socket = dir_.path() + "/run/adrg.sock";  // parent created by start()
    return config;
  }

  HttpApiHandlers handlers() {
    HttpApiHandlers handlers;
    handlers.status_json = [] { return std::string(kStatusJson); };
    handlers.metrics_text = [] { return realistic_metrics(); };
    handlers.trigger = [this](std::string_view event) -> Status {
      if (event == "tier3_resume" && fail_resume_) {
        return Error{std::make_error_code(std::errc::io_error), "docker unpause failed"};
      }
      std::lock_guard lock(recorder_.mutex);
      recorder_.triggers.emplace_back(event);
      return {};
    };
    handlers.media_webhook = [this](std::string_view type, std::string_view body) -> Status {
      if (body.empty()) {
        return Error{std::make_error_code(std::errc::invalid_argument), "empty webhook payload"};
      }
      std::lock_guard lock(recorder_.mutex);
      recorder_.webhooks.emplace_back(type, body);
      return {};
    };
    handlers.healthy = [this] { return recorder_.healthy.load(); };
    return handlers;
  }

  // Starts the API (before the loop runs, as the daemon does) and then the loop thread.
  Status start(HttpServerConfig config, HttpApiLimits limits = fast_limits(),
               std::optional<HttpApiHandlers> custom = std::nullopt) {
    config_ = config;
    api_ =
        std::make_unique<HttpApi>(*reactor_, config, custom ? *custom : handlers(), bus_, limits);
    Status status = api_->start();
    if (!status.ok()) return status;
    loop_ = std::thread([this] { reactor_->run(); });
    return {};
  }

  static HttpApiLimits fast_limits() {
    HttpApiLimits limits;
    limits.connection_timeout = seconds(1);
    limits.request_timeout = seconds(2);
    limits.sse_keepalive = milliseconds(200);
    return limits;
  }

  // Timeouts far beyond a test's length: only the connection caps can make room in a flood.
  static HttpApiLimits patient_limits() {
    HttpApiLimits limits = fast_limits();
    limits.request_timeout = seconds(60);
    limits.connection_timeout = seconds(60);
    return limits;
  }

  // Runs fn on the loop thread and waits for it.
  template <typename F>
  auto on_loop(F fn) -> decltype(fn()) {
    using R = decltype(fn());
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(fn));
    auto future = task->get_future();
    reactor_->post([task] { (*task)(); });
    if (future.wait_for(seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "loop thread did not run the task within 10 s";
      std::abort();  // the loop is stuck; nothing sensible can follow
    }
    return future.get();
  }

  void publish(const std::string& json) {
    on_loop([&] { bus_.publish(json); });
  }

  void shutdown() {
    if (loop_.joinable()) {
      on_loop([&] { api_->stop(); });
      reactor_->stop();
      loop_.join();
    }
    api_.reset();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(api_->tcp_port()) + path;
  }
  std::string unix_url(const std::string& path) const {
    return "--unix-socket " + shell_quote(config_.unix_socket) + " http://localhost" + path;
  }
  std::size_t sse_clients() {
    return on_loop([&] { return api_->sse_client_count(); });
  }

  Recorder recorder_;
  bool fail_resume_ = false;
  adrg::testing::TempDir dir_;
  EventBus bus_;
  HttpServerConfig config_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpApi> api_;
  std::thread loop_;

 private:
  ReactorChoice choice_;
};

class HttpApiTest : public ::testing::TestWithParam<ReactorBackend> {
 protected:
  void SetUp() override {
    bool uring = GetParam() == ReactorBackend::kIoUring;
    f_ = std::make_unique<HttpApiFixture>(uring ? ReactorChoice::kIoUring : ReactorChoice::kEpoll);
    Status created = f_->create_reactor();
    if (!created.ok() && uring) {
      GTEST_SKIP() << "io_uring is unavailable on this host, so only epoll is tested: "
                   << created.error().describe();
    }
    ASSERT_TRUE(created.ok()) << created.error().describe();
  }
  void TearDown() override { f_.reset(); }

  void start_default() {
    Status status = f_->start(f_->default_config());
    ASSERT_TRUE(status.ok()) << status.error().describe();
  }

  std::unique_ptr<HttpApiFixture> f_;
};

TEST_P(HttpApiTest, ServesStatusHealthzAndPromtoolCleanMetrics) {
  start_default();
  ASSERT_NE(f_->api_->tcp_port(), 0);

  HttpResult status = curl(f_->url("/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, kStatusJson);
  EXPECT_EQ(status.content_type, "application/json");

  HttpResult health = curl(f_->url("/healthz"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "{\"status\":\"ok\"}\n");
  f_->recorder_.healthy = false;
  health = curl(f_->url("/healthz"));
  EXPECT_EQ(health.status, 503);
  EXPECT_TRUE(contains(health.body, "unhealthy"));

  HttpResult metrics = curl(f_->url("/metrics"));
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  Command lint =
      run_command("sh -c " + shell_quote("curl -sS --max-time 10 " + f_->url("/metrics") +
                                         " | promtool check metrics"));
  EXPECT_EQ(lint.code, 0) << lint.output;

  HttpResult head = curl("-I " + f_->url("/status"));
  EXPECT_EQ(head.status, 200);
}

TEST_P(HttpApiTest, TriggerAcceptsJsonOrFormBodiesButNeverTheQueryString) {
  start_default();
  HttpResult json = curl("-H 'Content-Type: application/json' -d '{\"event\":\"media_start\"}' " +
                         f_->url("/trigger"));
  EXPECT_EQ(json.status, 200) << json.body;
  EXPECT_TRUE(contains(json.body, "\"status\":\"ok\""));
  // ADRG's README, verbatim: curl -d without a content type sends form-urlencoded.
  HttpResult adrg_readme =
      curl("-X POST " + f_->url("/trigger") + " -d '{\"event\": \"media_stop\"}'");
  EXPECT_EQ(adrg_readme.status, 200) << adrg_readme.body;
  EXPECT_EQ(curl("-d '{\"action\":\"tier3_pause\"}' " + f_->url("/trigger")).status, 200);
  EXPECT_EQ(curl("-d 'event=tier3_resume' " + f_->url("/trigger")).status, 200);
  // A link or an <img> must never act: the query string is not read.
  HttpResult query = curl("-X POST " + f_->url("/trigger?event=tier3_pause"));
  EXPECT_EQ(query.status, 400) << query.body;
  EXPECT_TRUE(contains(query.body, "not the query string")) << query.body;
  EXPECT_EQ(curl("-X POST " + f_->url("/trigger?action=tier3_pause")).status, 400);
  EXPECT_EQ(f_->recorder_.trigger_list(),
            (std::vector<std::string>{"media_start", "media_stop", "tier3_pause", "tier3_resume"}));
}

TEST_P(HttpApiTest, BadInputGetsJsonErrorsWithTheRightStatus) {
  start_default();
  HttpResult bad_json =
      curl("-H 'Content-Type: application/json' -d '{\"event\":' " + f_->url("/trigger"));
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_TRUE(contains(bad_json.body, "\"error\":\"invalid JSON")) << bad_json.body;

  HttpResult not_object =
      curl("-H 'Content-Type: application/json' -d '[1]' " + f_->url("/trigger"));
  EXPECT_EQ(not_object.status, 400);

  HttpResult unknown = curl("-H 'Content-Type: application/json' -d '{\"event\":\"reboot\"}' " +
                            f_->url("/trigger"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_TRUE(contains(unknown.body, "unknown event 'reboot'")) << unknown.body;
  EXPECT_TRUE(contains(
      unknown.body, R"("valid_events":["media_start","media_stop","tier3_pause","tier3_resume"])"))
      << unknown.body;

  HttpResult missing = curl("-H 'Content-Type: application/json' -d '{}' " + f_->url("/trigger"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_TRUE(contains(missing.body, "missing \\\"event\\\"")) << missing.body;

  HttpResult wrong_type =
      curl("-H 'Content-Type: application/xml' -d '<event/>' " + f_->url("/trigger"));
  EXPECT_EQ(wrong_type.status, 415);
  EXPECT_TRUE(contains(wrong_type.body, "\"error\""));

  HttpResult get_trigger = curl(f_->url("/trigger"));
  EXPECT_EQ(get_trigger.status, 405);
  EXPECT_TRUE(contains(get_trigger.body, "use POST"));
  Command allow = run_command("curl -sS -i --max-time 10 -X DELETE " + f_->url("/status"));
  EXPECT_TRUE(contains(allow.output, "405")) << allow.output;
  EXPECT_TRUE(contains(allow.output, "Allow: GET, HEAD")) << allow.output;
  EXPECT_EQ(curl("-X POST " + f_->url("/events")).status, 405);

  HttpResult unknown_path = curl(f_->url("/nope"));
  EXPECT_EQ(unknown_path.status, 404);
  EXPECT_TRUE(contains(unknown_path.body, "\"error\":\"no such endpoint: /nope\""));

  // A failing handler is the server's problem (500) and its message reaches the client.
  f_->fail_resume_ = true;
  HttpResult failed = curl("-d '{\"event\":\"tier3_resume\"}' " + f_->url("/trigger"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_TRUE(contains(failed.body, "docker unpause failed"));
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());

  // The loop survived all of it.
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);
}

TEST_P(HttpApiTest, OversizedBodiesAre413WithOrWithoutContentLength) {
  start_default();
  std::string big = "{\"event\":\"media_start\",\"pad\":\"" + std::string(70 * 1024, 'x') + "\"}";
  std::string file = f_->dir_.write("big.json", big);
  HttpResult declared = curl("-H 'Content-Type: application/json' --data-binary @" + file + " " +
                             f_->url("/trigger"));
  EXPECT_EQ(declared.status, 413);
  EXPECT_TRUE(contains(declared.body, "exceeds the limit")) << declared.body;
  HttpResult chunked = curl(
      "-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' "
      "--data-binary @" +
      file + " " + f_->url("/trigger"));
  EXPECT_EQ(chunked.status, 413);
  EXPECT_TRUE(contains(chunked.body, "exceeds the limit")) << chunked.body;
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());
  // Just under the limit is fine.
  std::string fits = "{\"event\":\"media_start\",\"pad\":\"" + std::string(60 * 1024, 'x') + "\"}";
  std::string fits_file = f_->dir_.write("fits.json", fits);
  EXPECT_EQ(curl("-H 'Content-Type: application/json' --data-binary @" + fits_file + " " +
                 f_->url("/trigger"))
                .status,
            200);
}

TEST_P(HttpApiTest, WebhookReachesTheHandlerWithContentType) {
  start_default();
  HttpResult ok = curl(
      "-H 'Content-Type: application/json' -d '{\"NotificationType\":"
      "\"PlaybackStart\"}' " +
      f_->url("/webhook/media"));
  EXPECT_EQ(ok.status, 200) << ok.body;
  HttpResult empty = curl("-X POST " + f_->url("/webhook/media"));
  EXPECT_EQ(empty.status, 400);
  EXPECT_TRUE(contains(empty.body, "empty webhook payload"));
  std::lock_guard lock(f_->recorder_.mutex);
  ASSERT_EQ(f_->recorder_.webhooks.size(), 1u);
  EXPECT_EQ(f_->recorder_.webhooks[0].first, "application/json");
  EXPECT_EQ(f_->recorder_.webhooks[0].second, "{\"NotificationType\":\"PlaybackStart\"}");
}

TEST_P(HttpApiTest, WebhookIs404WhenNoHandlerIsConfigured) {
  HttpApiHandlers handlers = f_->handlers();
  handlers.media_webhook = nullptr;
  Status status = f_->start(f_->default_config(), HttpApiFixture::fast_limits(), handlers);
  ASSERT_TRUE(status.ok()) << status.error().describe();
  EXPECT_EQ(curl("-d '{}' " + f_->url("/webhook/media")).status, 404);
}

TEST_P(HttpApiTest, NonLoopbackBindWithoutTokenRefusesToStart) {
  HttpServerConfig config = f_->default_config();
  config.host = "0.0.0.0";
  HttpApi api(*f_->reactor_, config, f_->handlers(), f_->bus_);
  Status status = api.start();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().describe(), "general.http_server.token"))
      << status.error().describe();
  EXPECT_FALSE(api.running());
  EXPECT_FALSE(std::filesystem::exists(config.unix_socket));  // no side effect
  // With a token the same bind is allowed.
  config.token = "s3cret";
  HttpApi with_token(*f_->reactor_, config, f_->handlers(), f_->bus_);
  Status ok = with_token.start();
  EXPECT_TRUE(ok.ok()) << ok.error().describe();
  with_token.stop();
  EXPECT_FALSE(std::filesystem::exists(config.unix_socket));  // removed on stop
}

TEST_P(HttpApiTest, WithATokenEverythingButHealthzNeedsItOverTcpAndNothingOverUnix) {
  HttpServerConfig config = f_->default_config();
  config.token = "s3cret-token";
  ASSERT_TRUE(f_->start(config).ok());
  const std::string trigger = "-d '{\"event\":\"media_start\"}' ";
  const std::string bearer = "-H 'Authorization: Bearer s3cret-token' ";

  HttpResult missing = curl(trigger + f_->url("/trigger"));
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(contains(missing.body, "missing Authorization")) << missing.body;
  HttpResult wrong =
      curl("-H 'Authorization: Bearer s3cret-tokeN' " + trigger + f_->url("/trigger"));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_TRUE(contains(wrong.body, "invalid token"));
  EXPECT_EQ(curl("-H 'Authorization: Basic czNjcmV0' " + trigger + f_->url("/trigger")).status,
            401);
  EXPECT_EQ(curl("-H 'Authorization: Bearer s3cret' " + trigger + f_->url("/trigger")).status,
            401);  // a prefix of the token
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());

  // Reads, the event stream, job data and the webhook are guarded like the triggers.
  for (const char* path : {"/status", "/metrics", "/events", "/jobs", "/jobs/backup/logs"}) {
    EXPECT_EQ(curl("--max-time 2 " + f_->url(path)).status, 401) << path;
  }
  EXPECT_EQ(
      curl("-d '{\"NotificationType\":\"PlaybackStart\"}' " + f_->url("/webhook/media")).status,
      401);
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);  // liveness stays open for probes

  HttpResult right = curl(bearer + trigger + f_->url("/trigger"));
  EXPECT_EQ(right.status, 200) << right.body;
  EXPECT_EQ(curl(bearer + f_->url("/status")).status, 200);
  EXPECT_EQ(curl(bearer + f_->url("/metrics")).status, 200);
  EXPECT_EQ(curl(bearer + f_->url("/jobs")).status, 404);  // reaches routing: no job handler

  HttpResult over_unix = curl(trigger + f_->unix_url("/trigger"));
  EXPECT_EQ(over_unix.status, 200) << over_unix.body;
  EXPECT_EQ(curl(f_->unix_url("/status")).status, 200);
  EXPECT_EQ(f_->recorder_.trigger_list(), (std::vector<std::string>{"media_start", "media_start"}));
}

TEST_P(HttpApiTest, PublicReadOpensStatusAndMetricsButNotJobsEventsOrTriggers) {
  HttpServerConfig config = f_->default_config();
  config.token = "s3cret-token";
  config.public_read = true;
  ASSERT_TRUE(f_->start(config).ok());
  EXPECT_EQ(curl(f_->url("/status")).status, 200);
  EXPECT_EQ(curl(f_->url("/metrics")).status, 200);
  EXPECT_EQ(curl("--max-time 2 " + f_->url("/events")).status, 401);
  EXPECT_EQ(curl(f_->url("/jobs")).status, 401);
  EXPECT_EQ(curl("-d '{\"event\":\"media_start\"}' " + f_->url("/trigger")).status, 401);
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());
}

TEST_P(HttpApiTest, JobDataNeverGoesOverTcpWithoutATokenAndNeedsItWithOne) {
  std::atomic<int> job_requests{0};
  HttpApiHandlers handlers = f_->handlers();
  handlers.jobs = [&](const ApiRequest&, ApiReplyFn reply) {
    ++job_requests;
    reply(ApiReply{200, "{\"jobs\":[]}\n"});
  };
  ASSERT_TRUE(f_->start(f_->default_config(), HttpApiFixture::fast_limits(), handlers).ok());
  for (const char* path : {"/jobs", "/jobs/backup", "/jobs/backup/logs", "/jobs/backup/wait"}) {
    HttpResult refused = curl(f_->url(path));
    EXPECT_EQ(refused.status, 403) << path;
    EXPECT_TRUE(contains(refused.body, "unix socket")) << refused.body;
  }
  EXPECT_EQ(job_requests.load(), 0);
  EXPECT_EQ(curl(f_->unix_url("/jobs")).status, 200);
  EXPECT_EQ(job_requests.load(), 1);

  f_->shutdown();
  HttpServerConfig config = f_->default_config();
  config.token = "tok";
  ASSERT_TRUE(f_->start(config, HttpApiFixture::fast_limits(), handlers).ok());
  EXPECT_EQ(curl(f_->url("/jobs/backup/logs")).status, 401);
  EXPECT_EQ(curl("-H 'Authorization: Bearer tok' " + f_->url("/jobs/backup/logs")).status, 200);
  EXPECT_EQ(job_requests.load(), 2);
}

TEST_P(HttpApiTest, ForeignHostHeadersAreRefusedAsDnsRebinding) {
  HttpServerConfig config = f_->default_config();
  config.allowed_hosts = {"adrg.home.arpa"};
  ASSERT_TRUE(f_->start(config).ok());
  const std::string port = std::to_string(f_->api_->tcp_port());
  // What a browser sends after rebinding attacker.example to 127.0.0.1: its own name as Host.
  const std::string rebound = "--resolve attacker.example:" + port + ":127.0.0.1 ";
  for (const char* path : {"/status", "/healthz", "/metrics", "/jobs", "/nope"}) {
    HttpResult result = curl(rebound + "http://attacker.example:" + port + path);
    EXPECT_EQ(result.status, 403) << path << " " << result.body;
    EXPECT_TRUE(contains(result.body, "DNS-rebinding")) << result.body;
  }
  HttpResult act = curl(
      rebound + "-d '{\"event\":\"media_start\"}' http://attacker.example:" + port + "/trigger");
  EXPECT_EQ(act.status, 403);
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());
  // The names this machine really has, and the configured extra one, are served.
  EXPECT_EQ(curl("-H 'Host: localhost:" + port + "' " + f_->url("/status")).status, 200);
  EXPECT_EQ(curl("--resolve adrg.home.arpa:" + port + ":127.0.0.1 http://adrg.home.arpa:" + port +
                 "/status")
                .status,
            200);
  char hostname[256] = {};
  ASSERT_EQ(::gethostname(hostname, sizeof(hostname) - 1), 0);
  EXPECT_EQ(
      curl("-H 'Host: " + std::string(hostname) + ":" + port + "' " + f_->url("/status")).status,
      200);
  // The unix socket cannot be reached from a browser: its Host is not checked.
  EXPECT_EQ(curl("-H 'Host: attacker.example' " + f_->unix_url("/status")).status, 200);
}

TEST_P(HttpApiTest, CrossSiteRequestsFromWebPagesAreRefusedOnTheDefaultConfig) {
  start_default();
  const std::string port = std::to_string(f_->api_->tcp_port());
  const std::string evil = "-H 'Origin: http://attacker.example' ";
  // What a page can send without a CORS preflight: text/plain JSON, a form, multipart.
  EXPECT_EQ(curl(evil + "-H 'Content-Type: text/plain' -d '{\"event\":\"media_start\"}' " +
                 f_->url("/trigger"))
                .status,
            403);
  EXPECT_EQ(curl("-H 'Origin: null' -d 'event=tier3_pause' " + f_->url("/trigger")).status, 403);
  EXPECT_EQ(
      curl("-H 'Sec-Fetch-Site: cross-site' -d 'event=tier3_pause' " + f_->url("/trigger")).status,
      403);
  EXPECT_EQ(
      curl("-H 'Origin: http://127.0.0.1:1' -d 'event=tier3_pause' " + f_->url("/trigger")).status,
      403);  // another port is another origin
  HttpResult webhook =
      curl(evil + "-F 'payload={\"event\":\"media.play\"}' " + f_->url("/webhook/media"));
  EXPECT_EQ(webhook.status, 403) << webhook.body;
  EXPECT_EQ(curl(evil + f_->url("/status")).status, 403);
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());
  {
    std::lock_guard lock(f_->recorder_.mutex);
    EXPECT_TRUE(f_->recorder_.webhooks.empty());
  }
  // The API's own origin (its future pages) and clients that send no Origin still work.
  EXPECT_EQ(curl("-H 'Origin: http://127.0.0.1:" + port + "' -d 'event=tier3_pause' " +
                 f_->url("/trigger"))
                .status,
            200);
  EXPECT_EQ(curl("-F 'payload={\"event\":\"media.play\"}' " + f_->url("/webhook/media")).status,
            200);
  EXPECT_EQ(f_->recorder_.trigger_list(), std::vector<std::string>{"tier3_pause"});
  EXPECT_EQ(f_->on_loop([&] { return f_->api_->refused_count(); }), 6u);
}

TEST_P(HttpApiTest, WebhookSecretGuardsTheWebhookByHeaderOrQuery) {
  HttpServerConfig config = f_->default_config();
  config.token = "tok";
  config.webhook_secret = "hook";
  ASSERT_TRUE(f_->start(config).ok());
  const std::string body = "-H 'Content-Type: application/json' -d '{\"NotificationType\":1}' ";
  HttpResult missing = curl(body + f_->url("/webhook/media"));
  EXPECT_EQ(missing.status, 403);
  EXPECT_TRUE(contains(missing.body, "missing webhook secret")) << missing.body;
  EXPECT_EQ(curl(body + "-H 'Authorization: Bearer tok' " + f_->url("/webhook/media")).status, 403);
  EXPECT_EQ(curl(body + f_->url("/webhook/media?secret=hoo")).status, 403);
  EXPECT_EQ(curl(body + "-H 'X-Adrg-Webhook-Secret: hook' " + f_->url("/webhook/media")).status,
            200);
  // Plex can be given only a URL.
  EXPECT_EQ(curl("-F 'payload={\"event\":\"media.play\"}' " + f_->url("/webhook/media?secret=hook"))
                .status,
            200);
  std::lock_guard lock(f_->recorder_.mutex);
  EXPECT_EQ(f_->recorder_.webhooks.size(), 2u);
}

TEST_P(HttpApiTest, UnixSocketServesWithMode0660AndReplacesAStaleFile) {
  HttpServerConfig config = f_->default_config();
  // A stale socket file, as a crash leaves it: bound, never unlinked, nobody listening.
  std::filesystem::create_directories(std::filesystem::path(config.unix_socket).parent_path());
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, config.unix_socket.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ::close(fd);
  }
  ASSERT_TRUE(f_->start(config).ok());
  struct stat st {};
  ASSERT_EQ(::stat(config.unix_socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);

  HttpResult status = curl(f_->unix_url("/status"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, kStatusJson);

  // A second instance must not steal a socket that is alive.
  HttpServerConfig second = config;
  HttpApi other(*f_->reactor_, second, f_->handlers(), f_->bus_);
  Status refused = f_->on_loop([&] { return other.start(); });
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(contains(refused.error().describe(), "in use")) << refused.error().describe();
  EXPECT_EQ(curl(f_->unix_url("/healthz")).status, 200);
}

TEST_P(HttpApiTest, RefusesToReplaceARegularFileAtTheSocketPath) {
  HttpServerConfig config = f_->default_config();
  f_->dir_.write("run/adrg.sock", "not a socket");
  HttpApi api(*f_->reactor_, config, f_->handlers(), f_->bus_);
  Status status = api.start();
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().describe(), "not a socket"));
  EXPECT_EQ(f_->dir_.read("run/adrg.sock"), "not a socket");
}

TEST_P(HttpApiTest, BusyPortIsAnError) {
  start_default();
  HttpServerConfig config = f_->default_config();
  config.port = f_->api_->tcp_port();
  config.unix_socket.clear();
  HttpApi other(*f_->reactor_, config, f_->handlers(), f_->bus_);
  Status status = f_->on_loop([&] { return other.start(); });
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().describe(), "bind http 127.0.0.1:"))
      << status.error().describe();
}

TEST_P(HttpApiTest, SlowClientsNeitherStallOthersNorLiveForever) {
  start_default();
  auto connect_tcp = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(f_->api_->tcp_port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    return fd;
  };
  // Half a request line and headers; half a body.
  int headers = connect_tcp();
  std::string partial = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  ASSERT_EQ(::send(headers, partial.data(), partial.size(), 0),
            static_cast<ssize_t>(partial.size()));
  int body = connect_tcp();
  std::string partial_body =
      "POST /trigger HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"event\":";
  ASSERT_EQ(::send(body, partial_body.data(), partial_body.size(), 0),
            static_cast<ssize_t>(partial_body.size()));

  const TimePoint before = SteadyClock::now();
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);
  EXPECT_EQ(curl(f_->unix_url("/healthz")).status, 200);
  EXPECT_LT(SteadyClock::now() - before, seconds(5));

  // MHD's connection timeout (1 s here) fires from the reactor timer although neither socket
  // ever becomes ready again: the server closes both.
  for (int fd : {headers, body}) {
    pollfd pfd{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 5000), 1) << "slow client was never timed out";
    char buffer[256];
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n;
    ::close(fd);
  }
  EXPECT_TRUE(f_->recorder_.trigger_list().empty());
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);
}

// Many connections that open and then say almost nothing, as a slowloris attack or a flood of
// idle sockets would, each bound to a chosen loopback source address.
class SlowClients {
 public:
  SlowClients(std::uint16_t port, int count, const std::vector<std::string>& sources) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    const std::string partial = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < count; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      sockaddr_in source{};
      source.sin_family = AF_INET;
      ::inet_pton(AF_INET, sources[static_cast<std::size_t>(i) % sources.size()].c_str(),
                  &source.sin_addr);
      ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source));
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        continue;
      }
      ::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
      fds_.push_back(fd);
    }
  }
  ~SlowClients() {
    for (int fd : fds_) ::close(fd);
  }
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  std::size_t connected() const { return fds_.size(); }
  // Connections the server has not closed (no EOF or reset seen).
  std::size_t still_open() const {
    std::size_t open = 0;
    for (int fd : fds_) {
      pollfd pfd{fd, POLLIN | POLLRDHUP, 0};
      if (::poll(&pfd, 1, 0) == 0) ++open;
    }
    return open;
  }

 private:
  std::vector<int> fds_;
};

TEST_P(HttpApiTest, ASlowlorisTrickleIsClosedAtTheRequestDeadline) {
  start_default();  // request_timeout 2 s, MHD's idle timeout 1 s
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(f_->api_->tcp_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  // One byte every 300 ms: MHD's idle timeout alone would never fire.
  const std::string request =
      "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + std::string(200, 'a');
  bool closed = false;
  for (std::size_t i = 0; i < request.size() && !closed; ++i) {
    if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    pollfd pfd{fd, POLLIN | POLLRDHUP, 0};
    closed = ::poll(&pfd, 1, 300) > 0;
  }
  ::close(fd);
  EXPECT_TRUE(closed) << "a client trickling its headers was never closed";
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);
}

TEST_P(HttpApiTest, AFloodOfSlowConnectionsFromOneAddressLeavesRoomForOthers) {
  ASSERT_TRUE(f_->start(f_->default_config(), HttpApiFixture::patient_limits()).ok());
  SlowClients flood(f_->api_->tcp_port(), 500, {"127.0.0.1"});
  ASSERT_GT(flood.connected(), 400u);
  // A well-behaved client from the same address still gets its answer: it displaces the
  // flood's oldest idle connection instead of being refused.
  HttpResult status = curl(f_->url("/status"));
  EXPECT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(curl(f_->unix_url("/healthz")).status, 200);
  // The flood holds at most its per-source share of the server.
  EXPECT_TRUE(adrg::testing::wait_until([&] {
    return flood.still_open() <= HttpApiLimits{}.per_source_connection_limit;
  })) << flood.still_open()
      << " of the flood's connections are still open";
}

TEST_P(HttpApiTest, AFloodFromManyAddressesStillLeavesRoomAndTheUnixSocketAnswers) {
  HttpApiLimits limits = HttpApiFixture::patient_limits();
  ASSERT_TRUE(f_->start(f_->default_config(), limits).ok());
  std::vector<std::string> sources;
  for (int i = 2; i < 102; ++i) sources.push_back("127.0.0." + std::to_string(i));
  SlowClients flood(f_->api_->tcp_port(), 500, sources);
  ASSERT_GT(flood.connected(), 400u);
  EXPECT_EQ(curl(f_->url("/status")).status, 200);
  EXPECT_EQ(curl(f_->unix_url("/status")).status, 200);
  EXPECT_TRUE(adrg::testing::wait_until([&] {
    return flood.still_open() <= limits.connection_limit;
  })) << flood.still_open();
}

TEST_P(HttpApiTest, AClosedEventsClientFreesItsSlotAtOnce) {
  HttpApiLimits limits = HttpApiFixture::fast_limits();
  limits.sse_keepalive = seconds(60);  // no keep-alive write will find the closed socket
  ASSERT_TRUE(f_->start(f_->default_config(), limits).ok());
  Child stream("curl -sS -N --max-time 30 " + f_->url("/events"));
  ASSERT_TRUE(stream.read_until([](const std::string& out) { return contains(out, "adrg"); }));
  ASSERT_TRUE(adrg::testing::wait_until([&] { return f_->sse_clients() == 1; }));
  stream.interrupt();
  EXPECT_TRUE(adrg::testing::wait_until([&] { return f_->sse_clients() == 0; }, seconds(5)));
  EXPECT_TRUE(adrg::testing::wait_until(
      [&] { return f_->on_loop([&] { return f_->api_->connection_count(); }) == 0; }, seconds(5)));
}

TEST_P(HttpApiTest, AClosedLongPollFreesItsSlotAtOnce) {
  std::mutex mutex;
  std::vector<ApiReplyFn> parked;
  HttpApiHandlers handlers = f_->handlers();
  handlers.jobs = [&](const ApiRequest&, ApiReplyFn reply) {
    std::lock_guard lock(mutex);
    parked.push_back(std::move(reply));  // answered never: a job that does not end
  };
  HttpApiLimits limits = HttpApiFixture::fast_limits();
  ASSERT_TRUE(f_->start(f_->default_config(), limits, handlers).ok());
  Child waiter("curl -sS --max-time 30 " + f_->unix_url("/jobs/backup/wait"));
  ASSERT_TRUE(adrg::testing::wait_until([&] {
    std::lock_guard lock(mutex);
    return parked.size() == 1;
  }));
  EXPECT_EQ(f_->on_loop([&] { return f_->api_->connection_count(); }), 1u);
  waiter.interrupt();
  EXPECT_TRUE(adrg::testing::wait_until(
      [&] { return f_->on_loop([&] { return f_->api_->connection_count(); }) == 0; }, seconds(5)));
  f_->on_loop([&] {
    std::lock_guard lock(mutex);
    parked.front()(ApiReply{200, "{}"});  // a late answer to nobody is harmless
    return 0;
  });
  EXPECT_EQ(curl(f_->unix_url("/healthz")).status, 200);
}

TEST_P(HttpApiTest, EventsStreamReplaysTheRingThenStreamsNewEvents) {
  start_default();
  f_->publish(R"({"rule":"thermal","unit":"tdarr","action":"pause","reason":"81 > 80"})");
  f_->publish(R"({"rule":"io","unit":"sonarr","action":"io_max","reason":"psi 62"})");
  Child stream("curl -sS -N --max-time 30 " + f_->url("/events"));
  ASSERT_TRUE(stream.read_until([](const std::string& out) {
    return contains(out, "\"rule\":\"io\"");
  })) << stream.output();
  EXPECT_TRUE(contains(stream.output(),
                       "id: 1\ndata: {\"rule\":\"thermal\",\"unit\":\"tdarr\",\"action\":\"pause\","
                       "\"reason\":\"81 > 80\"}\n\n"))
      << stream.output();
  // New events arrive while the stream is parked (suspended) between them.
  f_->publish(R"({"rule":"media","unit":"tdarr","action":"resume"})");
  ASSERT_TRUE(stream.read_until([](const std::string& out) {
    return contains(out, "id: 3\ndata: {\"rule\":\"media\"");
  })) << stream.output();
  // Keep-alive comments flow while nothing happens.
  ASSERT_TRUE(stream.read_until([](const std::string& out) { return contains(out, ": ping\n"); }))
      << stream.output();
  EXPECT_EQ(f_->sse_clients(), 1u);

  // Disconnect: the next keep-alive write fails and the stream is cleaned up.
  stream.interrupt();
  EXPECT_TRUE(adrg::testing::wait_until([&] { return f_->sse_clients() == 0; }));
  EXPECT_EQ(f_->on_loop([&] { return f_->bus_.subscriber_count(); }), 0u);
}

TEST_P(HttpApiTest, EventsStreamHonoursLastEventIdAndServesManyClients) {
  start_default();
  for (int i = 1; i <= 4; ++i) f_->publish("{\"n\":" + std::to_string(i) + "}");
  Child resumed("curl -sS -N --max-time 30 -H 'Last-Event-ID: 2' " + f_->url("/events"));
  Child over_unix("curl -sS -N --max-time 30 " + f_->unix_url("/events"));
  ASSERT_TRUE(
      resumed.read_until([](const std::string& out) { return contains(out, "{\"n\":4}"); }));
  EXPECT_FALSE(contains(resumed.output(), "{\"n\":2}"));
  EXPECT_TRUE(contains(resumed.output(), "id: 3\ndata: {\"n\":3}"));
  ASSERT_TRUE(
      over_unix.read_until([](const std::string& out) { return contains(out, "{\"n\":4}"); }));
  EXPECT_TRUE(contains(over_unix.output(), "{\"n\":1}"));
  EXPECT_TRUE(adrg::testing::wait_until([&] { return f_->sse_clients() == 2; }));
  f_->publish("{\"n\":5}");
  EXPECT_TRUE(
      resumed.read_until([](const std::string& out) { return contains(out, "{\"n\":5}"); }));
  EXPECT_TRUE(
      over_unix.read_until([](const std::string& out) { return contains(out, "{\"n\":5}"); }));
}

TEST_P(HttpApiTest, ParkedStreamOutlivesTheConnectionTimeout) {
  HttpApiLimits limits = HttpApiFixture::fast_limits();
  limits.sse_keepalive = seconds(60);  // no ping activity: only the suspension keeps it alive
  ASSERT_TRUE(f_->start(f_->default_config(), limits).ok());
  Child stream("curl -sS -N --max-time 30 " + f_->url("/events"));
  ASSERT_TRUE(stream.read_until([](const std::string& out) { return contains(out, "adrg"); }));
  // Three connection timeouts pass while the stream is parked.
  Child sleeper("sleep 3");
  sleeper.wait(seconds(10));
  f_->publish("{\"late\":true}");
  EXPECT_TRUE(stream.read_until([](const std::string& out) { return contains(out, "late"); }))
      << stream.output();
}

TEST_P(HttpApiTest, StopEndsOpenStreamsCleanly) {
  start_default();
  Child stream("curl -sS -N --max-time 30 " + f_->url("/events"));
  ASSERT_TRUE(stream.read_until([](const std::string& out) { return contains(out, "adrg"); }));
  ASSERT_TRUE(adrg::testing::wait_until([&] { return f_->sse_clients() == 1; }));
  f_->on_loop([&] { f_->api_->stop(); });
  EXPECT_EQ(f_->sse_clients(), 0u);
  EXPECT_NE(stream.wait(seconds(10)), -1);  // curl saw the connection end
  EXPECT_FALSE(std::filesystem::exists(f_->config_.unix_socket));
  EXPECT_NE(curl(f_->url("/healthz")).status, 200);

  // A reload restarts the API in place (port 0: a new ephemeral port).
  Status restarted = f_->on_loop([&] { return f_->api_->start(); });
  ASSERT_TRUE(restarted.ok()) << restarted.error().describe();
  EXPECT_EQ(curl(f_->url("/healthz")).status, 200);
  EXPECT_EQ(curl(f_->unix_url("/healthz")).status, 200);
}

TEST_P(HttpApiTest, Ipv6LoopbackWorksWhenTheHostHasIt) {
  HttpServerConfig config = f_->default_config();
  config.host = "::1";
  Status status = f_->start(config);
  if (!status.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << status.error().describe();
  Command result =
      run_command("curl -sS -g --max-time 10 http://[::1]:" + std::to_string(f_->api_->tcp_port()) +
                  "/healthz");
  EXPECT_EQ(result.code, 0) << result.output;
  EXPECT_TRUE(contains(result.output, "ok"));
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpApiTest,
                         ::testing::Values(ReactorBackend::kIoUring, ReactorBackend::kEpoll),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(HttpApiHelpers, JsonEscape) {
  EXPECT_EQ(json_escape("a\"b\\c\nd\x01"), "a\\\"b\\\\c\\nd\\u0001");
}

// ---- adrgctl against the real server ----------------------------------------------------

class AdrgctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = std::string(ADRG_CTL_BIN);
    if (::access(binary_.c_str(), X_OK) != 0) {
      GTEST_SKIP() << "adrgctl is not built (" << binary_
                   << "); build the adrgctl target to run these tests";
    }
    f_ = std::make_unique<HttpApiFixture>(ReactorChoice::kAuto);
    ASSERT_TRUE(f_->create_reactor().ok());
  }
  Command adrgctl(const std::string& args) { return run_command(binary_ + " " + args + " 2>&1"); }

  std::string binary_;
  std::unique_ptr<HttpApiFixture> f_;
};

TEST_F(AdrgctlTest, StatusTableShowsHeaderAndEveryContainer) {
  ASSERT_TRUE(f_->start(f_->default_config()).ok());
  Command table =
      adrgctl("--url http://127.0.0.1:" + std::to_string(f_->api_->tcp_port()) + " status");
  ASSERT_EQ(table.code, 0) << table.output;
  for (const char* expected :
       {"version", "0.1.0", "uptime", "1d 2h 3m", "io_uring", "jellyfin", "stage 1", "76.5",
        "tdarr-node", "sonarr", "NAME", "TIER", "PAUSED_BY", "CPU_MAX_BY", "IO_MAX_BY",
        "USER_LIMITS_KEPT", "memory.max", "media,thermal", "postgres"}) {
    EXPECT_TRUE(contains(table.output, expected)) << expected << "\n" << table.output;
  }
  // Only the limit that is the user's own is named; cpu.max is adrg's there.
  EXPECT_FALSE(contains(table.output, "cpu.max")) << table.output;
  Command json = adrgctl("--socket " + shell_quote(f_->config_.unix_socket) + " status --json");
  ASSERT_EQ(json.code, 0) << json.output;
  EXPECT_TRUE(contains(json.output, kStatusJson));
}

TEST_F(AdrgctlTest, TriggerAndErrors) {
  HttpServerConfig config = f_->default_config();
  config.token = "tok";
  ASSERT_TRUE(f_->start(config).ok());
  const std::string url = "--url http://127.0.0.1:" + std::to_string(f_->api_->tcp_port());

  Command ok = adrgctl(url + " --token tok trigger media_start");
  EXPECT_EQ(ok.code, 0) << ok.output;
  Command over_unix =
      adrgctl("--socket " + shell_quote(config.unix_socket) + " trigger tier3_pause");
  EXPECT_EQ(over_unix.code, 0) << over_unix.output;
  EXPECT_EQ(f_->recorder_.trigger_list(), (std::vector<std::string>{"media_start", "tier3_pause"}));

  Command unknown = adrgctl(url + " --token tok trigger reboot");
  EXPECT_NE(unknown.code, 0);
  EXPECT_TRUE(contains(unknown.output, "unknown event 'reboot'")) << unknown.output;
  EXPECT_TRUE(contains(unknown.output, "400")) << unknown.output;

  Command unauthorized = adrgctl(url + " trigger media_stop");
  EXPECT_NE(unauthorized.code, 0);
  EXPECT_TRUE(contains(unauthorized.output, "missing Authorization")) << unauthorized.output;

  Command unreachable = adrgctl("--url http://127.0.0.1:1 status");
  EXPECT_NE(unreachable.code, 0);
  EXPECT_FALSE(unreachable.output.empty());
}

TEST_F(AdrgctlTest, StatusAnswersOverTheUnixSocketDuringAFloodOfSlowConnections) {
  ASSERT_TRUE(f_->start(f_->default_config(), HttpApiFixture::patient_limits()).ok());
  SlowClients flood(f_->api_->tcp_port(), 500, {"127.0.0.1"});
  ASSERT_GT(flood.connected(), 400u);
  Command status = adrgctl("--socket " + shell_quote(f_->config_.unix_socket) + " status");
  EXPECT_EQ(status.code, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "tdarr-node")) << status.output;
  Command over_tcp =
      adrgctl("--url http://127.0.0.1:" + std::to_string(f_->api_->tcp_port()) + " status");
  EXPECT_EQ(over_tcp.code, 0) << over_tcp.output;
}

TEST_F(AdrgctlTest, EventsFollowsTheStream) {
  ASSERT_TRUE(f_->start(f_->default_config()).ok());
  f_->publish(R"({"rule":"thermal","action":"pause"})");
  Child events(binary_ + " --socket " + shell_quote(f_->config_.unix_socket) + " events");
  ASSERT_TRUE(events.read_until([](const std::string& out) {
    return contains(out, "{\"rule\":\"thermal\",\"action\":\"pause\"}\n");
  })) << events.output();
  f_->publish(R"({"rule":"media","action":"resume"})");
  ASSERT_TRUE(events.read_until([](const std::string& out) {
    return contains(out, "{\"rule\":\"media\",\"action\":\"resume\"}\n");
  })) << events.output();
  EXPECT_FALSE(contains(events.output(), "ping"));  // comments are not printed
  EXPECT_FALSE(contains(events.output(), "data:"));
}

}  // namespace
}  // namespace adrg

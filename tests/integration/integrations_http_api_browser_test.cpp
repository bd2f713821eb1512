// What a web page in the user's browser can do to the HTTP API, tried with a real headless
// Chromium: an attacker's page on another origin posts a trigger (text/plain JSON), a multipart
// webhook and an HTML form; and a DNS-rebound name (attacker.test resolving to 127.0.0.1, via
// Chromium's own resolver rules) asks for job data. Every request must arrive and be refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "integrations/http_api/http_api.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using std::chrono::seconds;

constexpr const char* kChromium = "/usr/bin/chromium";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The attacker's page: three requests a page may send anywhere without a CORS preflight, then a
// report back to its own server so the test knows the browser is done.
std::string attacker_page(int api_port) {
  std::string api = "http://127.0.0.1:" + std::to_string(api_port);
  return R"(<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" target="sink" action=")" +
         api + R"(/trigger"><input name='{"event":"tier3_pause","x":"' value='"}'></form>
<iframe name="sink" id="sink"></iframe>
<script>
(async () => {
  const api = ")" +
         api + R"(";
  const seen = [];
  try {
    await fetch(api + "/trigger", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body: '{"event":"media_start"}'});
    seen.push("trigger sent");
  } catch (e) { seen.push("trigger " + e); }
  try {
    const form = new FormData();
    form.append("payload", '{"event":"media.play"}');
    await fetch(api + "/webhook/media", {method: "POST", mode: "no-cors", body: form});
    seen.push("webhook sent");
  } catch (e) { seen.push("webhook " + e); }
  await new Promise((resolve) => {
    document.getElementById("sink").onload = resolve;
    document.getElementById("f").submit();
  });
  seen.push("form sent");
  await fetch("/done", {method: "POST", body: seen.join("; ")});
})();
</script></body></html>)";
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kChromium, X_OK) != 0) {
      GTEST_SKIP() << kChromium << " is not installed (Debian package chromium; tools/dev.sh "
                   << "test installs it)";
    }
    auto created = Reactor::create(ReactorChoice::kAuto);
    ASSERT_TRUE(created.ok()) << created.error().describe();
    reactor_ = std::move(created.value());
    HttpServerConfig config;
    config.port = 0;
    config.unix_socket = "";
    HttpApiHandlers handlers;
    handlers.status_json = [] { return std::string(R"({"version":"test"})"); };
    handlers.trigger = [this](std::string_view event) -> Status {
      std::lock_guard lock(mutex_);
      acted_.emplace_back(event);
      return {};
    };
    handlers.media_webhook = [this](std::string_view, std::string_view body) -> Status {
      std::lock_guard lock(mutex_);
      acted_.emplace_back(body);
      return {};
    };
    handlers.jobs = [](const ApiRequest&, ApiReplyFn reply) {
      reply(
          ApiReply{200, R"({"jobs":[{"id":"backup","argv":["restic","--password","hunter2"]}]})"});
    };
    api_ = std::make_unique<HttpApi>(*reactor_, config, std::move(handlers), bus_);
    Status started = api_->start();
    ASSERT_TRUE(started.ok()) << started.error().describe();
    loop_ = std::thread([this] { reactor_->run(); });
  }

  void TearDown() override {
    if (loop_.joinable()) {
      std::promise<void> stopped;
      reactor_->post([&] {
        api_->stop();
        stopped.set_value();
      });
      stopped.get_future().wait_for(seconds(10));
      reactor_->stop();
      loop_.join();
    }
  }

  // Headless Chromium as the environment allows it (root: no sandbox; no network but loopback:
  // no background traffic), resolving attacker.test to 127.0.0.1 as a rebinding attacker's DNS
  // would.
  std::vector<std::string> chromium_argv() {
    return {kChromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP attacker.test 127.0.0.1",
            "--user-data-dir=" + dir_.path() + "/profile-" + std::to_string(++runs_)};
  }

  // Loads `url` and prints the DOM once it has loaded.
  testing::CommandResult dump_dom(const std::string& url) {
    std::string command;
    for (const std::string& arg : chromium_argv()) command += "'" + arg + "' ";
    return testing::run_command(command + "--dump-dom '" + url + "' 2>/dev/null", seconds(90));
  }

  std::uint64_t refused() {
    std::promise<std::uint64_t> count;
    reactor_->post([&] { count.set_value(api_->refused_count()); });
    return count.get_future().get();
  }

  testing::TempDir dir_;
  EventBus bus_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpApi> api_;
  std::thread loop_;
  std::mutex mutex_;
  std::vector<std::string> acted_;
  int runs_ = 0;
};

TEST_F(BrowserTest, AnotherSitesPageCannotTriggerOrPostAWebhook) {
  testing::LoopbackHttpServer attacker;
  const int api_port = api_->tcp_port();
  attacker.on("GET", "/", [&](const testing::HttpServerRequest&) {
    testing::HttpServerResponse page =
        testing::HttpServerResponse::text(200, attacker_page(api_port));
    page.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    return page;
  });
  attacker.on("POST", "/done", [](const testing::HttpServerRequest&) {
    return testing::HttpServerResponse::text(200, "ok");
  });
  // The browser keeps the page open until the page reports back; then it is killed.
  std::vector<std::string> argv = chromium_argv();
  argv.push_back("http://attacker.test:" + std::to_string(attacker.port()) + "/");
  testing::ChildProcess browser(argv, dir_.path() + "/chromium.log");
  ASSERT_TRUE(testing::wait_until(
      [&] {
        for (const auto& request : attacker.requests()) {
          if (request.path == "/done") return true;
        }
        return false;
      },
      seconds(60)))
      << "the page never reported back; chromium said: " << browser.log();
  browser.signal(SIGTERM);  // its renderer and helpers end with it
  browser.wait_exit(seconds(15));
  std::string report;
  for (const auto& request : attacker.requests()) {
    if (request.path == "/done") report = request.body;
  }
  EXPECT_EQ(report, "trigger sent; webhook sent; form sent");
  // All three reached the API (so the test could have failed) and none acted.
  EXPECT_GE(refused(), 3u);
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(acted_.empty()) << acted_.front();
}

TEST_F(BrowserTest, ARebindingPageCannotReadJobDataOrStatus) {
  const std::string port = std::to_string(api_->tcp_port());
  // The browser reaches the API by its own name: the control that the API answers browsers.
  testing::CommandResult direct = dump_dom("http://127.0.0.1:" + port + "/status");
  EXPECT_TRUE(contains(direct.output, "\"version\":\"test\"")) << direct.output;
  // After rebinding, the attacker's name points at 127.0.0.1 and the page is same-origin with
  // whatever answers there; adrg refuses because the Host is the attacker's name.
  for (const char* path : {"/jobs", "/status"}) {
    testing::CommandResult rebound = dump_dom("http://attacker.test:" + port + path);
    EXPECT_TRUE(contains(rebound.output, "DNS-rebinding")) << path << ": " << rebound.output;
    EXPECT_FALSE(contains(rebound.output, "hunter2")) << rebound.output;
    EXPECT_FALSE(contains(rebound.output, "\"version\"")) << rebound.output;
  }
  EXPECT_GE(refused(), 2u);
}

}  // namespace
}  // namespace adrg

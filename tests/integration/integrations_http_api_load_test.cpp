// Load: wrk hammers GET /status (2 threads, 20 keep-alive connections, 10 s) while the loop
// publishes a decision event every 5 ms to an open /events stream, so MHD_run is driven by
// socket readiness, timeout timers and SSE resumes at the same time. The assertion is
// correctness under load (no non-2xx, no socket errors, the stream kept flowing); the throughput
// is printed, never asserted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "integrations/http_api/http_api.h"
#include "tests/support/shell_child.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using Child = testing::ShellChild;

std::string status_body() {
  std::string containers;
  for (int i = 0; i < 30; ++i) {
    if (!containers.empty()) containers += ",";
    containers += "\"app-" + std::to_string(i) + "\":{\"tier\":" + std::to_string(i % 4) +
                  ",\"paused_by\":[],\"cpu_max_by\":[\"media\"],\"io_max_by\":[]}";
  }
  return R"({"version":"0.1.0","uptime_seconds":12,"dry_run":false,"media_mode_active":true,)"
         R"("containers":{)" +
         containers + R"(},"backend":"epoll"})";
}

class HttpApiLoadTest : public ::testing::TestWithParam<ReactorBackend> {};

TEST_P(HttpApiLoadTest, WrkAgainstStatusWhileEventsStreamHasNoErrors) {
  if (std::system("command -v wrk >/dev/null 2>&1") != 0) GTEST_SKIP() << "wrk not installed";
  bool uring = GetParam() == ReactorBackend::kIoUring;
  auto created = Reactor::create(uring ? ReactorChoice::kIoUring : ReactorChoice::kEpoll);
  if (!created && uring) GTEST_SKIP() << "io_uring unavailable: " << created.error().describe();
  ASSERT_TRUE(created) << created.error().describe();
  std::unique_ptr<Reactor> reactor = std::move(created.value());

  adrg::testing::TempDir dir;
  HttpServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.unix_socket = dir.path() + "/adrg.sock";
  EventBus bus;
  std::atomic<long> status_requests{0};
  HttpApiHandlers handlers;
  const std::string body = status_body();
  handlers.status_json = [&] {
    ++status_requests;
    return body;
  };
  HttpApi api(*reactor, config, handlers, bus);
  ASSERT_TRUE(api.start().ok());
  long published = 0;
  auto timer = reactor->add_timer(milliseconds(5), milliseconds(5), [&] {
    ++published;
    bus.publish(R"({"rule":"load","unit":"app-1","action":"pause","n":)" +
                std::to_string(published) + "}");
  });
  ASSERT_TRUE(timer);
  std::thread loop([&] { reactor->run(); });

  const std::string base = "http://127.0.0.1:" + std::to_string(api.tcp_port());
  // Counts the events the stream delivered during the run (--max-time ends it).
  Child stream("sh -c \"curl -sS -N --max-time 13 " + base +
               "/events 2>/dev/null | grep -c '^data:'\"");
  Child wrk("wrk -t2 -c20 -d10s --latency " + base + "/status");
  int wrk_code = wrk.wait(seconds(60));
  int stream_code = stream.wait(seconds(30));

  std::promise<void> stopped;
  reactor->post([&] {
    reactor->cancel(*timer);
    api.stop();
    stopped.set_value();
  });
  ASSERT_EQ(stopped.get_future().wait_for(seconds(10)), std::future_status::ready);
  reactor->stop();
  loop.join();

  const std::string& report = wrk.output();
  std::cout << report;
  ASSERT_EQ(wrk_code, 0) << report;
  // wrk prints these lines only when something went wrong.
  EXPECT_EQ(report.find("Non-2xx or 3xx responses"), std::string::npos) << report;
  EXPECT_EQ(report.find("Socket errors"), std::string::npos) << report;
  std::smatch match;
  ASSERT_TRUE(std::regex_search(report, match, std::regex(R"(Requests/sec:\s+([0-9.]+))")));
  std::smatch total;
  ASSERT_TRUE(std::regex_search(report, total, std::regex(R"((\d+) requests in)")));
  EXPECT_GT(std::stol(total[1]), 0);
  EXPECT_GE(status_requests.load(), std::stol(total[1]));
  std::cout << "[ load     ] " << to_string(GetParam()) << ": " << match[1]
            << " requests/sec on /status, " << published << " events published, "
            << stream.output().substr(0, stream.output().find('\n'))
            << " delivered to the /events stream\n";
  (void)stream_code;  // curl exits 28 at --max-time; grep's count is what matters
  // Not a throughput bound: only that the stream kept flowing while wrk ran.
  EXPECT_GT(std::stol("0" + stream.output()), 10) << "the event stream stalled under load";
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpApiLoadTest,
                         ::testing::Values(ReactorBackend::kIoUring, ReactorBackend::kEpoll),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace adrg

// HttpClient against a real loopback HTTP server, on both reactor backends.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/http_client.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::HttpServerRequest;
using testing::HttpServerResponse;
using testing::HttpStreamWriter;
using testing::LoopbackHttpServer;

bool run_until(Reactor& reactor, const std::function<bool()>& done,
               Duration deadline = seconds(10)) {
  const TimePoint end = SteadyClock::now() + deadline;
  while (!done() && SteadyClock::now() < end) reactor.run_once(milliseconds(20));
  return done();
}

void run_for(Reactor& reactor, Duration span) {
  const TimePoint end = SteadyClock::now() + span;
  for (TimePoint now = SteadyClock::now(); now < end; now = SteadyClock::now()) {
    reactor.run_once(end - now);
  }
}

class HttpClientTest : public ::testing::TestWithParam<ReactorBackend> {
 protected:
  void SetUp() override {
    auto choice =
        GetParam() == ReactorBackend::kIoUring ? ReactorChoice::kIoUring : ReactorChoice::kEpoll;
    auto created = Reactor::create(choice);
    if (!created && GetParam() == ReactorBackend::kIoUring) {
      GTEST_SKIP() << "io_uring is unavailable on this host, so only epoll is tested: "
                   << created.error().describe();
    }
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    client_ = std::make_unique<HttpClient>(*reactor_);
  }
  void TearDown() override {
    client_.reset();  // before the reactor it registered with
    reactor_.reset();
  }

  // Sends and runs the loop until the callback ran.
  HttpResponse fetch(HttpRequest request) {
    std::optional<HttpResponse> response;
    client_->send(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    EXPECT_TRUE(run_until(*reactor_, [&] { return response.has_value(); }));
    return response.value_or(HttpResponse{});
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> client_;
  LoopbackHttpServer server_;
};

TEST_P(HttpClientTest, GetReturnsStatusHeadersAndBody) {
  server_.on("GET", "/hello", [](const HttpServerRequest& request) {
    auto response = HttpServerResponse::text(200, "world " + request.query);
    response.headers.emplace_back("X-Answer", "42");
    return response;
  });
  HttpRequest request;
  request.url = server_.url("/hello?x=1");
  request.headers = {"X-Emby-Token: secret"};
  HttpResponse response = fetch(request);
  EXPECT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "world x=1");
  EXPECT_EQ(response.header("x-answer"), "42");  // case-insensitive
  EXPECT_EQ(response.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response.header("absent"), "");
  EXPECT_GT(response.seconds, 0);

  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].path, "/hello");
  EXPECT_EQ(seen[0].header("x-emby-token"), "secret");
}

TEST_P(HttpClientTest, NotFoundIsATransportSuccessButNotOk) {
  HttpRequest request;
  request.url = server_.url("/nothing-here");
  HttpResponse response = fetch(request);
  EXPECT_TRUE(response.transport_ok());
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.status, 404);
}

TEST_P(HttpClientTest, PostPutDeleteSendBodyHeadersAndBasicAuth) {
  server_.on("*", "/items*", [](const HttpServerRequest& request) {
    return HttpServerResponse::json(request.method == "POST" ? 201 : 200,
                                    std::to_string(request.body.size()));
  });
  HttpRequest post;
  post.method = "POST";
  post.url = server_.url("/items");
  post.headers = {"Content-Type: application/json"};
  post.body = R"({"paused":true})";
  post.user_password = "admin:s3cret";
  HttpResponse created = fetch(post);
  EXPECT_EQ(created.status, 201) << created.error;

  // A body far over 1 KiB: curl would add "Expect: 100-continue" on its own.
  HttpRequest put;
  put.method = "PUT";
  put.url = server_.url("/items/7");
  put.body = std::string(200 * 1024, 'x');
  HttpResponse replaced = fetch(put);
  EXPECT_EQ(replaced.status, 200) << replaced.error;
  EXPECT_EQ(replaced.body, std::to_string(200 * 1024));

  HttpRequest del;
  del.method = "DELETE";
  del.url = server_.url("/items/7");
  EXPECT_EQ(fetch(del).status, 200);

  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, R"({"paused":true})");
  EXPECT_EQ(seen[0].header("Content-Type"), "application/json");
  EXPECT_EQ(seen[0].header("Authorization"), "Basic YWRtaW46czNjcmV0");  // admin:s3cret
  EXPECT_EQ(seen[1].method, "PUT");
  EXPECT_EQ(seen[1].body, put.body);
  EXPECT_EQ(seen[1].header("Expect"), "");
  EXPECT_EQ(seen[2].method, "DELETE");
  EXPECT_EQ(seen[2].path, "/items/7");
}

TEST_P(HttpClientTest, FiftyConcurrentRequestsAllComplete) {
  server_.on("GET", "/n", [](const HttpServerRequest& request) {
    auto response = HttpServerResponse::text(200, request.query);
    response.delay = milliseconds(50);  // they overlap on the server
    return response;
  });
  constexpr int kRequests = 50;
  std::vector<std::string> bodies(kRequests);
  int done = 0;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest request;
    request.url = server_.url("/n?" + std::to_string(i));
    client_->send(request, [&, i](HttpResponse response) {
      EXPECT_TRUE(response.ok()) << response.error;
      bodies[i] = response.body;
      ++done;
    });
  }
  EXPECT_EQ(client_->in_flight(), static_cast<std::size_t>(kRequests));
  const TimePoint start = SteadyClock::now();
  ASSERT_TRUE(run_until(*reactor_, [&] { return done == kRequests; }));
  // Serially this would take 50 x 50 ms.
  EXPECT_LT(SteadyClock::now() - start, milliseconds(2000));
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(bodies[i], std::to_string(i));
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_EQ(server_.request_count(), static_cast<std::size_t>(kRequests));
}

TEST_P(HttpClientTest, RequestOverAUnixSocket) {
  testing::TempDir dir;
  LoopbackHttpServer docker(LoopbackHttpServer::Options{dir.path() + "/docker.sock"});
  docker.on("GET", "/v1.41/_ping",
            [](const HttpServerRequest&) { return HttpServerResponse::text(200, "OK"); });
  HttpRequest request;
  request.url = "http://localhost/v1.41/_ping";
  request.unix_socket = docker.unix_socket_path();
  HttpResponse response = fetch(request);
  EXPECT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.body, "OK");
  auto seen = docker.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].over_unix_socket);
}

// curl reports a failed unix-socket connect as "Failed to connect to localhost port 80"; users
// then look for a TCP port (issue 16). The error must name the socket and the kernel's reason.
TEST_P(HttpClientTest, UnixSocketErrorsNameTheSocket) {
  testing::TempDir dir;
  HttpRequest request;
  request.url = "http://localhost/version";
  request.unix_socket = dir.path() + "/missing/docker.sock";
  HttpResponse missing = fetch(request);
  EXPECT_EQ(missing.curl_code, CURLE_COULDNT_CONNECT) << missing.error;
  EXPECT_EQ(missing.error,
            "cannot connect to unix socket " + request.unix_socket + ": No such file or directory");

  // A socket file nobody listens on (a stopped dockerd leaves one behind).
  const std::string stale = dir.path() + "/stale.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", stale.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  request.unix_socket = stale;
  HttpResponse refused = fetch(request);
  EXPECT_EQ(refused.error, "cannot connect to unix socket " + stale + ": Connection refused");

  // Any other transport error says which socket too.
  LoopbackHttpServer slow(LoopbackHttpServer::Options{dir.path() + "/slow.sock"});
  slow.on("GET", "/version", [](const HttpServerRequest&) {
    auto response = HttpServerResponse::text(200, "late");
    response.delay = seconds(5);
    return response;
  });
  request.unix_socket = slow.unix_socket_path();
  request.timeout = milliseconds(200);
  HttpResponse timed_out = fetch(request);
  EXPECT_EQ(timed_out.curl_code, CURLE_OPERATION_TIMEDOUT) << timed_out.error;
  EXPECT_EQ(timed_out.error.rfind("unix socket " + slow.unix_socket_path() + ": ", 0), 0u)
      << timed_out.error;
}

TEST_P(HttpClientTest, TimeoutOnASlowServerDoesNotBlockTheLoop) {
  server_.on("GET", "/slow", [](const HttpServerRequest&) {
    auto response = HttpServerResponse::text(200, "too late");
    response.delay = seconds(5);
    return response;
  });
  int ticks = 0;
  auto ticker = reactor_->add_timer(milliseconds(10), milliseconds(10), [&] { ++ticks; });
  ASSERT_TRUE(ticker);
  HttpRequest request;
  request.url = server_.url("/slow");
  request.timeout = milliseconds(300);
  const TimePoint start = SteadyClock::now();
  HttpResponse response = fetch(request);
  const Duration took = SteadyClock::now() - start;
  reactor_->cancel(*ticker);
  EXPECT_EQ(response.curl_code, CURLE_OPERATION_TIMEDOUT) << response.error;
  EXPECT_FALSE(response.error.empty());
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, seconds(3));
  EXPECT_GE(ticks, 10) << "the timer must keep firing while the request waits";
}

TEST_P(HttpClientTest, ConnectionRefusedIsATransportError) {
  // A port that was just free: bind, read the port, close.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";
  HttpResponse response = fetch(request);
  EXPECT_EQ(response.curl_code, CURLE_COULDNT_CONNECT) << response.error;
  EXPECT_FALSE(response.transport_ok());
}

TEST_P(HttpClientTest, StreamingChunksArriveIncrementally) {
  std::atomic<int> chunks_received{0};
  server_.on("GET", "/events", [&](const HttpServerRequest&) {
    HttpServerResponse response;
    response.headers.emplace_back("Content-Type", "application/json");
    response.stream = [&](HttpStreamWriter& writer) {
      for (int i = 0; i < 3; ++i) {
        if (!writer.send("{\"n\":" + std::to_string(i) + "}\n")) return;
        // The next chunk is only sent once the client saw this one: a client that buffered
        // the body until the end would deadlock here and the test would time out.
        while (chunks_received.load() <= i) {
          if (!writer.wait(milliseconds(5))) return;
        }
      }
    };
    return response;
  });
  std::string streamed;
  std::optional<HttpResponse> final;
  HttpRequest request;
  request.url = server_.url("/events");
  request.timeout = Duration::zero();  // streams have no overall deadline
  request.on_chunk = [&](std::string_view chunk) {
    streamed += chunk;
    chunks_received = static_cast<int>(std::count(streamed.begin(), streamed.end(), '\n'));
    return true;
  };
  client_->send(request, [&](HttpResponse r) { final = std::move(r); });
  ASSERT_TRUE(run_until(*reactor_, [&] { return final.has_value(); }));
  EXPECT_TRUE(final->ok()) << final->error;
  EXPECT_EQ(streamed, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n");
  EXPECT_TRUE(final->body.empty()) << "streamed bodies are not kept";
}

TEST_P(HttpClientTest, OnChunkReturningFalseAbortsTheTransfer) {
  server_.on("GET", "/endless", [](const HttpServerRequest&) {
    HttpServerResponse response;
    response.stream = [](HttpStreamWriter& writer) {
      while (writer.send("tick\n") && writer.wait(milliseconds(20))) {
      }
    };
    return response;
  });
  int chunks = 0;
  std::optional<HttpResponse> final;
  HttpRequest request;
  request.url = server_.url("/endless");
  request.timeout = Duration::zero();
  request.on_chunk = [&](std::string_view) { return ++chunks < 3; };
  client_->send(request, [&](HttpResponse r) { final = std::move(r); });
  ASSERT_TRUE(run_until(*reactor_, [&] { return final.has_value(); }));
  EXPECT_EQ(chunks, 3);
  EXPECT_EQ(final->curl_code, CURLE_WRITE_ERROR);
  EXPECT_EQ(final->error, "transfer aborted by on_chunk");
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_P(HttpClientTest, CancelDropsTheTransferWithoutItsCallback) {
  server_.on("GET", "/slow", [](const HttpServerRequest&) {
    auto response = HttpServerResponse::text(200, "late");
    response.delay = milliseconds(300);
    return response;
  });
  bool called = false;
  HttpRequest request;
  request.url = server_.url("/slow");
  auto id = client_->send(request, [&](HttpResponse) { called = true; });
  ASSERT_TRUE(run_until(*reactor_, [&] { return server_.request_count() == 1; }));
  client_->cancel(id);
  EXPECT_EQ(client_->in_flight(), 0u);
  client_->cancel(id);                    // twice is harmless
  run_for(*reactor_, milliseconds(500));  // past the moment the server answers
  EXPECT_FALSE(called);
}

TEST_P(HttpClientTest, CallbacksMaySendAndCancelOtherRequests) {
  server_.on("GET", "/fast",
             [](const HttpServerRequest&) { return HttpServerResponse::text(200, "fast"); });
  server_.on("GET", "/slow", [](const HttpServerRequest&) {
    auto response = HttpServerResponse::text(200, "slow");
    response.delay = milliseconds(300);
    return response;
  });
  bool slow_called = false;
  std::optional<HttpResponse> follow_up;
  HttpRequest slow;
  slow.url = server_.url("/slow");
  auto slow_id = client_->send(slow, [&](HttpResponse) { slow_called = true; });
  HttpRequest fast;
  fast.url = server_.url("/fast");
  client_->send(fast, [&](HttpResponse response) {
    EXPECT_EQ(response.body, "fast");
    client_->cancel(slow_id);
    HttpRequest next;
    next.url = server_.url("/fast?again");
    client_->send(next, [&](HttpResponse r) { follow_up = std::move(r); });
  });
  ASSERT_TRUE(run_until(*reactor_, [&] { return follow_up.has_value(); }));
  EXPECT_EQ(follow_up->body, "fast");
  run_for(*reactor_, milliseconds(400));
  EXPECT_FALSE(slow_called);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_P(HttpClientTest, OnChunkMaySendAndCancel) {
  server_.on("GET", "/stream", [](const HttpServerRequest&) {
    HttpServerResponse response;
    response.chunks = {"one\n", "two\n"};
    response.chunk_interval = milliseconds(20);
    return response;
  });
  server_.on("GET", "/fast",
             [](const HttpServerRequest&) { return HttpServerResponse::text(200, "fast"); });
  std::optional<HttpResponse> sent_from_chunk;
  std::optional<HttpResponse> stream_done;
  bool cancelled_called = false;
  HttpRequest stream;
  stream.url = server_.url("/stream");
  HttpClient::Id stream_id = 0;
  stream.on_chunk = [&](std::string_view) {
    // Both happen inside curl_multi_socket_action and must be deferred by the client.
    HttpRequest next;
    next.url = server_.url("/fast");
    client_->send(next, [&](HttpResponse r) { sent_from_chunk = std::move(r); });
    client_->cancel(stream_id);
    return true;
  };
  stream_id = client_->send(stream, [&](HttpResponse r) {
    cancelled_called = true;
    stream_done = std::move(r);
  });
  ASSERT_TRUE(run_until(*reactor_, [&] { return sent_from_chunk.has_value(); }));
  EXPECT_EQ(sent_from_chunk->body, "fast");
  run_for(*reactor_, milliseconds(100));
  EXPECT_FALSE(cancelled_called);
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_P(HttpClientTest, DestroyingTheClientWithTransfersInFlightIsClean) {
  server_.on("GET", "/slow", [](const HttpServerRequest&) {
    auto response = HttpServerResponse::text(200, "late");
    response.delay = milliseconds(200);
    return response;
  });
  bool called = false;
  for (int i = 0; i < 5; ++i) {
    HttpRequest request;
    request.url = server_.url("/slow");
    client_->send(request, [&](HttpResponse) { called = true; });
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return server_.request_count() == 5; }));
  client_.reset();
  run_for(*reactor_, milliseconds(300));
  EXPECT_FALSE(called);
}

INSTANTIATE_TEST_SUITE_P(Backends, HttpClientTest,
                         ::testing::Values(ReactorBackend::kIoUring, ReactorBackend::kEpoll),
                         [](const ::testing::TestParamInfo<ReactorBackend>& info) {
                           return info.param == ReactorBackend::kIoUring ? "IoUring" : "Epoll";
                         });

}  // namespace
}  // namespace adrg

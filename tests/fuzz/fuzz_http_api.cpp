// The real HttpApi (libmicrohttpd inside our reactor, integrations/http_api/http_api.h) on raw
// bytes from a client: request line, headers (Host, Origin, Authorization, Content-Type,
// Content-Length, Transfer-Encoding), chunked bodies, and the trigger/webhook/jobs bodies.
//
// Started once, as the daemon starts it: one API with the default config (loopback, no token)
// on TCP port 0 and a unix socket in a temp dir, and one with a token and a webhook secret on
// TCP. Each input is written to all three listeners over a fresh connection, with the reactor
// pumped until the server has done all it can (see Exchange), within a deadline. The handlers are
// stubs with fixed answers, except the webhook, which runs the real payload parser the daemon's
// media service runs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/event_bus.h"
#include "core/reactor.h"
#include "integrations/http_api/http_api.h"
#include "integrations/media/media_parse.h"
#include "tests/fuzz/fuzz_support.h"

namespace adrg::fuzz {
namespace {

// Far above what a loopback exchange takes (about a millisecond), below libFuzzer's -timeout
// (tools/fuzz.sh gives an input 20 s) for the three exchanges of an input.
constexpr Duration kExchangeDeadline = std::chrono::seconds(5);

HttpApiHandlers stub_handlers(Reactor& reactor) {
  HttpApiHandlers handlers;
  handlers.status_json = [] {
    return std::string(R"({"version":"0.1.0","dry_run":false,"media_mode_active":false})");
  };
  handlers.metrics_text = [] { return std::string("# TYPE adrg_up gauge\nadrg_up 1\n"); };
  handlers.trigger = [](std::string_view event) -> Status {
    // One failing event, so the 500 path is reachable too.
    if (event == "tier3_resume") {
      return Error{std::make_error_code(std::errc::io_error), "docker unpause failed"};
    }
    return {};
  };
  handlers.media_webhook = [](std::string_view content_type, std::string_view body) -> Status {
    auto event = media::parse_media_webhook(content_type, body);
    if (!event) return event.error();
    return {};
  };
  handlers.healthy = [] { return true; };
  // Answered from a posted callback, as the job runner answers a long poll: the request is
  // suspended and resumed, the path where connection lifetimes are hardest to get right.
  handlers.jobs = [&reactor](const ApiRequest& request, ApiReplyFn reply) {
    std::string body = request.method == "GET" ? R"({"jobs":[]})" : R"({"id":"fuzz"})";
    reactor.post([reply = std::move(reply), body = std::move(body)] {
      reply(ApiReply{200, body, "application/json", {}});
    });
  };
  return handlers;
}

struct Harness {
  std::unique_ptr<Reactor> reactor;
  EventBus bus;
  std::string dir;
  std::unique_ptr<HttpApi> open_api;   // default config: no token, TCP and unix socket
  std::unique_ptr<HttpApi> token_api;  // token and webhook secret configured, TCP only
  sockaddr_in open_tcp{};
  sockaddr_in token_tcp{};
  sockaddr_un open_unix{};
};

Harness* g_harness = nullptr;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_http_api: %s\n", what.c_str());
  std::abort();
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

void shutdown_harness() {
  if (g_harness == nullptr) return;
  g_harness->open_api.reset();
  g_harness->token_api.reset();
  std::error_code ec;
  std::filesystem::remove_all(g_harness->dir, ec);
}

void start_harness() {
  auto* h = new Harness();  // lives for the whole process; LeakSanitizer sees it through g_harness
  auto reactor = Reactor::create(ReactorChoice::kEpoll);
  if (!reactor) fail("reactor: " + reactor.error().describe());
  h->reactor = std::move(reactor.value());

  // Under $TMPDIR: tools/fuzz.sh points it at its work directory, so the socket a crashed run
  // leaves behind goes with it.
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/adrg-fuzz-http-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    fail("mkdtemp: " + std::string(std::strerror(errno)));
  }
  h->dir = pattern;

  HttpApiLimits limits;
  limits.connection_timeout = std::chrono::seconds(1);
  // Lingering /events streams are resumed (and so noticed as closed) by this ping.
  limits.sse_keepalive = std::chrono::milliseconds(100);

  HttpServerConfig open;
  open.host = "127.0.0.1";
  open.port = 0;
  open.unix_socket = h->dir + "/adrg.sock";
  h->open_api =
      std::make_unique<HttpApi>(*h->reactor, open, stub_handlers(*h->reactor), h->bus, limits);
  if (Status s = h->open_api->start(); !s) fail("start open api: " + s.error().describe());

  HttpServerConfig token = open;
  token.unix_socket.clear();
  token.token = "fuzz-token";
  token.webhook_secret = "fuzz-secret";
  h->token_api =
      std::make_unique<HttpApi>(*h->reactor, token, stub_handlers(*h->reactor), h->bus, limits);
  if (Status s = h->token_api->start(); !s) fail("start token api: " + s.error().describe());

  h->open_tcp = loopback(h->open_api->tcp_port());
  h->token_tcp = loopback(h->token_api->tcp_port());
  h->open_unix.sun_family = AF_UNIX;
  std::snprintf(h->open_unix.sun_path, sizeof(h->open_unix.sun_path), "%s",
                open.unix_socket.c_str());
  g_harness = h;
  std::atexit(shutdown_harness);
}

// One client connection, driven by the same reactor that runs the server: write the request,
// half-close, then pump until the reactor has nothing ready. All of it is loopback, where the
// kernel delivers a write to the peer within the syscall, so "nothing ready" means the server did
// everything this input let it do: answered and closed, answered and waits for the next request
// on a keep-alive connection, suspended an /events stream, or waits for the rest of a request the
// input left unfinished. (Waiting for EOF instead would sit out MHD's idle timeout on every
// keep-alive answer: MHD does not see the half-close behind the data it already read.)
class Exchange {
 public:
  Exchange(Reactor& reactor, std::string_view request) : reactor_(reactor), request_(request) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange() {
    if (watch_ != 0) reactor_.cancel(watch_);
    if (fd_ >= 0) ::close(fd_);
  }

  void run(const sockaddr* address, socklen_t length) {
    fd_ = ::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket: " + std::string(std::strerror(errno)));
    if (::connect(fd_, address, length) != 0 && errno != EINPROGRESS) {
      fail("connect: " + std::string(std::strerror(errno)));
    }
    auto watch = reactor_.watch_fd(fd_, POLLIN | POLLOUT,
                                   [this](std::uint32_t revents) { on_ready(revents); });
    if (!watch) fail("watch_fd: " + watch.error().describe());
    watch_ = *watch;
    const TimePoint deadline = SteadyClock::now() + kExchangeDeadline;
    while (!write_closed_) {  // the connect completes and the request goes out
      const TimePoint now = SteadyClock::now();
      if (now >= deadline) fail("the request could not be written within the deadline");
      reactor_.run_once(deadline - now);
    }
    while (reactor_.run_once(Duration::zero())) {
      // A server still busy after seconds on a request of a few KiB loops: a finding, so abort
      // and let libFuzzer keep the input.
      if (SteadyClock::now() >= deadline) fail("the server is still busy after the deadline");
    }
  }

 private:
  void on_ready(std::uint32_t revents) {
    if ((revents & POLLOUT) != 0 && !write_closed_) write_some();
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) drain();
  }

  void write_some() {
    while (sent_ < request_.size()) {
      ssize_t n = ::send(fd_, request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;  // the server closed early (an error answer before the whole body): just read
    }
    ::shutdown(fd_, SHUT_WR);
    write_closed_ = true;
    (void)reactor_.modify_fd(watch_, POLLIN);
  }

  // The answer itself is not checked (the sanitizers are the oracle); it is read so the server's
  // writes never block, and the watch ends at EOF so a closed socket does not stay ready.
  void drain() {
    char buffer[16384];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      reactor_.cancel(std::exchange(watch_, 0));
      write_closed_ = true;
      return;
    }
  }

  Reactor& reactor_;
  std::string_view request_;
  int fd_ = -1;
  Reactor::Id watch_ = 0;
  std::size_t sent_ = 0;
  bool write_closed_ = false;
};

void exchange(const sockaddr* address, socklen_t length, std::string_view request) {
  Exchange(*g_harness->reactor, request).run(address, length);
}

}  // namespace
}  // namespace adrg::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  adrg::fuzz::quiet_logging();
  adrg::fuzz::start_harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using adrg::fuzz::g_harness;
  const std::string_view request = adrg::fuzz::as_text(data, size);
  adrg::fuzz::exchange(reinterpret_cast<const sockaddr*>(&g_harness->open_tcp),
                       sizeof(g_harness->open_tcp), request);
  adrg::fuzz::exchange(reinterpret_cast<const sockaddr*>(&g_harness->token_tcp),
                       sizeof(g_harness->token_tcp), request);
  adrg::fuzz::exchange(reinterpret_cast<const sockaddr*>(&g_harness->open_unix),
                       sizeof(g_harness->open_unix), request);
  // An event on the bus resumes every open /events stream, so one whose client left is noticed
  // and freed now, and the push path runs with real subscribers.
  g_harness->bus.publish(R"({"rule":"fuzz","action":"none"})");
  // Let the server finish what the closes started (connection cleanup) before the next input,
  // bounded so a busy loop cannot stall the fuzzer.
  for (int i = 0; i < 64 && g_harness->reactor->run_once(std::chrono::milliseconds(0)); ++i) {
  }
  return 0;
}

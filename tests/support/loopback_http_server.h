// A small, real HTTP/1.1 server on 127.0.0.1 (ephemeral port) and optionally a unix socket, for
// tests that fake Jellyfin, Plex, qBittorrent, ntfy, the Docker Engine API... It runs on its own
// threads with plain blocking sockets (one acceptor, one thread per connection), so handlers may
// delay or stream without stalling other requests. Every response ends with Connection: close.
//
//   LoopbackHttpServer server;
//   server.on("GET", "/Sessions", [](const HttpServerRequest& r) {
//     return HttpServerResponse::json(200, R"([{"NowPlayingItem":{}}])");
//   });
//   client.send({.url = server.url("/Sessions")}, ...);
//   server.wait_for_requests(1);
//   EXPECT_EQ(server.requests()[0].header("X-Emby-Token"), "secret");
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace adrg::testing {

struct HttpServerRequest {
  std::string method;
  std::string target;                                        // as sent: path plus query
  std::string path;                                          // without the query
  std::string query;                                         // after '?', empty when none
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;  // Content-Length or chunked bodies, decoded
  bool over_unix_socket = false;

  // Case-insensitive; the last header of that name, empty when absent.
  std::string header(std::string_view name) const;
};

// Handed to a streaming handler: send() writes one chunk at once (false once the client left or
// the server stops); wait() pauses, returning false early when the server stops.
class HttpStreamWriter {
 public:
  virtual ~HttpStreamWriter() = default;
  virtual bool send(std::string_view chunk) = 0;
  virtual bool wait(std::chrono::milliseconds delay) = 0;
};

struct HttpServerResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Waited before anything is sent (a slow server; interrupted by stop()).
  std::chrono::milliseconds delay{0};
  // Any of these makes the response Transfer-Encoding: chunked. `chunks` are sent one by one,
  // `chunk_interval` apart; then `stream` (if set) may send more until it returns.
  std::vector<std::string> chunks;
  std::chrono::milliseconds chunk_interval{0};
  std::function<void(HttpStreamWriter&)> stream;

  static HttpServerResponse text(int status, std::string body);
  static HttpServerResponse json(int status, std::string body);
};

using HttpHandler = std::function<HttpServerResponse(const HttpServerRequest&)>;

class LoopbackHttpServer {
 public:
  struct Options {
    std::string unix_socket_path;  // also listen here when not empty (an old file is replaced)
  };

  // Listens at once; throws std::runtime_error when it cannot (tests only).
  LoopbackHttpServer();
  explicit LoopbackHttpServer(Options options);
  ~LoopbackHttpServer();  // stop()
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" + path.
  std::string url(std::string_view path = "") const;
  const std::string& unix_socket_path() const { return options_.unix_socket_path; }

  // method "*" matches any method; path is an fnmatch(3) pattern ("/containers/*/pause")
  // matched against the path without the query. The latest registration that matches wins, so
  // a test can override an earlier handler. Unmatched requests get 404.
  void on(std::string method, std::string path_pattern, HttpHandler handler);

  std::vector<HttpServerRequest> requests() const;
  std::size_t request_count() const;
  // True once at least n requests have been received (fully read, before the handler runs).
  bool wait_for_requests(std::size_t n,
                         std::chrono::milliseconds deadline = std::chrono::seconds(10)) const;
  void clear_requests();

  // Closes the listeners, interrupts delays and streams, joins every thread. Idempotent.
  void stop();

 private:
  struct Connection;
  struct Route {
    std::string method;
    std::string pattern;
    HttpHandler handler;
  };

  void accept_loop();
  void serve(Connection& connection);
  HttpServerResponse dispatch(const HttpServerRequest& request);
  void reap_finished_locked();

  Options options_;
  int tcp_fd_ = -1;
  int unix_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  std::vector<Route> routes_;
  std::vector<HttpServerRequest> requests_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread acceptor_;
};

}  // namespace adrg::testing

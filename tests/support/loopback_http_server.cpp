#include "tests/support/loopback_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace adrg::testing {
namespace {

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("LoopbackHttpServer: " + what + ": " + std::strerror(errno));
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

// Buffered reads from a blocking socket; false on EOF, error or shutdown by stop().
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}

  bool fill() {
    char chunk[16 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
  }
  // A line without its CRLF.
  bool line(std::string& out) {
    for (;;) {
      auto end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        out = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      if (buffer_.size() > kMaxHeaderBytes || !fill()) return false;
    }
  }
  bool exactly(std::size_t n, std::string& out) {
    while (buffer_.size() < n) {
      if (!fill()) return false;
    }
    out.append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

 private:
  int fd_;
  std::string buffer_;
};

}  // namespace

std::string HttpServerRequest::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first.size() == name.size() &&
        ::strncasecmp(it->first.data(), name.data(), name.size()) == 0) {
      return it->second;
    }
  }
  return {};
}

HttpServerResponse HttpServerResponse::text(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

HttpServerResponse HttpServerResponse::json(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

struct LoopbackHttpServer::Connection {
  int fd = -1;  // closed (and set to -1) only under the server mutex, so stop() never
                // shuts down a number that was reused
  bool over_unix_socket = false;
  std::atomic<bool> done{false};
  std::thread thread;
};

LoopbackHttpServer::LoopbackHttpServer() : LoopbackHttpServer(Options{}) {}

LoopbackHttpServer::LoopbackHttpServer(Options options) : options_(std::move(options)) {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) fail("pipe2");

  tcp_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (tcp_fd_ < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(tcp_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
  if (::listen(tcp_fd_, SOMAXCONN) != 0) fail("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail("getsockname");
  port_ = ntohs(addr.sin_port);

  if (!options_.unix_socket_path.empty()) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (options_.unix_socket_path.size() >= sizeof un.sun_path) {
      errno = ENAMETOOLONG;
      fail("unix socket path " + options_.unix_socket_path);
    }
    std::memcpy(un.sun_path, options_.unix_socket_path.c_str(),
                options_.unix_socket_path.size() + 1);
    ::unlink(options_.unix_socket_path.c_str());
    unix_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (unix_fd_ < 0) fail("socket(AF_UNIX)");
    if (::bind(unix_fd_, reinterpret_cast<sockaddr*>(&un), sizeof un) != 0) {
      fail("bind " + options_.unix_socket_path);
    }
    if (::listen(unix_fd_, SOMAXCONN) != 0) fail("listen " + options_.unix_socket_path);
  }
  acceptor_ = std::thread([this] { accept_loop(); });
}

LoopbackHttpServer::~LoopbackHttpServer() { stop(); }

std::string LoopbackHttpServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void LoopbackHttpServer::on(std::string method, std::string path_pattern, HttpHandler handler) {
  std::lock_guard lock(mutex_);
  routes_.push_back(Route{std::move(method), std::move(path_pattern), std::move(handler)});
}

std::vector<HttpServerRequest> LoopbackHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t LoopbackHttpServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool LoopbackHttpServer::wait_for_requests(std::size_t n,
                                           std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return requests_.size() >= n; });
}

void LoopbackHttpServer::clear_requests() {
  std::lock_guard lock(mutex_);
  requests_.clear();
}

void LoopbackHttpServer::stop() {
  std::vector<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    // Blocked recv()s in connection threads return 0 after a shutdown.
    for (auto& c : connections_) {
      if (c->fd >= 0) ::shutdown(c->fd, SHUT_RDWR);
    }
  }
  changed_.notify_all();
  char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_pipe_[1], &byte, 1);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto& c : connections) {
    if (c->thread.joinable()) c->thread.join();
  }
  for (int* fd : {&tcp_fd_, &unix_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!options_.unix_socket_path.empty()) ::unlink(options_.unix_socket_path.c_str());
}

void LoopbackHttpServer::reap_finished_locked() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();  // it has returned already: no wait
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void LoopbackHttpServer::accept_loop() {
  for (;;) {
    pollfd fds[3] = {{wake_pipe_[0], POLLIN, 0}, {tcp_fd_, POLLIN, 0}, {unix_fd_, POLLIN, 0}};
    int nfds = unix_fd_ >= 0 ? 3 : 2;
    if (::poll(fds, static_cast<nfds_t>(nfds), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;  // stop()
    for (int i = 1; i < nfds; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      int fd = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;  // EAGAIN: the client gave up meanwhile
      std::lock_guard lock(mutex_);
      reap_finished_locked();
      if (stopping_) {
        ::close(fd);
        return;
      }
      auto connection = std::make_unique<Connection>();
      connection->fd = fd;
      connection->over_unix_socket = i == 2;
      Connection* raw = connection.get();
      connections_.push_back(std::move(connection));
      raw->thread = std::thread([this, raw] {
        try {
          serve(*raw);
        } catch (const std::exception&) {
          // Malformed framing (a bad chunk size or Content-Length): drop the connection.
        }
        {
          std::lock_guard lock(mutex_);
          ::close(raw->fd);
          raw->fd = -1;
        }
        raw->done = true;
      });
    }
  }
}

HttpServerResponse LoopbackHttpServer::dispatch(const HttpServerRequest& request) {
  HttpHandler handler;
  {
    std::lock_guard lock(mutex_);
    for (auto it = routes_.rbegin(); it != routes_.rend(); ++it) {
      if ((it->method == "*" || it->method == request.method) &&
          ::fnmatch(it->pattern.c_str(), request.path.c_str(), 0) == 0) {
        handler = it->handler;
        break;
      }
    }
  }
  if (!handler) {
    return HttpServerResponse::text(404, "no handler for " + request.method + " " + request.path);
  }
  try {
    return handler(request);
  } catch (const std::exception& e) {
    return HttpServerResponse::text(500, std::string("handler threw: ") + e.what());
  }
}

void LoopbackHttpServer::serve(Connection& connection) {
  const int fd = connection.fd;
  Reader reader(fd);
  HttpServerRequest request;
  request.over_unix_socket = connection.over_unix_socket;

  std::string line;
  if (!reader.line(line)) return;
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) {
    send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    return;
  }
  request.method = line.substr(0, sp1);
  request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto q = request.target.find('?');
  request.path = request.target.substr(0, q);
  if (q != std::string::npos) request.query = request.target.substr(q + 1);

  for (;;) {
    if (!reader.line(line)) return;
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    request.headers.emplace_back(trim(std::string_view(line).substr(0, colon)),
                                 trim(std::string_view(line).substr(colon + 1)));
  }

  // curl (before 8.?) sends "Expect: 100-continue" for larger POST bodies and waits up to 1 s
  // for this interim response before sending the body anyway.
  if (::strcasecmp(request.header("Expect").c_str(), "100-continue") == 0) {
    if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return;
  }
  if (::strcasecmp(request.header("Transfer-Encoding").c_str(), "chunked") == 0) {
    for (;;) {
      if (!reader.line(line)) return;
      std::size_t size = std::stoul(line, nullptr, 16);
      if (size == 0) {
        while (reader.line(line) && !line.empty()) {  // trailers
        }
        break;
      }
      if (!reader.exactly(size, request.body) || !reader.line(line)) return;
    }
  } else if (std::string length = request.header("Content-Length"); !length.empty()) {
    if (!reader.exactly(std::stoul(length), request.body)) return;
  }

  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  changed_.notify_all();

  HttpServerResponse response = dispatch(request);
  if (response.delay.count() > 0) {
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, response.delay, [this] { return stopping_; })) return;
  }

  const bool chunked = !response.chunks.empty() || static_cast<bool>(response.stream);
  std::string head =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  for (auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
  if (chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  head += "Connection: close\r\n\r\n";
  if (!chunked && request.method != "HEAD") head += response.body;
  if (!send_all(fd, head)) return;

  if (chunked) {
    struct Writer final : HttpStreamWriter {
      LoopbackHttpServer* server;
      int fd;
      Writer(LoopbackHttpServer* s, int f) : server(s), fd(f) {}
      bool send(std::string_view chunk) override {
        if (chunk.empty()) return true;  // an empty chunk would end the body
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        return send_all(fd, std::string(size) + std::string(chunk) + "\r\n");
      }
      bool wait(std::chrono::milliseconds delay) override {
        std::unique_lock lock(server->mutex_);
        return !server->changed_.wait_for(lock, delay, [this] { return server->stopping_; });
      }
    } writer(this, fd);
    for (std::size_t i = 0; i < response.chunks.size(); ++i) {
      if (i > 0 && response.chunk_interval.count() > 0 && !writer.wait(response.chunk_interval)) {
        return;
      }
      if (!writer.send(response.chunks[i])) return;
    }
    if (response.stream) response.stream(writer);
    if (!send_all(fd, "0\r\n\r\n")) return;
  }
  // Half-close, then wait (bounded) for the client to close: closing with unread input would
  // send an RST that can destroy the response before the client read it.
  ::shutdown(fd, SHUT_WR);
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char sink[1024];
  while (::recv(fd, sink, sizeof sink, 0) > 0) {
  }
}

}  // namespace adrg::testing

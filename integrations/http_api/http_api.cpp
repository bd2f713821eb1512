#include "integrations/http_api/http_api.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#include "core/fs.h"
#include "core/json_writer.h"
#include "integrations/http_api/connection_table.h"
#include "integrations/http_api/request_guard.h"

namespace adrg {

namespace {

constexpr const char* kJsonType = "application/json";
constexpr const char* kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::size_t kSseBlockSize = 4096;
constexpr int kListenBacklog = 128;
// MHD's own cap sits above the connection table's so that connections the table just evicted
// (shut down, closed by MHD on its next pass) never make MHD refuse the newcomer.
constexpr unsigned kMhdLimitHeadroom = 64;
// A Host that is not on the allow list makes the list be re-read at most this often, so an
// address the machine gained since start (DHCP, a new interface) is accepted without a restart.
constexpr auto kHostListRefresh = std::chrono::seconds(5);

enum class Route { kNone, kStatus, kMetrics, kHealthz, kEvents, kTrigger, kWebhook, kJobs };

struct RouteInfo {
  std::string_view path;
  Route route;
  bool post;          // false: GET (and HEAD, except for the event stream)
  const char* allow;  // the Allow header of a 405
  RouteAccess access;
};

constexpr RouteInfo kRoutes[] = {
    {"/status", Route::kStatus, false, "GET, HEAD", RouteAccess::kRead},
    {"/metrics", Route::kMetrics, false, "GET, HEAD", RouteAccess::kRead},
    {"/healthz", Route::kHealthz, false, "GET, HEAD", RouteAccess::kHealth},
    {"/events", Route::kEvents, false, "GET", RouteAccess::kStream},
    {"/trigger", Route::kTrigger, true, "POST", RouteAccess::kAct},
    {"/webhook/media", Route::kWebhook, true, "POST", RouteAccess::kWebhook},
};

// /jobs and everything below it; the job handler routes further and answers 405 itself.
constexpr RouteInfo kJobsRoute = {"/jobs", Route::kJobs, false, "GET, POST, DELETE",
                                  RouteAccess::kJobs};

const RouteInfo* find_route(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == kJobsRoute.path || path.starts_with("/jobs/")) return &kJobsRoute;
  for (const RouteInfo& info : kRoutes) {
    if (info.path == path) return &info;
  }
  return nullptr;
}

std::string_view trim_header_value(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// The media type of a Content-Type value, lower-cased, without parameters.
std::string media_type(const char* content_type) {
  if (content_type == nullptr) return {};
  std::string_view value(content_type);
  value = trim_header_value(value.substr(0, value.find(';')));
  std::string out(value);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
      } else {
        out.push_back(c);
      }
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// `event=media_start&x=y` → the value of the first key among `keys`.
std::string form_value(std::string_view body, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    std::string_view rest = body;
    while (!rest.empty()) {
      std::size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && url_decode(pair.substr(0, eq)) == key) {
        return url_decode(pair.substr(eq + 1));
      }
    }
  }
  return {};
}

std::string valid_events_list() {
  std::string out;
  for (std::string_view event : kTriggerEvents) {
    if (!out.empty()) out += ", ";
    out += event;
  }
  return out;
}

std::string valid_events_json() {
  std::string out = "[";
  for (std::string_view event : kTriggerEvents) {
    if (out.size() > 1) out += ",";
    out += fmt::format("\"{}\"", event);
  }
  return out + "]";
}

std::string error_json(std::string_view message, std::string_view extra_fields = {}) {
  std::string out = fmt::format("{{\"error\":\"{}\"", json_escape(message));
  if (!extra_fields.empty()) {
    out += ",";
    out += extra_fields;
  }
  return out + "}\n";
}

bool address_is_loopback(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

// The address part alone ("127.0.0.1", "::1"): the key of the per-source connection cap.
std::string source_of(const sockaddr* addr) {
  std::string text = address_text(addr);
  return text.empty() ? "unix" : text;
}

std::string describe_address(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return fmt::format("{}:{}", host, ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
  inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
  return fmt::format("[{}]:{}", host, ntohs(in6->sin6_port));
}

struct ResolvedAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Result<ResolvedAddress> resolve(std::string host, int port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return Error{{}, "general.http_server.host is empty"};
  if (port < 0 || port > 65535) {
    return Error{{}, fmt::format("general.http_server.port {} is out of range", port)};
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0 || list == nullptr) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 fmt::format("resolve http host '{}': {}", host, gai_strerror(rc))};
  }
  ResolvedAddress out;
  std::memcpy(&out.storage, list->ai_addr, list->ai_addrlen);
  out.length = list->ai_addrlen;
  freeaddrinfo(list);
  return out;
}

// A handler's answer that may come after the request returned: the connection is suspended
// meanwhile and resumed when the reply arrives; MHD then calls on_request again, which queues it.
struct PendingReply {
  MHD_Connection* connection = nullptr;
  void* listener = nullptr;  // Impl::Listener*
  std::optional<ApiReply> reply;
  bool suspended = false;
  bool alive = true;   // false once MHD finished the request (client gone, daemon stopped)
  int hangup_fd = -1;  // see Impl::watch_hangup
  std::uint64_t hangup_watch = 0;
};

struct RequestContext {
  const RouteInfo* route = nullptr;
  std::string url;
  std::string method;
  std::shared_ptr<PendingReply> pending;
  std::string body;
  std::size_t limit = 0;
  std::size_t discarded = 0;
  bool too_large = false;
};

}  // namespace

std::string json_escape(std::string_view text) {
  std::string quoted;
  append_json_string(quoted, text);
  return quoted.substr(1, quoted.size() - 2);
}

struct HttpApi::Impl : std::enable_shared_from_this<HttpApi::Impl> {
  struct Listener {
    Impl* impl = nullptr;
    bool is_unix = false;
    std::string description;  // "127.0.0.1:8765" or the socket path, for logs
    MHD_Daemon* daemon = nullptr;
    Reactor::Id watch_id = 0;
    Reactor::Id timer_id = 0;
    Reactor::Id deadline_timer_id = 0;  // the connection table's next request deadline
    bool run_posted = false;
    std::unique_ptr<ConnectionTable> connections;
  };

  // One open /events stream. Owned by sse_clients_; MHD's response holds a raw pointer and tells
  // us through sse_free when the connection is gone.
  struct SseClient {
    Impl* impl = nullptr;
    Listener* listener = nullptr;
    MHD_Connection* connection = nullptr;
    std::string pending;
    std::size_t offset = 0;
    bool suspended = false;
    bool closing = false;
    EventBus::Id subscription = 0;
    int hangup_fd = -1;  // see Impl::watch_hangup
    Reactor::Id hangup_watch = 0;
  };

  Impl(Reactor& reactor, const HttpServerConfig& config, HttpApiHandlers handlers, EventBus& bus,
       HttpApiLimits limits)
      : reactor_(reactor),
        config_(config),
        handlers_(std::move(handlers)),
        bus_(bus),
        limits_(limits) {
    tcp_.impl = this;
    unix_.impl = this;
    unix_.is_unix = true;
  }

  ~Impl() { stop(); }

  // ---- lifecycle -------------------------------------------------------------------------

  Status start() {
    if (running_) return {};
    refresh_host_allow_list(true);
    auto tcp_fd = open_tcp_listener();
    if (!tcp_fd) return tcp_fd.error();
    FdCloser tcp_guard(*tcp_fd);
    FdCloser unix_guard(-1);
    if (!config_.unix_socket.empty()) {
      auto unix_fd = open_unix_listener();
      if (!unix_fd) {
        stop_listeners();  // removes a socket file bound before the failure
        return unix_fd.error();
      }
      unix_guard.reset(*unix_fd);
    }
    Status status = start_daemon(tcp_, tcp_guard.release());
    if (status.ok() && unix_guard.get() >= 0) status = start_daemon(unix_, unix_guard.release());
    if (!status.ok()) {
      stop_listeners();
      return status;
    }
    auto keepalive = reactor_.add_timer(limits_.sse_keepalive, limits_.sse_keepalive,
                                        [this] { send_keepalive(); });
    if (!keepalive) {
      stop_listeners();
      return keepalive.error();
    }
    keepalive_timer_ = *keepalive;
    running_ = true;
    spdlog::info("http api listening on {}{}{}", tcp_.description,
                 unix_.daemon != nullptr ? " and unix socket " : "",
                 unix_.daemon != nullptr ? unix_.description : "");
    return {};
  }

  void stop() {
    if (keepalive_timer_ != 0) reactor_.cancel(std::exchange(keepalive_timer_, 0));
    stop_listeners();
    running_ = false;
  }

  void stop_listeners() {
    for (Listener* listener : {&tcp_, &unix_}) {
      if (listener->watch_id != 0) reactor_.cancel(std::exchange(listener->watch_id, 0));
      if (listener->timer_id != 0) reactor_.cancel(std::exchange(listener->timer_id, 0));
      if (listener->deadline_timer_id != 0) {
        reactor_.cancel(std::exchange(listener->deadline_timer_id, 0));
      }
    }
    // MHD_stop_daemon() panics on connections that are still suspended, so every stream is
    // resumed first; MHD then closes them and sse_free removes each from sse_clients_.
    for (auto& [raw, client] : sse_clients_) {
      client->closing = true;
      if (client->subscription != 0) bus_.unsubscribe(std::exchange(client->subscription, 0));
      if (client->suspended) {
        client->suspended = false;
        MHD_resume_connection(client->connection);
      }
    }
    // Long polls (GET /jobs/ID/wait) likewise: each gets a 503 and is resumed.
    for (const auto& pending : pending_replies_) {
      if (!pending->alive || !pending->suspended) continue;
      pending->reply = ApiReply{503, error_json("adrg is stopping"), kJsonType, {}};
      pending->suspended = false;
      MHD_resume_connection(pending->connection);
    }
    pending_replies_.clear();
    for (Listener* listener : {&tcp_, &unix_}) {
      if (listener->daemon != nullptr) MHD_stop_daemon(std::exchange(listener->daemon, nullptr));
      listener->connections.reset();
    }
    sse_clients_.clear();
    if (unix_socket_created_) {
      ::unlink(config_.unix_socket.c_str());
      unix_socket_created_ = false;
    }
    tcp_port_ = 0;
  }

  Result<int> open_tcp_listener() {
    auto address = resolve(config_.host, config_.port);
    if (!address) return address.error();
    std::string where = describe_address(address->get());
    if (!address_is_loopback(address->get()) && config_.token.empty()) {
      return Error{std::make_error_code(std::errc::permission_denied),
                   fmt::format("refusing to serve the HTTP API on {} (general.http_server.host "
                               "'{}' is not loopback) without general.http_server.token: "
                               "POST /trigger would be open to the network; set a token or bind "
                               "127.0.0.1",
                               where, config_.host)};
    }
    FdCloser fd(::socket(address->get()->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return Error::from_errno("socket for http " + where);
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd.get(), address->get(), address->length) != 0) {
      return Error::from_errno("bind http " + where);
    }
    if (::listen(fd.get(), kListenBacklog) != 0) return Error::from_errno("listen http " + where);
    ResolvedAddress bound;
    bound.length = sizeof(bound.storage);
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound.storage), &bound.length) != 0) {
      return Error::from_errno("getsockname http " + where);
    }
    tcp_.description = describe_address(bound.get());
    tcp_port_ = bound.get()->sa_family == AF_INET
                    ? ntohs(reinterpret_cast<const sockaddr_in*>(bound.get())->sin_port)
                    : ntohs(reinterpret_cast<const sockaddr_in6*>(bound.get())->sin6_port);
    return fd.release();
  }

  Result<int> open_unix_listener() {
    const std::string& path = config_.unix_socket;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
      return Error{std::make_error_code(std::errc::filename_too_long),
                   "unix socket path too long: " + path};
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return Error{ec, "create directory for unix socket " + path};

    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return Error{std::make_error_code(std::errc::file_exists),
                     "unix socket path exists and is not a socket: " + path};
      }
      // A socket file left by a crash is stale; one that still accepts belongs to a running
      // adrg, and taking it over would make that instance unreachable.
      FdCloser probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
      if (probe.get() >= 0 &&
          (::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 ||
           errno == EAGAIN)) {
        return Error{std::make_error_code(std::errc::address_in_use),
                     "unix socket " + path + " is in use by a running process"};
      }
      if (::unlink(path.c_str()) != 0) return Error::from_errno("unlink stale socket " + path);
    }
    FdCloser fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return Error::from_errno("socket for " + path);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return Error::from_errno("bind unix socket " + path);
    }
    unix_socket_created_ = true;
    // chmod before listen(): no client can connect while the mode is still the umask's.
    if (::chmod(path.c_str(), 0660) != 0) return Error::from_errno("chmod 0660 " + path);
    if (::listen(fd.get(), kListenBacklog) != 0) return Error::from_errno("listen " + path);
    unix_.description = path;
    return fd.release();
  }

  Status start_daemon(Listener& listener, int listen_fd) {
    unsigned timeout_seconds = static_cast<unsigned>(std::max<long long>(
        1, std::chrono::duration_cast<std::chrono::seconds>(limits_.connection_timeout +
                                                            std::chrono::milliseconds(999))
               .count()));
    // External epoll, no MHD thread: MHD_USE_EPOLL without MHD_USE_INTERNAL_POLLING_THREAD.
    // MHD_ALLOW_SUSPEND_RESUME adds the inter-thread channel that makes the epoll fd readable
    // when a suspended /events stream is resumed.
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    ConnectionLimits table_limits;
    table_limits.total = limits_.connection_limit;
    // Every unix client is one "source"; its file mode already says who may connect.
    table_limits.per_source =
        listener.is_unix ? limits_.connection_limit : limits_.per_source_connection_limit;
    table_limits.request_timeout = limits_.request_timeout;
    listener.connections = std::make_unique<ConnectionTable>(table_limits);
    listener.daemon = MHD_start_daemon(
        flags, 0, &Impl::on_accept, &listener, &Impl::on_request, &listener,
        MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(listen_fd), MHD_OPTION_CONNECTION_TIMEOUT,
        timeout_seconds, MHD_OPTION_CONNECTION_LIMIT, limits_.connection_limit + kMhdLimitHeadroom,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits_.connection_memory_limit,
        MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, &listener, MHD_OPTION_NOTIFY_CONNECTION,
        &Impl::on_connection, &listener, MHD_OPTION_EXTERNAL_LOGGER, &Impl::on_mhd_log, &listener,
        MHD_OPTION_END);
    if (listener.daemon == nullptr) {
      // MHD may or may not have closed the socket on failure; leaking one fd on a fatal start-up
      // error beats a double close.
      return Error{std::make_error_code(std::errc::io_error),
                   "start libmicrohttpd on " + listener.description};
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(listener.daemon, MHD_DAEMON_INFO_EPOLL_FD);
    if (info == nullptr || info->epoll_fd < 0) {
      return Error{std::make_error_code(std::errc::io_error),
                   "libmicrohttpd has no epoll fd for " + listener.description};
    }
    auto watch = reactor_.watch_fd(info->epoll_fd, POLLIN,
                                   [this, &listener](std::uint32_t) { run(listener); });
    if (!watch) return watch.error();
    listener.watch_id = *watch;
    rearm(listener);
    return {};
  }

  // ---- driving MHD from the reactor -----------------------------------------------------

  void run(Listener& listener) {
    if (listener.daemon == nullptr) return;
    if (MHD_run(listener.daemon) != MHD_YES) {
      spdlog::warn("http api: MHD_run failed on {}", listener.description);
    }
    rearm(listener);
  }

  // MHD_get_timeout() is the deadline for the next MHD_run() even when no fd gets ready: that is
  // how idle and half-sent requests are timed out. 0 means "work pending now" (e.g. a connection
  // MHD could not drain in one pass), and a timerfd armed with 0 would be disarmed, so post.
  void rearm(Listener& listener) {
    if (listener.daemon == nullptr) return;
    arm_request_deadline(listener);
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(listener.daemon, &ms) != MHD_YES) {
      if (listener.timer_id != 0) reactor_.cancel(std::exchange(listener.timer_id, 0));
      return;
    }
    if (ms == 0) {
      schedule_run(listener);
      return;
    }
    Duration delay = std::chrono::milliseconds(ms);
    if (listener.timer_id != 0 &&
        reactor_.rearm_timer(listener.timer_id, delay, Duration::zero()).ok()) {
      return;
    }
    auto timer = reactor_.add_timer(delay, Duration::zero(), [this, &listener] {
      listener.timer_id = 0;  // a one-shot is forgotten by the reactor once it fired
      run(listener);
    });
    if (timer) {
      listener.timer_id = *timer;
    } else {
      listener.timer_id = 0;
      spdlog::error("http api: cannot arm MHD timeout timer: {}", timer.error().describe());
    }
  }

  // One timer per listener at the connection table's earliest request deadline; when it fires,
  // every overdue connection is shut down and MHD closes it on the run that follows.
  void arm_request_deadline(Listener& listener) {
    std::optional<TimePoint> next =
        listener.connections ? listener.connections->next_deadline() : std::nullopt;
    if (!next) {
      if (listener.deadline_timer_id != 0)
        reactor_.cancel(std::exchange(listener.deadline_timer_id, 0));
      return;
    }
    Duration delay = std::max<Duration>(*next - SteadyClock::now(), std::chrono::milliseconds(1));
    if (listener.deadline_timer_id != 0 &&
        reactor_.rearm_timer(listener.deadline_timer_id, delay, Duration::zero()).ok()) {
      return;
    }
    auto timer = reactor_.add_timer(delay, Duration::zero(), [this, &listener] {
      listener.deadline_timer_id = 0;
      close_overdue(listener);
    });
    listener.deadline_timer_id = timer ? *timer : 0;
  }

  void close_overdue(Listener& listener) {
    if (!listener.connections) return;
    std::vector<int> fds = listener.connections->overdue(SteadyClock::now());
    for (int fd : fds) ::shutdown(fd, SHUT_RDWR);
    if (!fds.empty()) {
      spdlog::warn(
          "http api: closed {} connection(s) on {} that sent no whole request within {} s",
          fds.size(), listener.description,
          std::chrono::duration_cast<std::chrono::seconds>(limits_.request_timeout).count());
    }
    run(listener);
  }

  // Coalesced: any number of resumes in one loop iteration cost one MHD_run.
  void schedule_run(Listener& listener) {
    if (listener.run_posted) return;
    listener.run_posted = true;
    reactor_.post([weak = weak_from_this(), &listener] {
      auto self = weak.lock();
      if (!self) return;
      listener.run_posted = false;
      self->run(listener);
    });
  }

  // ---- MHD callbacks -----------------------------------------------------------------------

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* /*version*/, const char* upload_data,
                               std::size_t* upload_data_size, void** con_cls) {
    auto* listener = static_cast<Listener*>(cls);
    Impl* self = listener->impl;
    auto* context = static_cast<RequestContext*>(*con_cls);
    try {
      if (context == nullptr) {
        context = new RequestContext();  // freed in on_completed
        *con_cls = context;
        std::string_view verb(method);
        // A request without a body is whole once its headers are in; one with a body only when
        // the body is (finish_request), so a slow body is held to the request deadline too.
        if ((verb == "GET" || verb == "HEAD") && listener->connections) {
          listener->connections->request_complete(connection);
        }
        return self->begin_request(*listener, connection, *context, url, method);
      }
      if (*upload_data_size != 0) {
        std::size_t size = std::exchange(*upload_data_size, 0);
        if (context->too_large) {
          // Keep reading (so the client gets its 413 instead of a reset) but not forever.
          context->discarded += size;
          return context->discarded > 4 * context->limit ? MHD_NO : MHD_YES;
        }
        if (context->body.size() + size > context->limit) {
          context->too_large = true;
          context->discarded = context->body.size() + size;
          std::string().swap(context->body);
          return MHD_YES;
        }
        context->body.append(upload_data, size);
        return MHD_YES;
      }
      if (listener->connections) listener->connections->request_complete(connection);
      return self->finish_request(*listener, connection, *context);
    } catch (const std::exception& e) {
      spdlog::error("http api: {} {} failed: {}", method, url, e.what());
      return respond(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, error_json("internal error"));
    }
  }

  static void on_completed(void* cls, MHD_Connection* connection, void** con_cls,
                           MHD_RequestTerminationCode /*code*/) {
    auto* listener = static_cast<Listener*>(cls);
    auto* context = static_cast<RequestContext*>(*con_cls);
    if (context != nullptr && context->pending) {
      context->pending->alive = false;
      listener->impl->release_hangup(context->pending->hangup_fd, context->pending->hangup_watch);
    }
    delete context;
    *con_cls = nullptr;
    if (listener->connections) listener->connections->response_done(connection, SteadyClock::now());
  }

  // MHD's accept policy: called with the peer's address before a connection is set up.
  static MHD_Result on_accept(void* cls, const sockaddr* addr, socklen_t /*length*/) {
    auto* listener = static_cast<Listener*>(cls);
    if (!listener->connections) return MHD_YES;
    std::string source = listener->is_unix ? "unix" : source_of(addr);
    ConnectionTable::Admission admission = listener->connections->admit(source);
    if (admission.evict_fd) {
      // The oldest idle connection makes room; MHD sees its end of file and closes it.
      ::shutdown(*admission.evict_fd, SHUT_RDWR);
      spdlog::debug("http api: closed an idle connection from {} on {} to admit a new one", source,
                    listener->description);
    }
    if (!admission.accept) {
      spdlog::warn("http api: refused a connection from {} on {}: every slot is busy", source,
                   listener->description);
      return MHD_NO;
    }
    return MHD_YES;
  }

  static void on_connection(void* cls, MHD_Connection* connection, void** /*socket_context*/,
                            MHD_ConnectionNotificationCode code) {
    auto* listener = static_cast<Listener*>(cls);
    if (!listener->connections) return;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      listener->connections->closed(connection);
      return;
    }
    const MHD_ConnectionInfo* fd_info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    const MHD_ConnectionInfo* address_info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    std::string source = "unix";
    if (!listener->is_unix && address_info != nullptr && address_info->client_addr != nullptr) {
      source = source_of(address_info->client_addr);
    }
    listener->connections->opened(connection, fd_info != nullptr ? fd_info->connect_fd : -1,
                                  std::move(source), SteadyClock::now());
  }

  // ---- parked connections: an /events stream or a long poll ---------------------------------

  // MHD does not look at a suspended connection's socket, so a client that goes away while
  // parked would hold its slot until the next keep-alive write fails. A duplicate of the socket
  // (ours to close, so fd reuse cannot confuse the reactor) is watched for the peer's hang-up.
  void watch_hangup(MHD_Connection* connection, int& hangup_fd, Reactor::Id& hangup_watch,
                    std::function<void()> on_hangup) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == nullptr) return;
    int fd = ::fcntl(info->connect_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return;
    auto watch = reactor_.watch_fd(
        fd, POLLRDHUP, [on_hangup = std::move(on_hangup)](std::uint32_t) { on_hangup(); });
    if (!watch) {
      ::close(fd);
      return;
    }
    hangup_fd = fd;
    hangup_watch = *watch;
  }

  void release_hangup(int& hangup_fd, Reactor::Id& hangup_watch) {
    if (hangup_watch != 0) reactor_.cancel(std::exchange(hangup_watch, 0));
    if (hangup_fd >= 0) ::close(std::exchange(hangup_fd, -1));
  }

  static void on_mhd_log(void* cls, const char* format, va_list args) {
    char buffer[512];
    std::vsnprintf(buffer, sizeof(buffer), format, args);
    std::string_view text = trim_header_value(buffer);
    spdlog::debug("libmicrohttpd ({}): {}", static_cast<Listener*>(cls)->description, text);
  }

  // ---- requests ----------------------------------------------------------------------------

  static MHD_Result respond(
      MHD_Connection* connection, unsigned status, std::string_view body,
      const char* content_type = kJsonType,
      std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
    MHD_Response* response = MHD_create_response_from_buffer(
        body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (const auto& [name, value] : headers) MHD_add_response_header(response, name, value);
    MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
  }

  MHD_Result begin_request(Listener& listener, MHD_Connection* connection, RequestContext& context,
                           const char* url, const char* method) {
    std::string_view verb(method);
    const RouteInfo* route = find_route(url);
    spdlog::debug("http api: {} {} via {}", verb, url, listener.is_unix ? "unix" : "tcp");
    // Who asks comes before what they ask for: a refused client learns nothing, not even which
    // paths exist.
    if (auto refusal = guard(listener, connection, route)) {
      ++refused_;
      spdlog::warn("http api: refused {} {} via {}: {}", verb, url,
                   listener.is_unix ? "unix" : "tcp", refusal->message);
      if (refusal->ask_for_bearer) {
        return respond(connection, refusal->status, error_json(refusal->message), kJsonType,
                       {{MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"adrg\""}});
      }
      return respond(connection, refusal->status, error_json(refusal->message));
    }
    if (route == nullptr || (route->route == Route::kWebhook && !handlers_.media_webhook)) {
      return respond(connection, MHD_HTTP_NOT_FOUND,
                     error_json(fmt::format("no such endpoint: {}", url)));
    }
    context.route = route;
    if (route->route == Route::kJobs)
      return begin_jobs_request(listener, connection, context, url, verb);
    bool allowed = route->post
                       ? verb == "POST"
                       : (verb == "GET" || (verb == "HEAD" && route->route != Route::kEvents));
    if (!allowed) {
      return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                     error_json(fmt::format("method {} not allowed on {}; use {}", verb,
                                            route->path, route->allow)),
                     kJsonType, {{MHD_HTTP_HEADER_ALLOW, route->allow}});
    }
    if (!route->post) return serve_get(listener, connection, *route);

    // POST: reject what we can from the headers alone, before reading any body.
    context.limit = route->route == Route::kWebhook ? limits_.max_webhook_body : limits_.max_body;
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (length != nullptr) {
      unsigned long long declared = 0;
      std::string_view text = trim_header_value(length);
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), declared);
      if (ec == std::errc() && declared > context.limit) {
        return respond(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                       error_json(fmt::format("request body of {} bytes exceeds the limit of {}",
                                              declared, context.limit)));
      }
    }
    if (route->route == Route::kTrigger) {
      std::string type = media_type(
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
      // JSON is ADRG's format; curl -d sends form-urlencoded by default, so that is read too
      // (as JSON when it looks like JSON, else as event=...).
      if (!type.empty() && type != "application/json" &&
          type != "application/x-www-form-urlencoded" && type != "text/plain") {
        return respond(connection, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                       error_json(fmt::format("unsupported content type '{}'; send "
                                              "application/json like {{\"event\":\"media_start\"}}",
                                              type)));
      }
    }
    return MHD_YES;  // body follows
  }

  static std::optional<std::string_view> header(MHD_Connection* connection, const char* name,
                                                MHD_ValueKind kind = MHD_HEADER_KIND) {
    const char* value = MHD_lookup_connection_value(connection, kind, name);
    if (value == nullptr) return std::nullopt;
    return std::string_view(value);
  }

  std::optional<Refusal> guard(Listener& listener, MHD_Connection* connection,
                               const RouteInfo* route) {
    RequestFacts facts;
    facts.via_unix = listener.is_unix;
    // An unknown path is checked for Host and Origin only; it answers 404 whoever asks.
    facts.access = route != nullptr ? route->access : RouteAccess::kHealth;
    facts.host = header(connection, MHD_HTTP_HEADER_HOST);
    facts.origin = header(connection, MHD_HTTP_HEADER_ORIGIN);
    facts.sec_fetch_site = header(connection, "Sec-Fetch-Site");
    facts.authorization = header(connection, MHD_HTTP_HEADER_AUTHORIZATION);
    facts.webhook_secret = header(connection, "X-Adrg-Webhook-Secret");
    if (!facts.webhook_secret)
      facts.webhook_secret = header(connection, "secret", MHD_GET_ARGUMENT_KIND);
    if (!facts.via_unix && !host_is_allowed(facts.host, host_allow_)) refresh_host_allow_list();
    return check_request(facts, config_, host_allow_);
  }

  // The machine's addresses change (DHCP, Wi-Fi, Docker networks): re-read on a miss, rarely.
  void refresh_host_allow_list(bool force = false) {
    TimePoint now = SteadyClock::now();
    if (!force && host_allow_read_ != TimePoint{} && now - host_allow_read_ < kHostListRefresh) {
      return;
    }
    host_allow_read_ = now;
    host_allow_ = make_host_allow_list(config_, machine_hostname(), machine_addresses());
  }

  MHD_Result finish_request(Listener& listener, MHD_Connection* connection,
                            RequestContext& context) {
    (void)listener;
    if (context.route == nullptr) return MHD_NO;
    if (context.too_large) {
      return respond(
          connection, MHD_HTTP_CONTENT_TOO_LARGE,
          error_json(fmt::format("request body exceeds the limit of {} bytes", context.limit)));
    }
    if (context.route->route == Route::kTrigger) return serve_trigger(connection, context);
    if (context.route->route == Route::kWebhook) return serve_webhook(connection, context);
    if (context.route->route == Route::kJobs) return serve_jobs(listener, connection, context);
    return MHD_NO;
  }

  // ---- /jobs: whole requests handed to the job handler, answered now or later ---------------

  MHD_Result begin_jobs_request(Listener& listener, MHD_Connection* connection,
                                RequestContext& context, const char* url, std::string_view verb) {
    if (!handlers_.jobs) {
      return respond(connection, MHD_HTTP_NOT_FOUND,
                     error_json(fmt::format("no such endpoint: {}", url)));
    }
    if (verb != "GET" && verb != "POST" && verb != "DELETE") {
      return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                     error_json(fmt::format("method {} not allowed on {}", verb, url)), kJsonType,
                     {{MHD_HTTP_HEADER_ALLOW, kJobsRoute.allow}});
    }
    // Mutations need to know who asks (SO_PEERCRED), which only the unix socket tells.
    if (verb != "GET" && !listener.is_unix) {
      spdlog::warn("http api: refused {} {} over tcp", verb, url);
      return respond(connection, MHD_HTTP_FORBIDDEN,
                     error_json("jobs can be started only over the unix socket"));
    }
    context.url = url;
    context.method = std::string(verb);
    context.limit = limits_.max_body;
    const char* length =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long declared = 0;
    if (length != nullptr) {
      std::string_view text = trim_header_value(length);
      (void)std::from_chars(text.data(), text.data() + text.size(), declared);
    }
    if (declared > context.limit) {
      return respond(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                     error_json(fmt::format("request body of {} bytes exceeds the limit of {}",
                                            declared, context.limit)));
    }
    return MHD_YES;  // body (if any) follows; served in finish_request
  }

  static std::optional<PeerCredentials> peer_credentials(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info == nullptr) return std::nullopt;
    ucred cred{};
    socklen_t length = sizeof(cred);
    if (::getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
      return std::nullopt;
    }
    return PeerCredentials{cred.pid, cred.uid, cred.gid};
  }

  static MHD_Result queue_reply(MHD_Connection* connection, const ApiReply& reply) {
    MHD_Response* response = MHD_create_response_from_buffer(
        reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (const auto& [name, value] : reply.headers) {
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    MHD_Result result = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return result;
  }

  MHD_Result serve_jobs(Listener& listener, MHD_Connection* connection, RequestContext& context) {
    if (context.pending) {  // called again after a resume: the reply is there
      if (!context.pending->reply) return MHD_NO;
      return queue_reply(connection, *context.pending->reply);
    }
    ApiRequest request;
    request.method = context.method;
    std::string_view url(context.url);
    request.path = std::string(url.substr(0, url.find('?')));
    MHD_get_connection_values(
        connection, MHD_GET_ARGUMENT_KIND,
        [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
          static_cast<ApiRequest*>(cls)->query[key] = value != nullptr ? value : "";
          return MHD_YES;
        },
        &request);
    request.body = std::move(context.body);
    request.via_unix = listener.is_unix;
    if (listener.is_unix) request.peer = peer_credentials(connection);
    auto pending = std::make_shared<PendingReply>();
    pending->connection = connection;
    pending->listener = &listener;
    context.pending = pending;
    std::weak_ptr<Impl> weak = weak_from_this();
    handlers_.jobs(request, [weak, pending](ApiReply reply) {
      auto self = weak.lock();
      if (!self || !pending->alive || pending->reply) return;
      pending->reply = std::move(reply);
      if (!pending->suspended) return;  // still inside the handler: queued below
      pending->suspended = false;
      MHD_resume_connection(pending->connection);
      self->schedule_run(*static_cast<Listener*>(pending->listener));
    });
    if (pending->reply) return queue_reply(connection, *pending->reply);
    pending->suspended = true;
    if (listener.connections) listener.connections->parked(connection);
    watch_hangup(connection, pending->hangup_fd, pending->hangup_watch,
                 [this, weak_pending = std::weak_ptr<PendingReply>(pending)] {
                   auto parked = weak_pending.lock();
                   if (!parked) return;
                   release_hangup(parked->hangup_fd, parked->hangup_watch);
                   if (!parked->alive || !parked->suspended || parked->reply) return;
                   // Nobody will read it; resuming lets MHD find the closed socket and free the
                   // slot.
                   parked->reply = ApiReply{400, error_json("client went away"), kJsonType, {}};
                   parked->suspended = false;
                   MHD_resume_connection(parked->connection);
                   schedule_run(*static_cast<Listener*>(parked->listener));
                 });
    pending_replies_.push_back(pending);
    std::erase_if(pending_replies_, [](const auto& p) { return !p->alive || !p->suspended; });
    MHD_suspend_connection(connection);
    return MHD_YES;
  }

  MHD_Result serve_get(Listener& listener, MHD_Connection* connection, const RouteInfo& route) {
    switch (route.route) {
      case Route::kStatus:
        if (!handlers_.status_json) {
          return respond(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                         error_json("status not available"));
        }
        return respond(connection, MHD_HTTP_OK, handlers_.status_json());
      case Route::kMetrics:
        if (!handlers_.metrics_text) {
          return respond(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                         error_json("metrics not available"));
        }
        return respond(connection, MHD_HTTP_OK, handlers_.metrics_text(), kPrometheusType);
      case Route::kHealthz: {
        bool healthy = !handlers_.healthy || handlers_.healthy();
        return respond(connection, healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                       healthy ? "{\"status\":\"ok\"}\n" : "{\"status\":\"unhealthy\"}\n");
      }
      case Route::kEvents:
        return begin_event_stream(listener, connection);
      default:
        return MHD_NO;
    }
  }

  MHD_Result serve_trigger(MHD_Connection* connection, RequestContext& context) {
    std::string event;
    std::string_view body = trim_header_value(context.body);
    if (!body.empty()) {
      std::string type = media_type(
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE));
      if (type == "application/x-www-form-urlencoded" && body.front() != '{') {
        event = form_value(body, {"event", "action"});
      } else {
        simdjson::padded_string padded(body);
        simdjson::dom::element document;
        if (auto error = json_parser_.parse(padded).get(document); error) {
          return respond(
              connection, MHD_HTTP_BAD_REQUEST,
              error_json(fmt::format("invalid JSON body: {}", simdjson::error_message(error))));
        }
        simdjson::dom::object object;
        if (document.get(object) != simdjson::SUCCESS) {
          return respond(
              connection, MHD_HTTP_BAD_REQUEST,
              error_json("JSON body must be an object like {\"event\":\"media_start\"}"));
        }
        for (const char* key : {"event", "action"}) {
          std::string_view value;
          if (object[key].get(value) == simdjson::SUCCESS) {
            event = std::string(value);
            break;
          }
        }
      }
    }
    // ADRG read only the body. A trigger in the query string (`?event=`) is refused: a link, an
    // <img> or a form's action URL must never be able to act.
    if (event.empty() && (header(connection, "event", MHD_GET_ARGUMENT_KIND) ||
                          header(connection, "action", MHD_GET_ARGUMENT_KIND))) {
      return respond(connection, MHD_HTTP_BAD_REQUEST,
                     error_json("the event goes in the body, not the query string: "
                                "-d '{\"event\":\"media_start\"}'",
                                "\"valid_events\":" + valid_events_json()));
    }
    if (event.empty()) {
      return respond(connection, MHD_HTTP_BAD_REQUEST,
                     error_json("missing \"event\"; expected one of: " + valid_events_list(),
                                "\"valid_events\":" + valid_events_json()));
    }
    if (std::find(kTriggerEvents.begin(), kTriggerEvents.end(), event) == kTriggerEvents.end()) {
      return respond(connection, MHD_HTTP_BAD_REQUEST,
                     error_json(fmt::format("unknown event '{}'; expected one of: {}", event,
                                            valid_events_list()),
                                "\"valid_events\":" + valid_events_json()));
    }
    if (!handlers_.trigger) {
      return respond(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
                     error_json("triggers not available"));
    }
    Status status = handlers_.trigger(event);
    if (!status.ok()) {
      bool client_error = status.error().code == std::errc::invalid_argument;
      return respond(connection,
                     client_error ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
                     error_json(status.error().describe()));
    }
    spdlog::info("http api: trigger {}", event);
    return respond(connection, MHD_HTTP_OK,
                   fmt::format("{{\"status\":\"ok\",\"event\":\"{}\"}}\n", json_escape(event)));
  }

  MHD_Result serve_webhook(MHD_Connection* connection, RequestContext& context) {
    const char* type =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    Status status = handlers_.media_webhook(type != nullptr ? type : "", context.body);
    if (!status.ok()) {
      return respond(connection, MHD_HTTP_BAD_REQUEST, error_json(status.error().describe()));
    }
    return respond(connection, MHD_HTTP_OK, "{\"status\":\"ok\"}\n");
  }

  // ---- Server-Sent Events --------------------------------------------------------------------

  MHD_Result begin_event_stream(Listener& listener, MHD_Connection* connection) {
    auto owned = std::make_unique<SseClient>();
    SseClient* client = owned.get();
    client->impl = this;
    client->listener = &listener;
    client->connection = connection;
    // Something to send at once, so the headers go out before the stream first suspends.
    client->pending = "retry: 3000\n: adrg decision events\n\n";
    std::uint64_t after = 0;
    if (const char* last =
            MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Last-Event-ID")) {
      std::string_view text = trim_header_value(last);
      (void)std::from_chars(text.data(), text.data() + text.size(), after);
    }
    sse_clients_.emplace(client, std::move(owned));
    if (listener.connections) listener.connections->parked(connection);
    watch_hangup(connection, client->hangup_fd, client->hangup_watch, [this, client] {
      release_hangup(client->hangup_fd, client->hangup_watch);
      spdlog::debug("http api: /events client hung up");
      client->closing = true;
      if (client->subscription != 0) bus_.unsubscribe(std::exchange(client->subscription, 0));
      if (client->suspended) {
        client->suspended = false;
        MHD_resume_connection(client->connection);
        schedule_run(*client->listener);
      }
    });
    client->subscription = bus_.subscribe(
        [this, client](const BusEvent& event) {
          sse_push(*client, fmt::format("id: {}\ndata: {}\n\n", event.seq, event.json));
        },
        true, after);
    MHD_Response* response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, kSseBlockSize, &Impl::sse_read, client, &Impl::sse_free);
    if (response == nullptr) {
      sse_free(client);
      return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(response, "X-Accel-Buffering", "no");  // no proxy buffering
    MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);  // the connection holds it; sse_free runs when it is done
    spdlog::debug("http api: /events client connected ({} open)", sse_clients_.size());
    return result;
  }

  void sse_push(SseClient& client, std::string_view text) {
    if (client.closing) return;
    if (client.pending.size() - client.offset + text.size() > limits_.max_sse_backlog) {
      spdlog::warn("http api: /events client fell {} bytes behind; disconnecting it",
                   client.pending.size() - client.offset);
      client.closing = true;
      std::string().swap(client.pending);
      client.offset = 0;
    } else {
      client.pending.append(text);
    }
    if (client.suspended) {
      client.suspended = false;
      MHD_resume_connection(client.connection);
      // External polling: nothing else would process the resumed connection until the next
      // readiness of MHD's epoll fd.
      schedule_run(*client.listener);
    }
  }

  void send_keepalive() {
    for (auto& [raw, client] : sse_clients_) sse_push(*client, ": ping\n\n");
  }

  static ssize_t sse_read(void* cls, std::uint64_t /*position*/, char* buffer, std::size_t max) {
    auto* client = static_cast<SseClient*>(cls);
    if (client->closing) return MHD_CONTENT_READER_END_WITH_ERROR;
    std::size_t available = client->pending.size() - client->offset;
    if (available == 0) {
      // Nothing to send: park the connection (MHD would otherwise call us again at once) until
      // sse_push() resumes it. Suspended connections do not time out.
      client->pending.clear();
      client->offset = 0;
      client->suspended = true;
      MHD_suspend_connection(client->connection);
      return 0;
    }
    std::size_t count = std::min(available, max);
    std::memcpy(buffer, client->pending.data() + client->offset, count);
    client->offset += count;
    if (client->offset == client->pending.size()) {
      client->pending.clear();
      client->offset = 0;
    } else if (client->offset > std::size_t{64} * 1024) {
      client->pending.erase(0, client->offset);
      client->offset = 0;
    }
    return static_cast<ssize_t>(count);
  }

  static void sse_free(void* cls) {
    auto* client = static_cast<SseClient*>(cls);
    Impl* self = client->impl;
    if (client->subscription != 0) self->bus_.unsubscribe(client->subscription);
    self->release_hangup(client->hangup_fd, client->hangup_watch);
    spdlog::debug("http api: /events client gone");
    self->sse_clients_.erase(client);  // destroys *client
  }

  Reactor& reactor_;
  HttpServerConfig config_;
  HttpApiHandlers handlers_;
  EventBus& bus_;
  HttpApiLimits limits_;
  Listener tcp_;
  Listener unix_;
  bool running_ = false;
  bool unix_socket_created_ = false;
  std::uint16_t tcp_port_ = 0;
  Reactor::Id keepalive_timer_ = 0;
  std::map<SseClient*, std::unique_ptr<SseClient>> sse_clients_;
  std::vector<std::shared_ptr<PendingReply>> pending_replies_;  // suspended /jobs requests
  HostAllowList host_allow_;
  TimePoint host_allow_read_{};
  std::uint64_t refused_ = 0;
  simdjson::dom::parser json_parser_;
};

HttpApi::HttpApi(Reactor& reactor, const HttpServerConfig& config, HttpApiHandlers handlers,
                 EventBus& bus, HttpApiLimits limits)
    : impl_(std::make_shared<Impl>(reactor, config, std::move(handlers), bus, limits)) {}

HttpApi::~HttpApi() { impl_->stop(); }

Status HttpApi::start() { return impl_->start(); }
void HttpApi::stop() { impl_->stop(); }
bool HttpApi::running() const { return impl_->running_; }
std::uint16_t HttpApi::tcp_port() const { return impl_->tcp_port_; }
std::size_t HttpApi::sse_client_count() const { return impl_->sse_clients_.size(); }
std::size_t HttpApi::connection_count() const {
  std::size_t count = 0;
  for (const auto* listener : {&impl_->tcp_, &impl_->unix_}) {
    if (listener->connections) count += listener->connections->open_count();
  }
  return count;
}
std::uint64_t HttpApi::refused_count() const { return impl_->refused_; }

}  // namespace adrg

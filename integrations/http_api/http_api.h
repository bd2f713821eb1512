// The HTTP API (ADRG-compatible: GET /status, POST /trigger on 127.0.0.1:8765) plus adrg's
// additions: /metrics (Prometheus), /healthz, /events (Server-Sent Events of decisions),
// /webhook/media (native Jellyfin/Plex payloads) and a unix socket listener.
//
// libmicrohttpd runs inside our reactor, never on threads of its own: each listener is an MHD
// daemon in external-epoll mode whose epoll fd the reactor watches; MHD_run() is called on
// readiness, and a one-shot reactor timer follows MHD_get_timeout() so idle and slow clients are
// timed out even when no socket becomes ready. Handlers therefore run on the loop thread and
// may touch governor state without locks, and must not block.
//
// Who may ask what (Host, Origin, token, webhook secret) is decided by request_guard.h before any
// handler runs; a non-loopback bind without a token is refused at start(). Connections are
// admitted and timed out by connection_table.h, per listener, so a flood on TCP never takes the
// unix socket's slots: `adrgctl status` answers during one.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event_bus.h"
#include "core/reactor.h"
#include "core/result.h"

namespace adrg {

// The manual triggers ADRG 1.1 accepted on POST /trigger.
inline constexpr std::array<std::string_view, 4> kTriggerEvents = {"media_start", "media_stop",
                                                                   "tier3_pause", "tier3_resume"};

// SO_PEERCRED of a unix socket connection: who is asking, as the kernel says.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// A whole request (body read) for a handler that may answer later (the job runner).
struct ApiRequest {
  std::string method;
  std::string path;  // without the query, e.g. "/jobs/backup/wait"
  std::map<std::string, std::string> query;
  std::string body;
  bool via_unix = false;
  std::optional<PeerCredentials> peer;  // set for unix socket connections
};

struct ApiReply {
  unsigned status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};
// Answers the request, at once or later; the connection is suspended until then (a long poll
// does not hold the loop). Safe to call after the client or the API went away (then a no-op).
using ApiReplyFn = std::function<void(ApiReply)>;

struct HttpApiHandlers {
  std::function<std::string()> status_json;   // GET /status body (a JSON object)
  std::function<std::string()> metrics_text;  // GET /metrics body (Prometheus text 0.0.4)
  // POST /trigger with one of kTriggerEvents. An error with std::errc::invalid_argument maps to
  // 400, any other error to 500; its message goes back to the client.
  std::function<Status(std::string_view event)> trigger;
  // POST /webhook/media (Jellyfin Webhook plugin JSON, Plex multipart). Empty function: 404.
  std::function<Status(std::string_view content_type, std::string_view body)> media_webhook;
  std::function<bool()> healthy;  // GET /healthz: 200 {"status":"ok"} or 503; empty: always ok
  // /jobs and /jobs/... (GET, POST, DELETE). POST and DELETE are refused with 403 over TCP
  // before this is called: jobs are started and ended only over the unix socket, whose peer
  // credentials say who asks. Empty function: 404.
  std::function<void(const ApiRequest& request, ApiReplyFn reply)> jobs;
};

// Tunables; the defaults are the production values, tests shorten the durations.
struct HttpApiLimits {
  // Idle/slow-client timeout (MHD_OPTION_CONNECTION_TIMEOUT, whole seconds, minimum 1). A
  // suspended SSE stream does not time out (MHD restarts the clock on resume).
  Duration connection_timeout = std::chrono::seconds(10);
  Duration sse_keepalive = std::chrono::seconds(15);  // ": ping" comment on every /events stream
  unsigned connection_limit = 128;                    // per listener
  // Per source address over TCP: a client over it loses its own oldest idle connection first.
  unsigned per_source_connection_limit = 32;
  // From accept (or the previous response) to a whole request, headers and body: a slowloris
  // client trickling a byte at a time is closed after this, whatever MHD's idle timeout says.
  Duration request_timeout = std::chrono::seconds(10);
  std::size_t connection_memory_limit =
      std::size_t{32} * 1024;                     // per connection: headers + I/O buffers
  std::size_t max_body = std::size_t{64} * 1024;  // POST /trigger and POST /jobs; more is 413
  // Plex attaches the poster JPEG to some webhook events; such a request is still bounded.
  std::size_t max_webhook_body = std::size_t{1024} * 1024;
  // An /events client that falls this far behind is disconnected instead of buffering forever.
  std::size_t max_sse_backlog = std::size_t{1024} * 1024;
};

class HttpApi {
 public:
  HttpApi(Reactor& reactor, const HttpServerConfig& config, HttpApiHandlers handlers, EventBus& bus,
          HttpApiLimits limits = {});
  ~HttpApi();  // stop()
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Binds the TCP listener (port 0 picks an ephemeral port, see tcp_port()) and, unless
  // config.unix_socket is empty, the unix socket (stale socket file replaced, mode 0660), and
  // registers both with the reactor. Call on the loop thread (or before the loop runs). Fails
  // without side effects on a bad address, a busy port, or a non-loopback bind with no token.
  Status start();
  // Closes listeners and every connection (open /events streams end). Loop thread only, never
  // from inside a handler. Idempotent.
  void stop();

  bool running() const;
  std::uint16_t tcp_port() const;  // the bound port (useful with port 0); 0 when not running
  std::size_t sse_client_count() const;
  // Open connections on both listeners (not counting ones already told to close).
  std::size_t connection_count() const;
  // Requests refused by the guard (Host, Origin, token, webhook secret) since start.
  std::uint64_t refused_count() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // shared: posted MHD_run calls hold a weak_ptr to it
};

// JSON string literal content: quotes, backslashes and control characters escaped.
std::string json_escape(std::string_view text);

}  // namespace adrg

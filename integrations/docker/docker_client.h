// Docker Engine API client over the unix socket. Every call is asynchronous through HttpClient
// (libcurl multi on the reactor): nothing here blocks the loop, and the *_all batch calls put
// every request in flight at once, because pausing 30 containers one round trip after another
// is what adrg exists to avoid (concurrently, never in sequence).
//
// Engine quirks handled here (verified against Engine 20.10.24):
//  - API 1.41 is the maximum; /v1.43/ answers 400. We negotiate from GET /version and cap at
//    kMaxApiVersion.
//  - pause of a paused container answers 409 "... is already paused"; unpause of a running one
//    answers **500** "... is not paused". Both are idempotent successes for us.
//  - /events is a chunked stream of newline-terminated JSON objects.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "core/result.h"
#include "integrations/docker/docker_parse.h"
#include "integrations/docker/policy.h"

namespace adrg::docker {

inline constexpr std::string_view kMaxApiVersion = "1.41";
// Oldest Engine API that has everything we use (JSON filters for /events and /containers/json).
inline constexpr std::string_view kMinApiVersion = "1.24";

// The outcome of one container of a batch call.
struct OpResult {
  std::string id;
  Status status;
  double seconds = 0;  // round trip of that request
};

class DockerClient {
 public:
  using Done = std::function<void(Status)>;
  using BatchDone = std::function<void(std::vector<OpResult>)>;
  using EventCallback = std::function<void(const DockerEvent&)>;
  using StreamId = std::uint64_t;

  DockerClient(HttpClient& http, std::string socket_path);
  ~DockerClient();  // cancels every request still in flight; no callback runs afterwards
  DockerClient(const DockerClient&) = delete;
  DockerClient& operator=(const DockerClient&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  // The version in use ("1.41"); kMaxApiVersion until negotiate() succeeded.
  const std::string& api_version() const { return api_version_; }
  bool negotiated() const { return negotiated_; }
  // How long pause/unpause may take before the request is abandoned (30 s; tests shorten it).
  // dockerd may still carry out an abandoned request: see outcome_unknown().
  void set_action_timeout(Duration timeout) { action_timeout_ = timeout; }

  // GET /version (unversioned path): picks min(ApiVersion, kMaxApiVersion).
  void negotiate(std::function<void(Result<VersionInfo>)> done);
  // Running (and paused) containers: GET /containers/json.
  void list_running(std::function<void(Result<std::vector<ContainerSummary>>)> done);
  void inspect(const std::string& id, std::function<void(Result<ContainerInspect>)> done);
  void pause(const std::string& id, Done done);
  void unpause(const std::string& id, Done done);
  // POST /containers/{id}/restart?t=N (Docker sends SIGKILL after N seconds).
  void restart(const std::string& id, int stop_timeout_seconds, Done done);

  // All requests issued at once; done runs once with one OpResult per id, in the given order.
  void pause_all(const std::vector<std::string>& ids, BatchDone done);
  void unpause_all(const std::vector<std::string>& ids, BatchDone done);
  void restart_all(const std::vector<std::string>& ids, int stop_timeout_seconds, BatchDone done);
  void inspect_all(const std::vector<std::string>& ids,
                   std::function<void(std::vector<Result<ContainerInspect>>)> done);

  // GET /events?filters={"type":["container"]}[&since=...] streamed; on_event for every
  // complete line; on_end once when the stream ends (dockerd stopped, socket cut, error).
  // since_wall_seconds > 0 asks Docker to replay events from then on, which closes the gap
  // between "subscribed" and "listed" on a (re)connect.
  StreamId watch_events(EventCallback on_event, Done on_end, double since_wall_seconds = 0);
  // Stops a stream (or any request id); its callbacks will not run.
  void cancel(StreamId id);
  std::size_t in_flight() const { return requests_.size(); }

 private:
  using Handler = std::function<void(HttpResponse)>;
  std::uint64_t send(std::string method, const std::string& path, Handler handler,
                     Duration timeout = std::chrono::seconds(30),
                     std::function<bool(std::string_view)> on_chunk = {});
  std::string versioned(std::string_view path) const;
  void post_action(const std::string& id, std::string_view action, const std::string& query,
                   Duration timeout, Done done);
  void batch(const std::vector<std::string>& ids,
             const std::function<void(const std::string&, Done)>& op, BatchDone done);

  HttpClient& http_;
  std::string socket_path_;
  std::string api_version_{kMaxApiVersion};
  bool negotiated_ = false;
  Duration action_timeout_ = std::chrono::seconds(30);
  std::uint64_t next_key_ = 1;
  // Our key -> HttpClient id (0 until send() returned), so the destructor can cancel.
  std::map<std::uint64_t, HttpClient::Id> requests_;
  // Cleared in the destructor: callbacks that outlive us (none should) see it and return.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Maps a failed HTTP exchange to an Error: transport errors -> ECONNREFUSED/EIO, 404 ->
// ENOENT, 409 -> EBUSY, others -> EPROTO, with Docker's own message in the text.
Error docker_error(std::string_view what, const HttpResponse& response);

// True when a failed request may still take effect: it timed out or the connection broke after
// it was sent (ETIMEDOUT, EIO), so dockerd may carry it out later. False when Docker answered
// (an HTTP error) or the request never left (no socket, refused, permission).
bool outcome_unknown(const Error& error);

}  // namespace adrg::docker

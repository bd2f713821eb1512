#include "integrations/docker/docker_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>
#include <utility>

#include "core/result.h"

namespace adrg::docker {
namespace {

// Docker answers a restart only after the container stopped (up to t seconds) and started again.
constexpr Duration kRestartSlack = std::chrono::seconds(30);
constexpr std::string_view kContainerFilter = R"({"type":["container"]})";
constexpr std::size_t kMaxErrorTail = 1024;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

Error docker_error(std::string_view what, const HttpResponse& response) {
  if (!response.transport_ok()) {
    int err = EIO;
    if (response.curl_code == CURLE_COULDNT_CONNECT) err = ECONNREFUSED;
    if (response.curl_code == CURLE_OPERATION_TIMEDOUT) err = ETIMEDOUT;
    // The kernel's errno when there is one: ENOENT (no socket file) and EACCES say more than
    // "refused". HttpClient's text (which names the socket) already ends with it, and
    // Error::describe() appends it again, so the copy in the text goes.
    if (response.curl_code == CURLE_COULDNT_CONNECT && response.os_errno != 0) {
      err = response.os_errno;
    }
    std::string text = response.error.empty()
                           ? curl_easy_strerror(static_cast<CURLcode>(response.curl_code))
                           : response.error;
    const std::string reason = std::string(": ") + errno_text(err);
    if (text.ends_with(reason)) text.resize(text.size() - reason.size());
    return Error{std::error_code(err, std::system_category()), fmt::format("{}: {}", what, text)};
  }
  int err = EPROTO;
  if (response.status == 404) err = ENOENT;
  if (response.status == 409) err = EBUSY;
  return Error{
      std::error_code(err, std::system_category()),
      fmt::format("{}: HTTP {} {}", what, response.status, parse_error_message(response.body))};
}

bool outcome_unknown(const Error& error) {
  return error.code == std::errc::timed_out || error.code == std::errc::io_error;
}

DockerClient::DockerClient(HttpClient& http, std::string socket_path)
    : http_(http), socket_path_(std::move(socket_path)) {}

DockerClient::~DockerClient() {
  alive_.reset();
  auto requests = std::move(requests_);
  for (const auto& [key, http_id] : requests) {
    if (http_id != 0) http_.cancel(http_id);
  }
}

std::string DockerClient::versioned(std::string_view path) const {
  return fmt::format("/v{}{}", api_version_, path);
}

std::uint64_t DockerClient::send(std::string method, const std::string& path, Handler handler,
                                 Duration timeout, std::function<bool(std::string_view)> on_chunk) {
  HttpRequest request;
  request.method = std::move(method);
  request.url = "http://localhost" + path;  // host is ignored on a unix socket
  request.unix_socket = socket_path_;
  request.timeout = timeout;
  request.connect_timeout = std::chrono::seconds(5);
  request.on_chunk = std::move(on_chunk);
  std::uint64_t key = next_key_++;
  requests_.emplace(key, 0);
  std::weak_ptr<bool> alive = alive_;
  HttpClient::Id http_id = http_.send(
      std::move(request), [this, alive, key, handler = std::move(handler)](HttpResponse response) {
        if (alive.expired()) return;
        requests_.erase(key);
        handler(std::move(response));
      });
  // The callback may already have run (an immediate failure); then the key is gone.
  if (auto it = requests_.find(key); it != requests_.end()) it->second = http_id;
  return key;
}

void DockerClient::cancel(StreamId id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  HttpClient::Id http_id = it->second;
  requests_.erase(it);
  if (http_id != 0) http_.cancel(http_id);
}

void DockerClient::negotiate(std::function<void(Result<VersionInfo>)> done) {
  // /version is unversioned on purpose: it answers whatever API the daemon speaks.
  send("GET", "/version", [this, done = std::move(done)](const HttpResponse& response) {
    if (!response.ok()) {
      done(docker_error("docker GET /version", response));
      return;
    }
    auto info = parse_version(response.body);
    if (!info.ok()) {
      done(info.error());
      return;
    }
    if (compare_api_versions(info->api_version, kMinApiVersion) < 0) {
      done(Error{std::make_error_code(std::errc::protocol_not_supported),
                 fmt::format("docker API {} is older than the {} adrg needs", info->api_version,
                             kMinApiVersion)});
      return;
    }
    api_version_ = compare_api_versions(info->api_version, kMaxApiVersion) > 0
                       ? std::string(kMaxApiVersion)
                       : info->api_version;
    negotiated_ = true;
    spdlog::debug("docker: engine {} API {}, using /v{}/", info->version, info->api_version,
                  api_version_);
    done(std::move(info));
  });
}

void DockerClient::list_running(std::function<void(Result<std::vector<ContainerSummary>>)> done) {
  // Without all=1 Docker lists running containers, paused ones included.
  send("GET", versioned("/containers/json"),
       [done = std::move(done)](const HttpResponse& response) {
         if (!response.ok()) {
           done(docker_error("docker GET /containers/json", response));
           return;
         }
         done(parse_container_list(response.body));
       });
}

void DockerClient::inspect(const std::string& id,
                           std::function<void(Result<ContainerInspect>)> done) {
  send("GET", versioned("/containers/" + url_encode(id) + "/json"),
       [id, done = std::move(done)](const HttpResponse& response) {
         if (!response.ok()) {
           done(docker_error("docker inspect " + id, response));
           return;
         }
         done(parse_inspect(response.body));
       });
}

void DockerClient::post_action(const std::string& id, std::string_view action,
                               const std::string& query, Duration timeout, Done done) {
  std::string path = versioned("/containers/" + url_encode(id) + "/" + std::string(action)) + query;
  send(
      "POST", path,
      [id, action = std::string(action), done = std::move(done)](const HttpResponse& response) {
        if (response.ok()) {
          done(Status{});
          return;
        }
        if (response.transport_ok()) {
          std::string message = parse_error_message(response.body);
          // Engine 20.10: pause twice -> 409 "is already paused"; unpause of a running
          // container -> 500 (not 409!) "is not paused". Both mean the state we want holds.
          // (500 "OCI runtime resume failed: container not paused" is a desync, not this.)
          if (action == "pause" && response.status == 409 && contains(message, "already paused")) {
            done(Status{});
            return;
          }
          if (action == "unpause" && response.status == 500 && contains(message, "is not paused")) {
            done(Status{});
            return;
          }
        }
        done(docker_error("docker " + action + " " + id, response));
      },
      timeout);
}

void DockerClient::pause(const std::string& id, Done done) {
  post_action(id, "pause", "", action_timeout_, std::move(done));
}

void DockerClient::unpause(const std::string& id, Done done) {
  post_action(id, "unpause", "", action_timeout_, std::move(done));
}

void DockerClient::restart(const std::string& id, int stop_timeout_seconds, Done done) {
  if (stop_timeout_seconds < 0) stop_timeout_seconds = 0;
  post_action(id, "restart", fmt::format("?t={}", stop_timeout_seconds),
              std::chrono::seconds(stop_timeout_seconds) + kRestartSlack, std::move(done));
}

void DockerClient::batch(const std::vector<std::string>& ids,
                         const std::function<void(const std::string&, Done)>& op, BatchDone done) {
  struct State {
    std::vector<OpResult> results;
    std::size_t remaining = 0;
    BatchDone done;
  };
  auto state = std::make_shared<State>();
  state->results.resize(ids.size());
  state->remaining = ids.size();
  state->done = std::move(done);
  if (ids.empty()) {
    state->done({});
    return;
  }
  // Every request goes to curl multi now; none waits for another's answer.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    state->results[i].id = ids[i];
    TimePoint started = SteadyClock::now();
    op(ids[i], [state, i, started](Status status) {
      state->results[i].status = std::move(status);
      state->results[i].seconds = to_seconds(SteadyClock::now() - started);
      if (--state->remaining == 0) state->done(std::move(state->results));
    });
  }
}

void DockerClient::pause_all(const std::vector<std::string>& ids, BatchDone done) {
  batch(
      ids, [this](const std::string& id, Done d) { pause(id, std::move(d)); }, std::move(done));
}

void DockerClient::unpause_all(const std::vector<std::string>& ids, BatchDone done) {
  batch(
      ids, [this](const std::string& id, Done d) { unpause(id, std::move(d)); }, std::move(done));
}

void DockerClient::restart_all(const std::vector<std::string>& ids, int stop_timeout_seconds,
                               BatchDone done) {
  batch(
      ids,
      [this, stop_timeout_seconds](const std::string& id, Done d) {
        restart(id, stop_timeout_seconds, std::move(d));
      },
      std::move(done));
}

void DockerClient::inspect_all(const std::vector<std::string>& ids,
                               std::function<void(std::vector<Result<ContainerInspect>>)> done) {
  struct State {
    std::vector<std::optional<Result<ContainerInspect>>> results;
    std::size_t remaining = 0;
    std::function<void(std::vector<Result<ContainerInspect>>)> done;
  };
  auto state = std::make_shared<State>();
  state->results.resize(ids.size());
  state->remaining = ids.size();
  state->done = std::move(done);
  if (ids.empty()) {
    state->done({});
    return;
  }
  for (std::size_t i = 0; i < ids.size(); ++i) {
    inspect(ids[i], [state, i](Result<ContainerInspect> result) {
      state->results[i].emplace(std::move(result));
      if (--state->remaining == 0) {
        std::vector<Result<ContainerInspect>> results;
        results.reserve(state->results.size());
        for (auto& r : state->results) results.push_back(std::move(*r));
        state->done(std::move(results));
      }
    });
  }
}

DockerClient::StreamId DockerClient::watch_events(EventCallback on_event, Done on_end,
                                                  double since_wall_seconds) {
  std::string path = versioned("/events") + "?filters=" + url_encode(kContainerFilter);
  if (since_wall_seconds > 0) {
    // Docker parses "<sec>.<nsec>" with the fraction as an integer count of nanoseconds, so the
    // fraction must have exactly nine digits ("1.5" would mean 1 s + 5 ns).
    path += fmt::format("&since={:.9f}", since_wall_seconds);
  }
  struct StreamState {
    LineSplitter splitter;
    std::string unparsed;  // first bytes that were not an event: the error body of a non-200
    bool any_event = false;
  };
  auto stream = std::make_shared<StreamState>();
  auto key = std::make_shared<std::uint64_t>(0);
  auto on_chunk = [this, stream, key, on_event = std::move(on_event)](std::string_view chunk) {
    for (const std::string& line : stream->splitter.feed(chunk)) {
      auto event = parse_event_line(line);
      if (!event.ok()) {
        if (!stream->any_event && stream->unparsed.size() < kMaxErrorTail) stream->unparsed += line;
        spdlog::warn("docker: unparsable event line ({}): {:.200}", event.error().describe(), line);
        continue;
      }
      stream->any_event = true;
      on_event(*event);
      // on_event may have cancelled this very stream; stop feeding it then.
      if (!requests_.contains(*key)) return false;
    }
    return true;
  };
  *key = send(
      "GET", path,
      [stream, on_end = std::move(on_end)](HttpResponse response) {
        if (!response.transport_ok() || response.status != 200) {
          if (response.body.empty()) response.body = stream->unparsed;
          on_end(docker_error("docker events stream", response));
          return;
        }
        on_end(Status{});  // the daemon closed the stream cleanly (shutdown)
      },
      Duration::zero(), std::move(on_chunk));
  return *key;
}

}  // namespace adrg::docker

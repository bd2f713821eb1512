// Polls the media server for sessions that count (media_mode.provider jellyfin | emby | plex) on
// a reactor timer (media_mode.poll_interval_seconds, default 5 s) through the asynchronous
// HttpClient: nothing blocks the loop, and at most one request is in flight (a tick that finds
// one still running is skipped, so a slow server is never queued up).
//
//   jellyfin, emby: GET {url}/Sessions with X-Emby-Token and Authorization: MediaBrowser
//                   Token="..." (Jellyfin 10.9+ prefers the latter; Emby and older Jellyfin read
//                   the former; both carry the same API key)
//   plex:           GET {url}/status/sessions with X-Plex-Token and Accept: application/json
//                   (Plex answers XML without it)
//   webhook, none:  no polling (webhook triggers come in through MediaService::handle_webhook)
//
// An unreachable or failing server (refused, timeout, 401 wrong key, 5xx, unparsable body)
// reports 0 sessions and reachable=false: media mode then ends after cooldown_seconds through
// the media rule, as in ADRG (a dead media server must not keep tier 3 paused forever). It is
// logged once when the outage starts and once on recovery, never on every poll. The API key is
// never logged (URLs and error texts are redacted).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "core/result.h"

namespace adrg::media {

class MediaMonitor {
 public:
  // Runs on the loop thread after every poll, success or not.
  using Callback = std::function<void(int sessions, bool reachable)>;
  struct Options {
    Duration timeout = std::chrono::seconds(3);  // whole request, connect included
  };

  MediaMonitor(Reactor& reactor, HttpClient& http, MediaModeConfig config, Callback callback);
  MediaMonitor(Reactor& reactor, HttpClient& http, MediaModeConfig config, Callback callback,
               Options options);
  ~MediaMonitor();  // stop()
  MediaMonitor(const MediaMonitor&) = delete;
  MediaMonitor& operator=(const MediaMonitor&) = delete;

  // True for the providers that are polled (jellyfin, emby, plex).
  static bool provider_polls(std::string_view provider);
  // The request for one poll (pure; tested).
  static Result<HttpRequest> build_request(const MediaModeConfig& config, Duration timeout);

  // Arms the timer and polls at once. Nothing to do (ok) when media mode is disabled or the
  // provider does not poll; an error for an unknown provider or a timer that cannot be armed.
  Status start();
  // Cancels the timer and the request in flight; no callback runs afterwards.
  void stop();
  // One poll now, unless one is in flight.
  void poll_now();

  bool polling() const { return timer_ != 0; }
  int sessions() const { return sessions_; }
  bool reachable() const { return reachable_; }
  const std::string& last_error() const { return last_error_; }
  std::uint64_t polls() const { return polls_; }
  std::uint64_t skipped_ticks() const { return skipped_ticks_; }
  bool in_flight() const { return request_ != 0; }
  const MediaModeConfig& config() const { return config_; }

 private:
  void on_response(const HttpResponse& response);

  Reactor& reactor_;
  HttpClient& http_;
  MediaModeConfig config_;
  Callback callback_;
  Options options_;
  Reactor::Id timer_ = 0;
  HttpClient::Id request_ = 0;
  int sessions_ = 0;
  bool reachable_ = true;
  bool outage_logged_ = false;
  bool first_result_ = true;
  std::string last_error_;
  std::uint64_t polls_ = 0;
  std::uint64_t skipped_ticks_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace adrg::media

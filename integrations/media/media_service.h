// The governor's handle on media detection. It owns the MediaMonitor for the configured
// provider, keeps the latest (sessions, reachable) for the Snapshot, and turns webhook payloads
// into media triggers:
//
//   MediaService media(reactor, http, config, clock);
//   media.on_change([this](int, bool) { evaluate("media"); });
//   media.start();
//   ... build_snapshot():  snapshot.media_sessions = media.sessions();
//                          snapshot.media_provider_reachable = media.reachable();
//   ... POST /webhook/media: handlers.media_webhook = [this](auto type, auto body) {
//         std::vector<TriggerEvent> events;
//         Status st = media.handle_webhook(type, body, events);
//         ... append events to pending_triggers_ and evaluate("webhook") ...
//       };
//   ... SIGHUP with a validated config: media.reconfigure(new_config);
//
// Webhooks are accepted whatever the provider (ADRG's `webhook` provider exists so media mode can
// be instant; a polling provider plus a webhook also works, the poll then confirms). Without a
// polling provider, sessions() is 0 and reachable() true: the webhook triggers alone drive media.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "core/result.h"
#include "enforcers/manual_triggers.h"
#include "integrations/media/media_monitor.h"

namespace adrg::media {

class MediaService {
 public:
  using ChangeCallback = std::function<void(int sessions, bool reachable)>;

  MediaService(Reactor& reactor, HttpClient& http, const Config& config, const Clock& clock);
  MediaService(Reactor& reactor, HttpClient& http, const Config& config, const Clock& clock,
               MediaMonitor::Options options);
  ~MediaService();
  MediaService(const MediaService&) = delete;
  MediaService& operator=(const MediaService&) = delete;

  // Starts polling (when the provider polls). An error only for a timer that cannot be armed or
  // an unknown provider; the caller logs it and runs without polling.
  Status start();
  // Swaps in a validated new media_mode: the monitor is rebuilt when provider, URL, key,
  // interval, count_paused or enabled changed (the first poll of the new one runs at once).
  Status reconfigure(const Config& config);

  int sessions() const { return sessions_; }
  bool reachable() const { return reachable_; }
  // Called on the loop thread when sessions() or reachable() changed (not on every poll).
  void on_change(ChangeCallback callback) { on_change_ = std::move(callback); }

  // POST /webhook/media. Appends kMediaStart/kMediaStop events (nothing for ignored events such
  // as PlaybackProgress); errors carry errc::invalid_argument for payloads that are not a
  // Jellyfin or Plex webhook (the HTTP API answers 400).
  Status handle_webhook(std::string_view content_type, std::string_view body,
                        std::vector<TriggerEvent>& out);

  const MediaMonitor* monitor() const { return monitor_.get(); }
  // {"provider":..,"url":..,"polling":..,"sessions":..,"reachable":..,...} for /status.
  std::string status_json() const;

 private:
  void on_poll(int sessions, bool reachable);
  void set_state(int sessions, bool reachable);

  Reactor& reactor_;
  HttpClient& http_;
  const Clock& clock_;
  MediaModeConfig config_;
  MediaMonitor::Options options_;
  std::unique_ptr<MediaMonitor> monitor_;
  ChangeCallback on_change_;
  int sessions_ = 0;
  bool reachable_ = true;
  double last_poll_wall_ = 0;
  std::uint64_t webhooks_ = 0;
  std::uint64_t webhooks_rejected_ = 0;
  std::string last_webhook_;
};

}  // namespace adrg::media

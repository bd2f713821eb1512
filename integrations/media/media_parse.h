// Pure parsers for what media servers hand adrg: session lists polled from Jellyfin/Emby/Plex and
// the webhook payloads their plugins push. No I/O here: media_monitor.cpp does the requests,
// media_service.cpp feeds webhook bodies; these turn text into counts and triggers and are
// unit-tested on samples shaped like the documented APIs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "enforcers/manual_triggers.h"

namespace adrg::media {

// Jellyfin and Emby GET /Sessions: a JSON array of sessions. A session counts when it has a
// NowPlayingItem (idle clients, the dashboard itself and disconnected devices have none) and
// PlayState.IsPaused is not true, unless count_paused. Anything but an array is an error.
Result<int> parse_jellyfin_sessions(std::string_view json, bool count_paused);

// Plex GET /status/sessions with Accept: application/json: {"MediaContainer":{"size":N,
// "Metadata":[{..., "Player":{"state":"playing"|"paused"|"buffering"}}]}}. Every Metadata entry
// counts except, unless count_paused, those whose Player.state is "paused". Without a Metadata
// array (Plex omits it when nothing plays) MediaContainer.size is the count.
Result<int> parse_plex_sessions(std::string_view json, bool count_paused = false);

struct WebhookEvent {
  std::string source;  // "jellyfin-webhook" | "plex-webhook" (TriggerEvent::source)
  std::string event;   // as sent: "PlaybackStart", "media.pause", ...
  std::string user;    // NotificationUsername / Account.title, for the log line
  std::string title;   // Name / Metadata.title, for the log line
  // kMediaStart / kMediaStop, or nothing for events that do not change media mode
  // (PlaybackProgress, media.scrobble, library.new, ItemAdded, ...).
  std::optional<TriggerKind> trigger;
};

// Jellyfin Webhook plugin (jellyfin-plugin-webhook, "Generic" destination with the default
// template): a JSON object with NotificationType PlaybackStart / PlaybackStop (PlaybackProgress
// and the other types are ignored).
Result<WebhookEvent> parse_jellyfin_webhook(std::string_view json);

// Plex webhook JSON (the `payload` part): event media.play / media.resume -> start,
// media.pause / media.stop -> stop, others ignored. With count_paused a pause does not stop
// media mode (a paused stream counts as active, like the polled providers).
Result<WebhookEvent> parse_plex_webhook(std::string_view json, bool count_paused = false);

// The content of the multipart/form-data part named `name` (Content-Disposition: form-data;
// name="payload"), the boundary taken from content_type. Plex sends `payload` (JSON) and, for
// some events, `thumb` (a JPEG), so binary parts are skipped safely.
Result<std::string_view> multipart_part(std::string_view content_type, std::string_view body,
                                        std::string_view name);

// POST /webhook/media: multipart/form-data -> Plex (`payload` part); a JSON object with
// NotificationType -> Jellyfin; a JSON object with `event` -> Plex JSON. Anything else is an
// error with errc::invalid_argument (the HTTP API answers 400).
Result<WebhookEvent> parse_media_webhook(std::string_view content_type, std::string_view body,
                                         bool count_paused = false);

}  // namespace adrg::media

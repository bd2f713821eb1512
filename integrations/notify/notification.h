// What a notification says, and how each service wants it on the wire. Everything here is pure
// (no I/O, no clock), so the texts and the exact requests are unit-tested byte for byte.
//
// Wire formats, from each service's documentation:
//  - Discord webhook (discord.com/developers/docs/resources/webhook#execute-webhook): POST the
//    webhook URL, JSON {"content", "username", "allowed_mentions"}; 204 No Content on success;
//    content is capped at 2000 characters; 429 carries Retry-After (header) and retry_after
//    (JSON body, seconds, may be fractional).
//  - ntfy (docs.ntfy.sh/publish): POST the full topic URL, the message as the body, headers
//    Title, Priority (min|low|default|high|urgent), Tags (comma-separated emoji short codes),
//    Authorization: Bearer <token>; 200 with a JSON message. Non-ASCII header values go as
//    RFC 2047 (=?UTF-8?B?...?=), which ntfy decodes, because not every proxy passes raw UTF-8.
//  - Gotify (gotify.net/api-docs, POST /message): the application token in X-Gotify-Key (not
//    ?token=, so it never sits in a URL a proxy may log), JSON {"title","message","priority"};
//    200 with the stored message.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http_client.h"
#include "enforcers/decision.h"

namespace adrg::notify {

enum class NotifyPriority { kLow, kDefault, kHigh, kUrgent };

std::string_view to_string(NotifyPriority priority);  // ntfy's names: low|default|high|urgent
int gotify_priority(NotifyPriority priority);         // 2, 5, 8, 10 (Gotify: 8+ = high)

struct Notification {
  std::string title;    // plain, without the emoji: "Thermal stage 2"
  std::string message;  // "Paused tier 2+3: max temperature 81.5 °C ≥ stage2 threshold 80.0 °C."
  NotifyPriority priority = NotifyPriority::kDefault;
  std::string emoji;              // prefixed to the title for Discord and Gotify
  std::vector<std::string> tags;  // ntfy tags; ntfy renders known short codes as emojis

  // "🌡️ Thermal stage 2" (emoji omitted when empty).
  std::string display_title() const;
  bool operator==(const Notification&) const = default;
};

// The look of an event kind: emoji, ntfy tags and priority. Priorities: thermal_stage2 and
// memory_critical_restart are high (something was paused wholesale / a container was killed),
// memory_emergency_restart is urgent (the host was stalling on memory); everything else default.
Notification style_for_event(std::string_view event);

// Human text for a policy Decision, built from its fields only (pure, so it is tested).
Notification format_notification(const Decision& decision);

// daemon_start / daemon_stop: `detail` is e.g. "adrg 0.1.0 on nas, 12 containers governed".
Notification format_lifecycle(std::string_view event, std::string_view detail);

// ---- wire formats. `url`/`token` are the configured values; the result is ready for
// HttpClient::send (method, url, headers, body; timeouts are set by the caller).
HttpRequest build_discord_request(std::string_view webhook_url, const Notification& n);
HttpRequest build_ntfy_request(std::string_view topic_url, std::string_view token,
                               const Notification& n);
HttpRequest build_gotify_request(std::string_view base_url, std::string_view token,
                                 const Notification& n);

// Seconds a 429/503 asks us to wait: the larger of the Retry-After header (delta-seconds, may be
// fractional as Discord sends it; HTTP-dates are resolved against `now_wall_seconds`) and a JSON
// body's "retry_after". nullopt when neither is present or parseable.
std::optional<double> parse_retry_after(std::string_view header, std::string_view body,
                                        double now_wall_seconds);

// RFC 2047 encoded-word for a header value when it has non-ASCII bytes; unchanged otherwise.
// CR, LF and other control characters become spaces first (no header injection from a
// container name).
std::string header_value(std::string_view text);

// Cuts UTF-8 text to at most max_bytes on a character boundary, ending with "…" when cut.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace adrg::notify

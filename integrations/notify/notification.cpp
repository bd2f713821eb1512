#include "integrations/notify/notification.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "core/json_writer.h"

namespace adrg::notify {

namespace {

// Discord rejects content over 2000 characters (400); bytes >= characters, so a byte cap is safe.
constexpr std::size_t kDiscordMaxBytes = 2000;
// ntfy turns a body over 4096 bytes into an attachment, which most clients do not preview.
constexpr std::size_t kNtfyMaxBytes = 4000;

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The policy writes ASCII comparisons (">="); a phone screen reads "≥" better.
std::string prettify(std::string_view reason) {
  std::string text = replace_all(std::string(reason), ">=", "≥");
  return replace_all(std::move(text), "<=", "≤");
}

std::string capitalize(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

// "Paused tier 3" + reason -> "Paused tier 3: <reason>."
std::string sentence(std::string_view action, std::string_view reason) {
  std::string out(action);
  if (!reason.empty()) {
    out = out.empty() ? capitalize(std::string(reason)) : out + ": " + std::string(reason);
  }
  if (!out.empty() && out.back() != '.' && out.back() != '!' && out.back() != '?') out += '.';
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view to_string(NotifyPriority priority) {
  switch (priority) {
    case NotifyPriority::kLow:
      return "low";
    case NotifyPriority::kDefault:
      return "default";
    case NotifyPriority::kHigh:
      return "high";
    case NotifyPriority::kUrgent:
      return "urgent";
  }
  return "default";
}

int gotify_priority(NotifyPriority priority) {
  // Gotify's Android client: 0 silent, 1-3 low, 4-7 normal, 8-10 high (sound + heads-up).
  switch (priority) {
    case NotifyPriority::kLow:
      return 2;
    case NotifyPriority::kDefault:
      return 5;
    case NotifyPriority::kHigh:
      return 8;
    case NotifyPriority::kUrgent:
      return 10;
  }
  return 5;
}

std::string Notification::display_title() const {
  return emoji.empty() ? title : emoji + " " + title;
}

Notification style_for_event(std::string_view event) {
  Notification n;
  if (event == "daemon_start") {
    n.emoji = "▶️";
    n.tags = {"arrow_forward"};
  } else if (event == "daemon_stop") {
    n.emoji = "⏹️";
    n.tags = {"stop_button"};
  } else if (event == "media_mode_activated" || event == "media_mode_deactivated") {
    n.emoji = "🎬";
    n.tags = {"clapper"};
  } else if (event == "thermal_stage1" || event == "thermal_warn" || event == "thermal_recovered") {
    n.emoji = "🌡️";
    n.tags = {"thermometer"};
  } else if (event == "thermal_stage2") {
    n.emoji = "🌡️";
    n.tags = {"thermometer", "fire"};
    n.priority = NotifyPriority::kHigh;
  } else if (event == "memory_critical_restart") {
    n.emoji = "🧠";
    n.tags = {"warning"};
    n.priority = NotifyPriority::kHigh;
  } else if (event == "memory_emergency_restart") {
    n.emoji = "🚨";
    n.tags = {"rotating_light"};
    n.priority = NotifyPriority::kUrgent;
  } else {
    n.emoji = "ℹ️";
    n.tags = {"information_source"};
  }
  return n;
}

Notification format_notification(const Decision& d) {
  if (d.event == "daemon_start" || d.event == "daemon_stop") {
    return format_lifecycle(d.event, d.reason);
  }
  Notification n = style_for_event(d.event);
  const std::string reason = prettify(d.reason);
  std::string action;
  if (d.event == "thermal_stage1") {
    n.title = "Thermal stage 1";
    action = "Paused tier 3";
  } else if (d.event == "thermal_stage2") {
    n.title = "Thermal stage 2";
    action = "Paused tier 2+3";
  } else if (d.event == "thermal_warn") {
    n.title = "Thermal warning";
    action = "Temperature rising, nothing paused yet";
  } else if (d.event == "thermal_recovered") {
    n.title = "Thermal recovered";
    action = "Resumed the paused tiers";
  } else if (d.event == "media_mode_activated") {
    n.title = "Media mode on";
    action = "Paused tier 3, throttled tier 2";
  } else if (d.event == "media_mode_deactivated") {
    n.title = "Media mode off";
    action = "Released tier 2 and 3";
  } else if (d.event == "memory_critical_restart") {
    n.title = "Memory pressure: container restarted";
  } else if (d.event == "memory_emergency_restart") {
    n.title = "Memory emergency: container restarted";
  } else {
    // Events without a notify_on name of their own still read well: "Io: normal → throttled".
    n.title = capitalize(d.rule.empty() ? std::string("adrg") : d.rule);
    if (!d.from.empty() || !d.to.empty()) n.title += ": " + d.from + " → " + d.to;
  }
  n.message = sentence(action, reason);
  // Restart decisions name their victims in the reason; ids it does not mention are appended
  // (short form, as `docker ps` shows them) so the message always says who was hit.
  std::vector<std::string> unmentioned;
  for (const auto& id : d.unit_ids) {
    const std::string shown = id.size() > 12 ? id.substr(0, 12) : id;
    if (reason.find(shown) == std::string::npos) unmentioned.push_back(shown);
  }
  if (!unmentioned.empty()) {
    std::string list;
    for (const auto& id : unmentioned) list += (list.empty() ? "" : ", ") + id;
    n.message += " (" + list + ")";
  }
  if (n.message.empty()) n.message = n.title + ".";
  return n;
}

Notification format_lifecycle(std::string_view event, std::string_view detail) {
  Notification n = style_for_event(event);
  if (event == "daemon_start") {
    n.title = "adrg started";
  } else if (event == "daemon_stop") {
    n.title = "adrg stopping";
  } else {
    n.title = "adrg " + std::string(event);
  }
  n.message = detail.empty() ? n.title + "." : sentence("", detail);
  return n;
}

HttpRequest build_discord_request(std::string_view webhook_url, const Notification& n) {
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(webhook_url);
  // "Expect:" off: curl would otherwise wait for 100-continue on bodies over 1 KiB.
  request.headers = {"Content-Type: application/json", "Expect:"};
  const std::string content =
      truncate_utf8("**" + n.display_title() + "**\n" + n.message, kDiscordMaxBytes);
  JsonWriter w;
  w.begin_object().field("content", content).field("username", "adrg");
  // Container names end up in messages; "parse": [] keeps an "@everyone" in one from pinging.
  w.key("allowed_mentions").begin_object().key("parse").begin_array().end_array().end_object();
  w.end_object();
  request.body = w.take();
  return request;
}

HttpRequest build_ntfy_request(std::string_view topic_url, std::string_view token,
                               const Notification& n) {
  HttpRequest request;
  request.method = "POST";
  request.url = std::string(topic_url);
  request.headers = {"Content-Type: text/plain; charset=utf-8",
                     "Expect:", "Title: " + header_value(n.title),
                     "Priority: " + std::string(to_string(n.priority))};
  if (!n.tags.empty()) {
    std::string tags;
    for (const auto& tag : n.tags) tags += (tags.empty() ? "" : ",") + tag;
    request.headers.push_back("Tags: " + header_value(tags));
  }
  if (!token.empty()) request.headers.push_back("Authorization: Bearer " + std::string(token));
  request.body = truncate_utf8(n.message, kNtfyMaxBytes);
  return request;
}

HttpRequest build_gotify_request(std::string_view base_url, std::string_view token,
                                 const Notification& n) {
  HttpRequest request;
  request.method = "POST";
  std::string_view base = base_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  request.url = std::string(base) + "/message";
  request.headers = {"Content-Type: application/json",
                     "Expect:", "X-Gotify-Key: " + std::string(token)};
  JsonWriter w;
  w.begin_object()
      .field("title", n.display_title())
      .field("message", n.message)
      .field("priority", gotify_priority(n.priority))
      .end_object();
  request.body = w.take();
  return request;
}

std::optional<double> parse_retry_after(std::string_view header, std::string_view body,
                                        double now_wall_seconds) {
  std::optional<double> result;
  auto take = [&](double v) {
    if (v >= 0 && v == v) result = result ? std::max(*result, v) : v;
  };
  header = trim(header);
  if (!header.empty()) {
    double seconds = 0;
    auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), seconds);
    if (ec == std::errc() && ptr == header.data() + header.size()) {
      take(seconds);
    } else {
      // RFC 9110 §10.2.3: Retry-After may also be an HTTP-date.
      const std::string date(header);
      const time_t when = curl_getdate(date.c_str(), nullptr);
      if (when != -1) take(std::max(0.0, static_cast<double>(when) - now_wall_seconds));
    }
  }
  if (!body.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body.data(), body.size()).get(root) == simdjson::SUCCESS) {
      double seconds = 0;
      if (root["retry_after"].get_double().get(seconds) == simdjson::SUCCESS) take(seconds);
    }
  }
  return result;
}

std::string header_value(std::string_view text) {
  std::string clean(text);
  bool ascii = true;
  for (char& c : clean) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
    if (u >= 0x80) ascii = false;
  }
  return ascii ? clean : "=?UTF-8?B?" + base64(clean) + "?=";
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kEllipsis = "…";
  if (max_bytes < kEllipsis.size()) return {};
  std::size_t cut = max_bytes - kEllipsis.size();
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + std::string(kEllipsis);
}

}  // namespace adrg::notify

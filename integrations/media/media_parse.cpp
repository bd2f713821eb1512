#include "integrations/media/media_parse.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "core/fs.h"

namespace adrg::media {
namespace {

Error bad_message(std::string what, std::string_view detail = {}) {
  if (!detail.empty()) what += ": " + std::string(detail);
  return Error{std::make_error_code(std::errc::bad_message), std::move(what)};
}

Error invalid_argument(std::string what) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(what)};
}

// One parser per thread, reused: it keeps its buffers between documents. Elements stay valid
// until the next parse on the same thread, so every function below finishes with its document
// before returning.
simdjson::dom::parser& json_parser() {
  static thread_local simdjson::dom::parser parser;
  return parser;
}

Result<simdjson::dom::element> parse_json(std::string_view json, std::string_view what) {
  // An empty view may carry a null pointer, and simdjson memcpy()s the input: passing it null is
  // undefined even for 0 bytes (UBSan aborts on it; found by tests/fuzz/fuzz_media_parse).
  if (json.empty()) return bad_message(std::string(what) + " is not JSON", "empty body");
  simdjson::dom::element root;
  auto error = json_parser().parse(json.data(), json.size(), true).get(root);
  if (error != simdjson::SUCCESS) {
    return bad_message(std::string(what) + " is not JSON", simdjson::error_message(error));
  }
  return root;
}

std::string string_field(simdjson::dom::element element, std::string_view key) {
  std::string_view value;
  if (element[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

std::string nested_string(simdjson::dom::element element, std::string_view outer,
                          std::string_view inner) {
  simdjson::dom::object object;
  if (element[outer].get_object().get(object) != simdjson::SUCCESS) return {};
  std::string_view value;
  if (object[inner].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A parameter of a header value ("multipart/form-data; boundary=abc", "form-data; name=\"x\""),
// unquoted; empty when absent. Parameter names are case-insensitive (RFC 2045).
std::string header_param(std::string_view value, std::string_view name) {
  std::size_t at = value.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = value.substr(at + 1);
    std::size_t next = rest.find(';');
    std::string_view param = trim_view(rest.substr(0, next));
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && lower(trim_view(param.substr(0, eq))) == lower(name)) {
      std::string_view v = trim_view(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    at = next == std::string_view::npos ? next : at + 1 + next;
  }
  return {};
}

}  // namespace

Result<int> parse_jellyfin_sessions(std::string_view json, bool count_paused) {
  auto root = parse_json(json, "sessions response");
  if (!root) return root.error();
  simdjson::dom::array sessions;
  if (root->get_array().get(sessions) != simdjson::SUCCESS) {
    return bad_message("sessions response is not a JSON array");
  }
  int count = 0;
  for (simdjson::dom::element session : sessions) {
    simdjson::dom::object item;
    if (session["NowPlayingItem"].get_object().get(item) != simdjson::SUCCESS) continue;
    bool paused = false;
    simdjson::dom::object play_state;
    if (session["PlayState"].get_object().get(play_state) == simdjson::SUCCESS) {
      if (play_state["IsPaused"].get_bool().get(paused) != simdjson::SUCCESS) paused = false;
    }
    if (paused && !count_paused) continue;
    ++count;
  }
  return count;
}

Result<int> parse_plex_sessions(std::string_view json, bool count_paused) {
  auto root = parse_json(json, "plex sessions response");
  if (!root) return root.error();
  simdjson::dom::object container;
  if ((*root)["MediaContainer"].get_object().get(container) != simdjson::SUCCESS) {
    return bad_message("plex sessions response has no MediaContainer object");
  }
  simdjson::dom::array metadata;
  if (container["Metadata"].get_array().get(metadata) != simdjson::SUCCESS) {
    std::int64_t size = 0;
    if (container["size"].get_int64().get(size) != simdjson::SUCCESS || size < 0) {
      return bad_message("plex sessions response has neither Metadata nor a size");
    }
    return static_cast<int>(size);
  }
  int count = 0;
  for (simdjson::dom::element entry : metadata) {
    std::string state = lower(nested_string(entry, "Player", "state"));
    if (state == "paused" && !count_paused) continue;
    ++count;
  }
  return count;
}

Result<WebhookEvent> parse_jellyfin_webhook(std::string_view json) {
  auto root = parse_json(json, "jellyfin webhook");
  if (!root) return invalid_argument(root.error().describe());
  simdjson::dom::object object;
  if (root->get_object().get(object) != simdjson::SUCCESS) {
    return invalid_argument("jellyfin webhook is not a JSON object");
  }
  WebhookEvent event;
  event.source = "jellyfin-webhook";
  event.event = string_field(*root, "NotificationType");
  if (event.event.empty()) return invalid_argument("jellyfin webhook has no NotificationType");
  event.user = string_field(*root, "NotificationUsername");
  event.title = string_field(*root, "Name");
  if (event.event == "PlaybackStart") event.trigger = TriggerKind::kMediaStart;
  if (event.event == "PlaybackStop") event.trigger = TriggerKind::kMediaStop;
  return event;
}

Result<WebhookEvent> parse_plex_webhook(std::string_view json, bool count_paused) {
  auto root = parse_json(json, "plex webhook payload");
  if (!root) return invalid_argument(root.error().describe());
  simdjson::dom::object object;
  if (root->get_object().get(object) != simdjson::SUCCESS) {
    return invalid_argument("plex webhook payload is not a JSON object");
  }
  WebhookEvent event;
  event.source = "plex-webhook";
  event.event = string_field(*root, "event");
  if (event.event.empty()) return invalid_argument("plex webhook payload has no event");
  event.user = nested_string(*root, "Account", "title");
  event.title = nested_string(*root, "Metadata", "title");
  if (event.event == "media.play" || event.event == "media.resume") {
    event.trigger = TriggerKind::kMediaStart;
  } else if (event.event == "media.stop" || (event.event == "media.pause" && !count_paused)) {
    event.trigger = TriggerKind::kMediaStop;
  }
  return event;
}

Result<std::string_view> multipart_part(std::string_view content_type, std::string_view body,
                                        std::string_view name) {
  std::string boundary = header_param(content_type, "boundary");
  if (boundary.empty()) return invalid_argument("multipart body without a boundary");
  const std::string delimiter = "--" + boundary;
  std::size_t at = body.find(delimiter);
  while (at != std::string_view::npos) {
    std::size_t start = at + delimiter.size();
    if (body.substr(start, 2) == "--") break;  // the closing delimiter
    std::size_t headers_start = body.find('\n', start);
    if (headers_start == std::string_view::npos) break;
    ++headers_start;
    // Headers end at the first empty line; CRLF per RFC 7578, bare LF tolerated.
    std::size_t headers_end = body.find("\r\n\r\n", headers_start);
    std::size_t content_start = headers_end + 4;
    std::size_t lf_end = body.find("\n\n", headers_start);
    if (lf_end != std::string_view::npos &&
        (headers_end == std::string_view::npos || lf_end < headers_end)) {
      headers_end = lf_end;
      content_start = lf_end + 2;
    }
    if (headers_end == std::string_view::npos) break;
    std::size_t next = body.find(delimiter, content_start);
    if (next == std::string_view::npos) break;
    std::size_t content_end = next;
    // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    if (content_end >= content_start + 2 && body.substr(content_end - 2, 2) == "\r\n") {
      content_end -= 2;
    } else if (content_end > content_start && body[content_end - 1] == '\n') {
      content_end -= 1;
    }
    std::string_view headers = body.substr(headers_start, headers_end - headers_start);
    std::size_t line_start = 0;
    while (line_start < headers.size()) {
      std::size_t line_end = headers.find('\n', line_start);
      std::string_view line = trim_view(headers.substr(line_start, line_end - line_start));
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          lower(trim_view(line.substr(0, colon))) == "content-disposition" &&
          header_param(line.substr(colon + 1), "name") == name) {
        return body.substr(content_start, content_end - content_start);
      }
      if (line_end == std::string_view::npos) break;
      line_start = line_end + 1;
    }
    at = next;
  }
  return invalid_argument("multipart body has no part named \"" + std::string(name) + "\"");
}

Result<WebhookEvent> parse_media_webhook(std::string_view content_type, std::string_view body,
                                         bool count_paused) {
  if (lower(trim_view(content_type)).starts_with("multipart/form-data")) {
    auto payload = multipart_part(content_type, body, "payload");
    if (!payload) return payload.error();
    return parse_plex_webhook(*payload, count_paused);
  }
  // Plain JSON (Jellyfin's Generic destination sends application/json; tolerate any type, as
  // some proxies and curl users send text/plain or nothing): tell the two apart by their keys.
  auto root = parse_json(body, "media webhook");
  if (!root) return invalid_argument(root.error().describe());
  simdjson::dom::object object;
  if (root->get_object().get(object) != simdjson::SUCCESS) {
    return invalid_argument("media webhook is not a JSON object");
  }
  bool jellyfin = !string_field(*root, "NotificationType").empty();
  bool plex = !string_field(*root, "event").empty();
  if (jellyfin) return parse_jellyfin_webhook(body);
  if (plex) return parse_plex_webhook(body, count_paused);
  return invalid_argument(
      "media webhook is neither a Jellyfin (NotificationType) nor a Plex (event) payload");
}

}  // namespace adrg::media

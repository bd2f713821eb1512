#include "integrations/docker/docker_parse.h"

#include <simdjson.h>

#include <charconv>
#include <cstdio>

namespace adrg::docker {
namespace {

Error parse_error(std::string what, std::string_view detail = {}) {
  std::string message = std::move(what);
  if (!detail.empty()) message += ": " + std::string(detail);
  return Error{std::make_error_code(std::errc::bad_message), std::move(message)};
}

// One parser per thread, reused: it keeps its buffers between documents.
simdjson::dom::parser& json_parser() {
  static thread_local simdjson::dom::parser parser;
  return parser;
}

std::string string_field(simdjson::dom::element element, std::string_view key) {
  std::string_view value;
  if (element[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

bool bool_field(simdjson::dom::element element, std::string_view key) {
  bool value = false;
  if (element[key].get_bool().get(value) != simdjson::SUCCESS) return false;
  return value;
}

std::int64_t int_field(simdjson::dom::element element, std::string_view key) {
  std::int64_t value = 0;
  if (element[key].get_int64().get(value) != simdjson::SUCCESS) return 0;
  return value;
}

// Labels and Attributes are string maps; Docker sends null when there are none.
Labels string_map(simdjson::dom::element element, std::string_view key) {
  Labels labels;
  simdjson::dom::object object;
  if (element[key].get_object().get(object) != simdjson::SUCCESS) return labels;
  for (auto field : object) {
    std::string_view value;
    if (field.value.get_string().get(value) == simdjson::SUCCESS) {
      labels.emplace(std::string(field.key), std::string(value));
    }
  }
  return labels;
}

std::string strip_slash(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  return std::string(name);
}

ContainerSummary summary_from(simdjson::dom::element element) {
  ContainerSummary summary;
  summary.id = string_field(element, "Id");
  simdjson::dom::array names;
  if (element["Names"].get_array().get(names) == simdjson::SUCCESS) {
    // Names also lists link aliases ("/other/alias") on legacy links; the container's own name
    // is the one without a second slash.
    std::string first;
    for (auto name : names) {
      std::string_view text;
      if (name.get_string().get(text) != simdjson::SUCCESS) continue;
      std::string stripped = strip_slash(text);
      if (stripped.find('/') == std::string::npos) {
        summary.name = std::move(stripped);
        break;
      }
      if (first.empty()) first = std::move(stripped);
    }
    if (summary.name.empty()) summary.name = std::move(first);
  }
  summary.state = string_field(element, "State");
  summary.labels = string_map(element, "Labels");
  return summary;
}

int parse_int(std::string_view text, int fallback) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return fallback;
  return value;
}

}  // namespace

Result<VersionInfo> parse_version(std::string_view json) {
  simdjson::dom::element doc;
  if (auto error = json_parser().parse(json.data(), json.size()).get(doc)) {
    return parse_error("parse docker /version", simdjson::error_message(error));
  }
  VersionInfo info;
  info.version = string_field(doc, "Version");
  info.api_version = string_field(doc, "ApiVersion");
  info.min_api_version = string_field(doc, "MinAPIVersion");
  if (info.api_version.empty()) return parse_error("docker /version has no ApiVersion");
  return info;
}

Result<std::vector<ContainerSummary>> parse_container_list(std::string_view json) {
  simdjson::dom::element doc;
  if (auto error = json_parser().parse(json.data(), json.size()).get(doc)) {
    return parse_error("parse docker container list", simdjson::error_message(error));
  }
  simdjson::dom::array array;
  if (doc.get_array().get(array) != simdjson::SUCCESS) {
    return parse_error("docker container list is not an array");
  }
  std::vector<ContainerSummary> containers;
  for (auto element : array) {
    ContainerSummary summary = summary_from(element);
    if (summary.id.empty()) return parse_error("docker container list entry without Id");
    containers.push_back(std::move(summary));
  }
  return containers;
}

Result<ContainerInspect> parse_inspect(std::string_view json) {
  simdjson::dom::element doc;
  if (auto error = json_parser().parse(json.data(), json.size()).get(doc)) {
    return parse_error("parse docker inspect", simdjson::error_message(error));
  }
  if (!doc.is_object()) return parse_error("docker inspect is not an object");
  ContainerInspect inspect;
  inspect.id = string_field(doc, "Id");
  if (inspect.id.empty()) return parse_error("docker inspect without Id");
  inspect.name = strip_slash(string_field(doc, "Name"));
  simdjson::dom::element state;
  if (doc["State"].get(state) == simdjson::SUCCESS && state.is_object()) {
    inspect.status = string_field(state, "Status");
    inspect.running = bool_field(state, "Running");
    inspect.paused = bool_field(state, "Paused");
    inspect.restarting = bool_field(state, "Restarting");
    inspect.pid = static_cast<int>(int_field(state, "Pid"));
    inspect.started_at = string_field(state, "StartedAt");
  }
  simdjson::dom::element policy;
  if (doc.at_pointer("/HostConfig/RestartPolicy").get(policy) == simdjson::SUCCESS) {
    inspect.restart_policy = string_field(policy, "Name");
  }
  simdjson::dom::element config;
  if (doc["Config"].get(config) == simdjson::SUCCESS && config.is_object()) {
    inspect.labels = string_map(config, "Labels");
  }
  return inspect;
}

Result<DockerEvent> parse_event_line(std::string_view line) {
  simdjson::dom::element doc;
  if (auto error = json_parser().parse(line.data(), line.size()).get(doc)) {
    return parse_error("parse docker event", simdjson::error_message(error));
  }
  if (!doc.is_object()) return parse_error("docker event is not an object");
  DockerEvent event;
  event.type = string_field(doc, "Type");
  std::string action = string_field(doc, "Action");
  if (action.empty()) action = string_field(doc, "status");  // pre-1.22 field
  // exec events put the command into the action: "exec_start: echo exec-ok".
  if (auto colon = action.find(": "); colon != std::string::npos) {
    event.action_detail = action.substr(colon + 2);
    action.resize(colon);
  }
  event.action = std::move(action);
  simdjson::dom::element actor;
  if (doc["Actor"].get(actor) == simdjson::SUCCESS && actor.is_object()) {
    event.id = string_field(actor, "ID");
    event.attributes = string_map(actor, "Attributes");
  }
  if (event.id.empty()) event.id = string_field(doc, "id");
  if (auto it = event.attributes.find("name"); it != event.attributes.end()) {
    event.name = strip_slash(it->second);  // events send it without the slash, but be lenient
  }
  // oldName keeps its leading slash (unlike name).
  if (auto it = event.attributes.find("oldName"); it != event.attributes.end()) {
    event.old_name = strip_slash(it->second);
  }
  event.time_nano = int_field(doc, "timeNano");
  // `time` is whole seconds. One past the year 2262 would overflow the product (undefined
  // behaviour; found by fuzzing): no clock gives that, so it counts as no time at all.
  if (event.time_nano == 0 &&
      __builtin_mul_overflow(int_field(doc, "time"), std::int64_t{1'000'000'000},
                             &event.time_nano)) {
    event.time_nano = 0;
  }
  if (event.action.empty()) return parse_error("docker event without Action");
  return event;
}

std::string parse_error_message(std::string_view body) {
  simdjson::dom::element doc;
  if (json_parser().parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS) {
    std::string message = string_field(doc, "message");
    if (!message.empty()) return message;
  }
  std::string raw(body);
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) raw.pop_back();
  return raw;
}

Result<ProcCgroup> parse_cgroup_file(std::string_view content) {
  ProcCgroup result;
  bool found = false;
  while (!content.empty()) {
    auto end = content.find('\n');
    std::string_view line = content.substr(0, end);
    content = end == std::string_view::npos ? std::string_view{} : content.substr(end + 1);
    // hierarchy-ID:controller-list:cgroup-path (proc(7)); the path may itself contain ':'.
    auto first = line.find(':');
    if (first == std::string_view::npos) continue;
    auto second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    std::string_view hierarchy = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string_view path = line.substr(second + 1);
    // A cgroup removed while the task still exists reads " (deleted)" at the end.
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() >= kDeleted.size() && path.substr(path.size() - kDeleted.size()) == kDeleted) {
      path.remove_suffix(kDeleted.size());
    }
    if (hierarchy == "0" && controllers.empty()) {
      found = true;
      // Paths are relative to the reader's cgroup namespace root. A sibling container seen
      // from inside a private cgroupns reads "/../<x>": strip the escape, remember it.
      while (path.starts_with("/..")) {
        if (path.size() == 3 || path[3] == '/') {
          result.outside_namespace = true;
          path.remove_prefix(3);
        } else {
          break;
        }
      }
      while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
      result.path = path == "/" ? std::string() : std::string(path);
    } else {
      // v1 controller lists are comma-separated ("4:memory:/docker/x", "2:cpu,cpuacct:/...").
      std::string_view list = controllers;
      while (!list.empty()) {
        auto comma = list.find(',');
        if (list.substr(0, comma) == "memory") {
          result.v1_memory_path = std::string(path);
          break;
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  }
  if (!found) return parse_error("no cgroup v2 (\"0::\") line in /proc/<pid>/cgroup");
  return result;
}

int compare_api_versions(std::string_view a, std::string_view b) {
  auto split = [](std::string_view v) {
    auto dot = v.find('.');
    int major = parse_int(v.substr(0, dot), 0);
    int minor = dot == std::string_view::npos ? 0 : parse_int(v.substr(dot + 1), 0);
    return std::pair{major, minor};
  };
  auto [a_major, a_minor] = split(a);
  auto [b_major, b_minor] = split(b);
  if (a_major != b_major) return a_major < b_major ? -1 : 1;
  if (a_minor != b_minor) return a_minor < b_minor ? -1 : 1;
  return 0;
}

std::vector<std::string> LineSplitter::feed(std::string_view chunk) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    auto newline = chunk.find('\n', start);
    if (newline == std::string_view::npos) break;
    std::string_view piece = chunk.substr(start, newline - start);
    std::string line;
    if (!pending_.empty()) {
      line = std::move(pending_);
      pending_.clear();
      line.append(piece);
    } else {
      line.assign(piece);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    start = newline + 1;
  }
  pending_.append(chunk.substr(start));
  return lines;
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out.append(buffer, 3);
    }
  }
  return out;
}

}  // namespace adrg::docker

// adrgctl: the command-line client of adrg's HTTP API.
//
//   adrgctl [--socket PATH | --url URL] [--token T] status [--json]
//   adrgctl trigger media_start|media_stop|tier3_pause|tier3_resume
//   adrgctl events                  # follow the decision stream, one JSON object per line
//   adrgctl run|jobs|inspect|wait|logs|kill|remove ...   # governed jobs (adrgctl/job_commands.h)
//
// Default target: the unix socket /run/adrg/adrg.sock when it exists (file mode is the access
// control there, so no token is needed), else http://127.0.0.1:8765. The token may come from the
// environment (ADRG_TOKEN) so it does not show up in `ps`. Exit codes: 0 ok, 1 the server
// answered with an error (its message is printed), 2 the server could not be reached or the
// answer was unreadable; CLI11's own codes for usage errors.
//
// A CLI, not the daemon: blocking libcurl easy transfers are fine here.
#include <curl/curl.h>
#include <simdjson.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/adrgctl/client.h"
#include "tools/adrgctl/job_commands.h"
#include "tools/adrgctl/render.h"

namespace {

constexpr const char* kDefaultSocket = "/run/adrg/adrg.sock";
constexpr const char* kDefaultUrl = "http://127.0.0.1:8765";

using adrg::ctl::check;
using adrg::ctl::format_number;
using adrg::ctl::kExitTransport;
using adrg::ctl::perform;
using adrg::ctl::print_table;
using adrg::ctl::Reply;
using adrg::ctl::Request;
using adrg::ctl::scalar;
using adrg::ctl::Target;
using adrg::ctl::wrap;

// ---- status rendering ----------------------------------------------------------------------

std::string format_uptime(double seconds) {
  if (seconds < 0) return "-";
  auto total = static_cast<long long>(seconds);
  long long days = total / 86400, hours = total / 3600 % 24, minutes = total / 60 % 60;
  char buffer[64];
  if (days > 0) {
    std::snprintf(buffer, sizeof(buffer), "%lldd %lldh %lldm", days, hours, minutes);
  } else if (hours > 0) {
    std::snprintf(buffer, sizeof(buffer), "%lldh %lldm", hours, minutes);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%lldm %llds", minutes, total % 60);
  }
  return buffer;
}

std::optional<double> number(simdjson::simdjson_result<simdjson::dom::element> result) {
  simdjson::dom::element value;
  if (result.get(value) != simdjson::SUCCESS) return std::nullopt;
  double out = 0;
  if (value.get(out) == simdjson::SUCCESS) return out;
  return std::nullopt;
}

bool flag(simdjson::simdjson_result<simdjson::dom::element> result) {
  bool out = false;
  return result.get(out) == simdjson::SUCCESS && out;
}

// ["a","b"] → "a,b"; empty or absent → "-".
std::string joined(simdjson::simdjson_result<simdjson::dom::element> result,
                   std::string_view separator = ",") {
  simdjson::dom::array array;
  if (result.get(array) != simdjson::SUCCESS) return "-";
  std::string out;
  for (simdjson::dom::element item : array) {
    if (!out.empty()) out += separator;
    out += scalar(wrap(item));
  }
  return out.empty() ? "-" : out;
}

// The files whose limit is the user's own, kept against a looser tier value ("memory.max,cpu.max").
std::string user_limits_kept(simdjson::simdjson_result<simdjson::dom::element> limits) {
  simdjson::dom::object files;
  if (limits.get(files) != simdjson::SUCCESS) return "-";
  std::string out;
  for (auto [file, limit] : files) {
    std::string_view from;
    if (limit["from"].get(from) != simdjson::SUCCESS || from != "user") continue;
    if (!out.empty()) out += ",";
    out += file;
  }
  return out.empty() ? "-" : out;
}

// PSI of one resource, tolerant of {"some_avg10":x} and {"some":{"avg10":x}}.
std::string psi_text(simdjson::dom::element resource) {
  std::string out;
  for (const char* kind : {"some", "full"}) {
    std::optional<double> avg10 = number(resource[std::string(kind) + "_avg10"]);
    if (!avg10) avg10 = number(resource[kind]["avg10"]);
    if (!avg10) continue;
    char buffer[48];
    std::snprintf(buffer, sizeof(buffer), "%s%s %.1f", out.empty() ? "" : " ", kind, *avg10);
    out += buffer;
  }
  return out.empty() ? simdjson::minify(resource) : out;
}

std::string thermal_text(simdjson::dom::element status) {
  std::string stage = "-";
  simdjson::dom::element value;
  if (status["thermal_stage"].get(value) == simdjson::SUCCESS) {
    std::optional<double> n = number(wrap(value));
    if (n) {
      stage = *n == 0 ? "normal" : "stage " + format_number(*n);
    } else {
      stage = scalar(wrap(value));
    }
  }
  std::optional<double> celsius = number(status["temperature_c"]);
  if (celsius) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), ", %.1f °C", *celsius);
    stage += buffer;
  }
  return stage;
}

int render_status(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element status;
  if (auto error = parser.parse(simdjson::padded_string(body)).get(status); error) {
    std::cerr << "adrgctl: /status is not JSON: " << simdjson::error_message(error) << "\n";
    return kExitTransport;
  }
  std::string version = scalar(status["version"]);
  if (flag(status["dry_run"])) version += " (dry run: nothing is applied)";
  std::optional<double> uptime = number(status["uptime_seconds"]);
  std::string media = flag(status["media_mode_active"]) ? "active" : "inactive";
  media += " (provider " + scalar(status["media_provider"]) + ")";

  std::vector<std::vector<std::string>> header = {
      {"version:", version},
      {"uptime:", uptime ? format_uptime(*uptime) : "-"},
      {"backend:", scalar(status["backend"])},
      {"media:", media},
      {"thermal:", thermal_text(status)},
      {"memory:", flag(status["memory_throttled"]) ? "throttled" : "ok"},
      {"io:", flag(status["io_throttled"]) ? "throttled" : "ok"},
  };
  simdjson::dom::object psi;
  if (status["psi"].get(psi) == simdjson::SUCCESS) {
    std::string text;
    for (auto [resource, value] : psi) {
      if (!text.empty()) text += " | ";
      text += std::string(resource) + " " + psi_text(value);
    }
    header.push_back({"psi avg10:", text.empty() ? "-" : text});
  }
  header.push_back({"triggers:", joined(status["triggers_armed"], ", ")});
  header.push_back({"protected:", joined(status["protected_containers"], ", ")});
  print_table(header);

  struct Row {
    long long tier;
    std::vector<std::string> cells;
  };
  std::vector<Row> rows;
  simdjson::dom::object containers;
  if (status["containers"].get(containers) == simdjson::SUCCESS) {
    for (auto [name, info] : containers) {
      std::optional<double> tier = number(info["tier"]);
      rows.push_back({tier ? static_cast<long long>(*tier) : 99,
                      {std::string(name), tier ? format_number(*tier) : "-",
                       joined(info["paused_by"]), joined(info["cpu_max_by"]),
                       joined(info["io_max_by"]), user_limits_kept(info["limits"])}});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.tier != b.tier ? a.tier < b.tier : a.cells[0] < b.cells[0];
  });
  std::cout << "\n";
  if (rows.empty()) {
    std::cout << "no containers known\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table = {
      {"NAME", "TIER", "PAUSED_BY", "CPU_MAX_BY", "IO_MAX_BY", "USER_LIMITS_KEPT"}};
  for (Row& row : rows) table.push_back(std::move(row.cells));
  print_table(table);
  return 0;
}

// ---- commands ------------------------------------------------------------------------------

int cmd_status(const Target& target, bool json) {
  Reply reply = perform(target, Request{"GET", "/status"});
  if (int rc = check(target, reply); rc != 0) return rc;
  if (json) {
    std::cout << reply.body;
    if (reply.body.empty() || reply.body.back() != '\n') std::cout << "\n";
    return 0;
  }
  return render_status(reply.body);
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", static_cast<unsigned>(c));
      out += buffer;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

int cmd_trigger(const Target& target, const std::string& event) {
  Request request{"POST", "/trigger", "{\"event\":" + json_string(event) + "}", "application/json"};
  Reply reply = perform(target, request);
  if (int rc = check(target, reply); rc != 0) return rc;
  std::cout << "ok: " << event << "\n";
  return 0;
}

// SSE framing (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines ending in
// \n (or \r\n), `data:` lines of one event joined by \n, a blank line dispatches, lines starting
// with ':' are comments (our keep-alive pings).
class SseParser {
 public:
  explicit SseParser(std::function<void(const std::string&)> on_event)
      : on_event_(std::move(on_event)) {}

  void feed(std::string_view chunk) {
    buffer_.append(chunk);
    std::size_t start = 0;
    for (std::size_t nl = buffer_.find('\n', start); nl != std::string::npos;
         nl = buffer_.find('\n', start)) {
      std::string_view line(buffer_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      handle_line(line);
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }

 private:
  void handle_line(std::string_view line) {
    if (line.empty()) {
      if (has_data_) on_event_(data_);
      data_.clear();
      has_data_ = false;
      return;
    }
    if (line.front() == ':') return;
    std::size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
      if (has_data_) data_.push_back('\n');
      data_.append(value);
      has_data_ = true;
    }
  }

  std::function<void(const std::string&)> on_event_;
  std::string buffer_;
  std::string data_;
  bool has_data_ = false;
};

int cmd_events(const Target& target) {
  SseParser parser([](const std::string& data) {
    std::fwrite(data.data(), 1, data.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);  // a pipe (| jq, | grep) sees each event at once
  });
  Request request{"GET", "/events"};
  request.stream = true;
  request.on_chunk = [&parser](std::string_view chunk) {
    parser.feed(chunk);
    return true;
  };
  Reply reply = perform(target, request);
  if (int rc = check(target, reply); rc != 0) return rc;
  std::cerr << "adrgctl: event stream from " << target.describe() << " ended\n";
  return kExitTransport;
}

int run(int argc, char** argv) {
  CLI::App app{"adrgctl: inspect and steer the adrg resource governor"};
  app.require_subcommand(1);
  app.fallthrough();
  Target target;
  auto* socket_option = app.add_option(
      "--socket", target.socket,
      std::string("unix socket of the daemon (default ") + kDefaultSocket + " when it exists)");
  auto* url_option =
      app.add_option("--url", target.url,
                     std::string("HTTP base URL of the daemon (default ") + kDefaultUrl + ")");
  socket_option->excludes(url_option);
  app.add_option("--token", target.token,
                 "bearer token for requests over TCP (general.http_server.token)")
      ->envname("ADRG_TOKEN");

  auto* status = app.add_subcommand("status", "show what the daemon believes and enforces");
  bool json = false;
  status->add_flag("--json", json, "print the raw /status JSON");
  auto* trigger = app.add_subcommand("trigger", "send a manual trigger");
  std::string event;
  trigger->add_option("event", event, "media_start | media_stop | tier3_pause | tier3_resume")
      ->required();
  auto* events = app.add_subcommand("events", "follow decision events (one JSON per line)");
  adrg::ctl::JobCommands jobs;
  adrg::ctl::add_job_commands(app, jobs);

  CLI11_PARSE(app, argc, argv);

  if (target.socket.empty() && target.url.empty()) {
    if (::access(kDefaultSocket, F_OK) == 0) {
      target.socket = kDefaultSocket;
    } else {
      target.url = kDefaultUrl;
    }
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = 0;
  if (status->parsed()) {
    rc = cmd_status(target, json);
  } else if (trigger->parsed()) {
    rc = cmd_trigger(target, event);
  } else if (events->parsed()) {
    rc = cmd_events(target);
  } else {
    rc = adrg::ctl::run_job_command(target, jobs).value_or(0);
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  // Out of memory or a library's throw ends in one line and an exit code, not std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "adrgctl: " << e.what() << "\n";
    return adrg::ctl::kExitServerError;
  }
}

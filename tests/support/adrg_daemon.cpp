#include "tests/support/adrg_daemon.h"

#include <sstream>

namespace adrg::testing {

namespace {

// Replaces every "{key}" of `text` by its value.
std::string fill(std::string text, std::initializer_list<std::pair<std::string, std::string>> kv) {
  for (const auto& [key, value] : kv) {
    const std::string marker = "{" + key + "}";
    for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) {
      text.replace(at, marker.size(), value);
      at += value.size();
    }
  }
  return text;
}

}  // namespace

std::string test_daemon_yaml(const TempDir& dir, const TestDaemonConfig& config) {
  constexpr const char* kTemplate = R"(general:
  poll_interval_seconds: 1
  log_file: ""
  journal_file: {dir}/journal.json
  state_file: {dir}/state.json
  thermal_root: {dir}/thermal
  hwmon_root: {dir}/hwmon
  docker_socket: "{docker}"
  http_server:
    enabled: true
    host: "{host}"
    port: {port}
    unix_socket: {dir}/adrg.sock
    token: "{token}"
thermal:
  poll_interval_seconds: 0.2
)";
  return fill(kTemplate, {{"dir", dir.path()},
                          {"docker", config.docker_socket},
                          {"host", config.host},
                          {"port", std::to_string(config.port)},
                          {"token", config.token}}) +
         config.extra;
}

std::string unix_get(const TempDir& dir, const std::string& path) {
  return run_command("curl -s --max-time 2 --unix-socket " + dir.path() +
                     "/adrg.sock http://localhost" + path)
      .output;
}

CommandResult tcp_post_trigger(int port, const std::string& event, const std::string& token) {
  std::string auth = token.empty() ? "" : " -H 'Authorization: Bearer " + token + "'";
  return run_command("curl -s --max-time 2 -w ' %{http_code}'" + auth +
                     " -X POST -d '{\"event\":\"" + event +
                     "\"}' http://127.0.0.1:" + std::to_string(port) + "/trigger");
}

std::optional<double> metric_value(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

}  // namespace adrg::testing

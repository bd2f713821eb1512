#include "tests/support/daemon_config.h"

#include <fmt/format.h>

namespace adrg::testing {

namespace {

// A double-quoted YAML scalar: a path or host is taken as written, blanks included.
std::string quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void key(std::string& yaml, const char* indent_and_name, const std::optional<std::string>& value) {
  if (value) yaml += fmt::format("{}: {}\n", indent_and_name, quoted(*value));
}

}  // namespace

DaemonConfig::DaemonConfig(const TempDir& dir)
    : journal_file(dir.path() + "/journal.json"),
      state_file(dir.path() + "/state.json"),
      thermal_root(dir.path() + "/thermal"),
      hwmon_root(dir.path() + "/hwmon"),
      unix_socket(dir.path() + "/adrg.sock") {}

std::string daemon_yaml(const DaemonConfig& config) {
  std::string yaml = "general:\n";
  if (config.poll_interval_seconds) {
    yaml += fmt::format("  poll_interval_seconds: {}\n", *config.poll_interval_seconds);
  }
  yaml += "  log_file: \"\"\n";
  key(yaml, "  journal_file", config.journal_file);
  key(yaml, "  state_file", config.state_file);
  key(yaml, "  thermal_root", config.thermal_root);
  key(yaml, "  hwmon_root", config.hwmon_root);
  key(yaml, "  docker_socket", config.docker_socket);
  yaml += "  http_server:\n    enabled: true\n";
  key(yaml, "    host", config.host);
  yaml += fmt::format("    port: {}\n", config.port);
  key(yaml, "    unix_socket", config.unix_socket);
  key(yaml, "    token", config.token);
  key(yaml, "  proc_root", config.proc_root);
  key(yaml, "  cgroup_units_root", config.cgroup_units_root);
  return yaml + config.extra;
}

}  // namespace adrg::testing

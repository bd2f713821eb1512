#include "tests/support/adrg_daemon.h"

#include <sstream>

namespace adrg::testing {

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

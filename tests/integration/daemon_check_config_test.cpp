// `adrg --check-config` and the daemon judge a config through one path (issue 16 part 7): what
// the daemon refuses at start, --check-config refuses with the same file:line:column message;
// `docker_socket: ""` contacts no Docker; an unreachable Docker is named by its socket.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "tests/support/adrg_daemon.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::kAdrgBinary;
using testing::run_command;
using testing::wait_until;

struct RefusedCase {
  const char* name;
  const char* host;
  const char* error;  // after "<config path>:"
};

void PrintTo(const RefusedCase& c, std::ostream* os) { *os << c.name; }

// Line 11, column 11 is the host's value in daemon_yaml.
const RefusedCase kRefused[] = {
    {"any_address_without_token", "0.0.0.0",
     "11:11: error: general.http_server.host '0.0.0.0' is reachable beyond this machine but "
     "general.http_server.token is empty: the API would let anyone on the network trigger "
     "actions; set a token or bind 127.0.0.1"},
    {"ipv6_any_without_token", "::",
     "11:11: error: general.http_server.host '::' is reachable beyond this machine but "
     "general.http_server.token is empty"},
    {"name_without_token", "nas.home.arpa",
     "11:11: error: general.http_server.host 'nas.home.arpa' is a host name, which may be "
     "reachable beyond this machine"},
    {"malformed_address", "127.0.0.1.5",
     "11:11: error: general.http_server.host: '127.0.0.1.5': not an IPv4 address (four numbers "
     "0-255, such as 127.0.0.1)"},
    {"port_in_host", "127.0.0.1:8765",
     "11:11: error: general.http_server.host: '127.0.0.1:8765': the port goes in "
     "general.http_server.port, not in host"},
};

// The daemon inside `dir` on a free port with an empty token written out (what the refusals
// below are about), its thermal zone polled every 0.2 s.
testing::DaemonConfig test_config(const testing::TempDir& dir) {
  testing::DaemonConfig config(dir);
  config.port = testing::free_tcp_port();
  config.token = "";
  config.extra = "thermal:\n  poll_interval_seconds: 0.2\n";
  return config;
}

class CheckConfigAgrees : public ::testing::TestWithParam<RefusedCase> {};

TEST_P(CheckConfigAgrees, CheckConfigAndTheDaemonRefuseWithTheSameMessage) {
  const RefusedCase& c = GetParam();
  testing::TempDir dir;
  testing::DaemonConfig config = test_config(dir);
  config.host = c.host;
  const std::string path = dir.write("config.yaml", daemon_yaml(config));
  const std::string expected = path + ":" + c.error;

  auto check = run_command(kAdrgBinary + " --check-config --config " + path);
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find(expected), std::string::npos) << check.output;

  auto daemon = run_command(kAdrgBinary + " --config " + path, std::chrono::seconds(20));
  EXPECT_EQ(daemon.exit_code, 1) << daemon.output;
  EXPECT_NE(daemon.output.find(expected), std::string::npos) << daemon.output;
  EXPECT_NE(daemon.output.find("is invalid; not starting"), std::string::npos) << daemon.output;
}

INSTANTIATE_TEST_SUITE_P(Table, CheckConfigAgrees, ::testing::ValuesIn(kRefused),
                         [](const ::testing::TestParamInfo<RefusedCase>& info) {
                           return std::string(info.param.name);
                         });

// "127.0.0.1 " (quoted, or from a ${VAR} with a trailing blank) used to pass --check-config and
// then fail getaddrinfo at start. Both now take it as 127.0.0.1.
TEST(CheckConfig, AHostWithBlanksIsTrimmedByBothAlike) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/temp", "50000\n");
  testing::DaemonConfig config = test_config(dir);
  config.host = "127.0.0.1 ";
  const std::string path = dir.write("config.yaml", daemon_yaml(config));
  auto check = run_command(kAdrgBinary + " --check-config --config " + path);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  testing::ChildProcess daemon({kAdrgBinary, "--config", path}, dir.path() + "/adrg.log",
                               {"DOCKER_HOST="});
  EXPECT_TRUE(wait_until([&] {
    return run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(config.port) +
                       "/healthz")
               .output.find("ok") != std::string::npos;
  })) << daemon.log();
}

// A unix socket that counts who connected: accept() without blocking after the fact.
class ListeningSocket {
 public:
  explicit ListeningSocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    bound_ =
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(fd_, 16) == 0;
  }
  ~ListeningSocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  int connections() {
    int n = 0;
    for (int c; (c = ::accept(fd_, nullptr, nullptr)) >= 0; ++n) ::close(c);
    return n;
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(CheckConfig, NoDockerSocketMeansDockerIsNeverContacted) {
  testing::TempDir dir;
  const std::string socket = dir.path() + "/docker.sock";
  ListeningSocket docker(socket);
  ASSERT_TRUE(docker.bound());
  testing::DaemonConfig config = test_config(dir);
  config.docker_socket = "";
  const std::string path = dir.write("config.yaml", daemon_yaml(config));
  // DOCKER_HOST exported for the docker CLI must not turn an explicit "" back on.
  const auto start = std::chrono::steady_clock::now();
  auto check = run_command("DOCKER_HOST=unix://" + socket + " " + kAdrgBinary +
                           " --check-config --config " + path);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_EQ(docker.connections(), 0) << check.output;
  EXPECT_NE(check.output.find("containers: not listed (general.docker_socket is \"\": Docker "
                              "integration off)"),
            std::string::npos)
      << check.output;
  EXPECT_NE(check.output.find("DOCKER_HOST=unix://" + socket + " is ignored"), std::string::npos)
      << check.output;
  // Measured, not asserted (it used to wait up to 5 s for Docker).
  std::cout << "check-config with docker_socket \"\": "
            << std::chrono::duration<double, std::milli>(took).count() << " ms\n";
}

TEST(CheckConfig, UnreachableDockerIsNamedByItsSocket) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/temp", "50000\n");
  testing::DaemonConfig config = test_config(dir);
  const std::string socket = dir.path() + "/no-dockerd/docker.sock";
  config.docker_socket = socket;
  const std::string path = dir.write("config.yaml", daemon_yaml(config));
  const std::string reason =
      "cannot connect to unix socket " + socket + ": No such file or directory";

  auto check =
      run_command("env -u DOCKER_HOST " + kAdrgBinary + " --check-config --config " + path);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("docker not reachable at " + socket +
                              " (docker GET /version: " + reason + ")"),
            std::string::npos)
      << check.output;
  EXPECT_EQ(check.output.find("port 80"), std::string::npos) << check.output;

  // The running daemon says the same in /status and in its log.
  testing::ChildProcess daemon({kAdrgBinary, "--config", path}, dir.path() + "/adrg.log",
                               {"DOCKER_HOST="});
  EXPECT_TRUE(wait_until([&] {
    return testing::unix_get(dir, "/status").find(reason) != std::string::npos;
  })) << testing::unix_get(dir, "/status");
  EXPECT_TRUE(wait_until([&] { return daemon.log().find(reason) != std::string::npos; },
                         std::chrono::seconds(15)))
      << daemon.log();
  EXPECT_EQ(daemon.log().find("port 80"), std::string::npos) << daemon.log();
}

}  // namespace
}  // namespace adrg

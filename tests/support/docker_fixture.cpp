#include "tests/support/docker_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace adrg::testing {
namespace {

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

StdoutResult run_stdout(const std::string& command) {
  StdoutResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = ::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!result.output.empty() && result.output.back() == '\n') result.output.pop_back();
  return result;
}

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool ensure_docker(std::string* why) {
  if (!run_stdout("command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1").ok()) {
    if (why != nullptr) *why = "docker.io is not installed (dockerd/docker not in PATH)";
    return false;
  }
  std::string script = std::string(ADRG_SOURCE_DIR) + "/tools/start-test-peers.sh";
  auto peers = run_stdout(shell_quote(script) + " 2>&1");
  if (!run_stdout("docker info >/dev/null 2>&1").ok()) {
    if (why != nullptr) *why = "dockerd did not come up: " + peers.output;
    return false;
  }
  if (!run_stdout("docker image inspect local/busybox >/dev/null 2>&1").ok()) {
    if (why != nullptr) *why = "local/busybox image missing: " + peers.output;
    return false;
  }
  return true;
}

std::string unique_test_label() {
  static std::atomic<int> counter{0};
  return "adrg.test=" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::string DockerCli::command(const std::string& args) const {
  std::string cmd = "docker ";
  if (!socket_.empty()) cmd += "-H " + shell_quote("unix://" + socket_) + " ";
  return cmd + args;
}

StdoutResult DockerCli::run(const std::string& args) const { return run_stdout(command(args)); }

bool DockerCli::run_detached_parallel(const std::vector<std::string>& run_args) const {
  std::string script;
  for (const std::string& args : run_args) {
    script += "( " + command("run -d --network none " + args) + " >/dev/null || echo FAIL ) & ";
  }
  script += "wait";
  auto result = run_stdout("sh -c " + shell_quote(script));
  return result.ok() && result.output.find("FAIL") == std::string::npos;
}

void DockerCli::remove_by_label(const std::string& label) const {
  auto ids = run("ps -aq --no-trunc --filter " + shell_quote("label=" + label));
  if (ids.output.empty()) return;
  std::string list;
  for (const std::string& id : split_lines(ids.output)) list += " " + id;
  run("rm -f" + list + " >/dev/null 2>&1");
}

std::vector<std::string> DockerCli::inspect(const std::vector<std::string>& ids,
                                            const std::string& format) const {
  std::string args = "inspect -f " + shell_quote(format);
  for (const std::string& id : ids) args += " " + id;
  return split_lines(run(args).output);
}

std::vector<std::string> DockerCli::running_ids(const std::string& label) const {
  return split_lines(run("ps -q --no-trunc --filter " + shell_quote("label=" + label)).output);
}

PrivateDockerd::PrivateDockerd(std::string dir)
    : dir_(std::move(dir)), socket_(dir_ + "/docker.sock") {}

PrivateDockerd::~PrivateDockerd() {
  if (started_ && run_stdout("test -S " + shell_quote(socket_)).ok()) {
    auto ids = cli().run("ps -aq --no-trunc");
    if (!ids.output.empty()) {
      std::string list;
      for (const std::string& id : split_lines(ids.output)) list += " " + id;
      cli().run("rm -f" + list + " >/dev/null 2>&1");
    }
  }
  std::string why;
  stop(&why);
  // Network namespaces and overlay mounts of the private exec/data roots.
  run_stdout("grep -o " + shell_quote(" " + dir_ + "/[^ ]*") +
             " /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

int PrivateDockerd::pid() const {
  std::ifstream in(dir_ + "/docker.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

bool PrivateDockerd::start(std::string* why) {
  std::filesystem::create_directories(dir_ + "/data");
  std::filesystem::create_directories(dir_ + "/exec");
  // The same flags as tools/start-test-peers.sh, plus our own paths.
  std::string cmd = "nohup dockerd --host " + shell_quote("unix://" + socket_) + " --data-root " +
                    shell_quote(dir_ + "/data") + " --exec-root " + shell_quote(dir_ + "/exec") +
                    " --pidfile " + shell_quote(dir_ + "/docker.pid") +
                    " --iptables=false --bridge=none --ip-forward=false --ip-masq=false"
                    " --shutdown-timeout 1 >>" +
                    shell_quote(dir_ + "/dockerd.log") + " 2>&1 &";
  if (!run_stdout(cmd).ok()) {
    if (why != nullptr) *why = "cannot spawn dockerd";
    return false;
  }
  started_ = true;
  bool up =
      wait_for([&] { return cli().run("info >/dev/null 2>&1").ok(); }, std::chrono::seconds(30));
  if (!up && why != nullptr) {
    *why = "private dockerd did not come up: " +
           run_stdout("tail -20 " + shell_quote(dir_ + "/dockerd.log")).output;
  }
  return up;
}

bool PrivateDockerd::stop(std::string* why) {
  int daemon = pid();
  if (daemon <= 0 || !process_alive(daemon)) return true;
  ::kill(daemon, SIGTERM);
  // "[/]tmp/..." matches the processes but not the shell that runs pgrep with it.
  // Appended piece by piece: GCC 12 at -O2 reports a false -Wrestrict on the operator+ chain.
  std::string exec_pattern;
  if (!dir_.empty()) {
    exec_pattern.append("[").append(dir_, 0, 1).append("]").append(dir_, 1).append("/exec");
  }
  // dockerd stops its managed containerd (under our exec-root) before it exits.
  bool gone = wait_for(
      [&] {
        return !process_alive(daemon) &&
               !run_stdout("pgrep -f " + shell_quote(exec_pattern) + " >/dev/null").ok();
      },
      std::chrono::seconds(30));
  if (!gone && why != nullptr) *why = "private dockerd did not exit after SIGTERM";
  return gone;
}

bool PrivateDockerd::import_busybox(std::string* why) const {
  std::string root = dir_ + "/busybox-root";
  std::string script = "set -e; mkdir -p " + shell_quote(root + "/bin") + "; cp \"$(command -v " +
                       "busybox)\" " + shell_quote(root + "/bin/busybox") + "; ln -sf busybox " +
                       shell_quote(root + "/bin/sh") + "; tar -C " + shell_quote(root) +
                       " -c . | " + cli().command("import - local/busybox") + " >/dev/null";
  auto result = run_stdout("sh -c " + shell_quote(script) + " 2>&1");
  if (!result.ok() && why != nullptr) *why = "import local/busybox failed: " + result.output;
  return result.ok();
}

}  // namespace adrg::testing

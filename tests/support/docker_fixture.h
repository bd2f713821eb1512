// Helpers for tests against the real dockerd: run docker CLI commands, create many containers at
// once, remove everything a test labelled, and a private dockerd (own socket, data-root and
// exec-root) that a test may stop and start without disturbing the shared one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace adrg::testing {

struct StdoutResult {
  int exit_code = -1;
  std::string output;  // stdout (stderr goes to the test log), trailing newline trimmed
  bool ok() const { return exit_code == 0; }
};

// /bin/sh -c command; blocks until it exits.
StdoutResult run_stdout(const std::string& command);
std::string shell_quote(std::string_view text);

// Makes sure the shared dockerd runs and local/busybox exists (tools/start-test-peers.sh).
// False with the reason when Docker is not installed or does not come up.
bool ensure_docker(std::string* why);

// "adrg.test=<pid>-<n>": a label unique to this process and call, for cleanup by label.
std::string unique_test_label();

class DockerCli {
 public:
  // socket "" means the default daemon (DOCKER_HOST or /var/run/docker.sock).
  explicit DockerCli(std::string socket = "") : socket_(std::move(socket)) {}

  // "docker [-H unix://socket] <args>".
  StdoutResult run(const std::string& args) const;
  std::string command(const std::string& args) const;
  // Every `docker run -d --network none <args>` at once (background jobs + wait): 40 containers
  // take ~5.5 s this way instead of ~8 s one after another. True when all succeeded.
  bool run_detached_parallel(const std::vector<std::string>& run_args) const;
  // One `docker rm -f` for every container (any state) carrying the label.
  void remove_by_label(const std::string& label) const;
  // docker inspect -f <format> <ids...>, one line per id.
  std::vector<std::string> inspect(const std::vector<std::string>& ids,
                                   const std::string& format) const;
  // Full ids of the running containers with the label.
  std::vector<std::string> running_ids(const std::string& label) const;

 private:
  std::string socket_;
};

// A dockerd of our own under `dir` (socket dir/docker.sock), started like
// tools/start-test-peers.sh starts the shared one (no iptables, no bridge), with a short
// shutdown timeout so SIGTERM takes ~1 s rather than 10 s. Killing the shared dockerd would
// break every other test using it at the same time.
class PrivateDockerd {
 public:
  explicit PrivateDockerd(std::string dir);
  ~PrivateDockerd();  // removes its containers, stops it, unmounts and deletes dir
  PrivateDockerd(const PrivateDockerd&) = delete;
  PrivateDockerd& operator=(const PrivateDockerd&) = delete;

  bool start(std::string* why);
  // SIGTERM and wait until the process (and its containerd) are gone.
  bool stop(std::string* why);
  // Imports local/busybox into this daemon's data-root.
  bool import_busybox(std::string* why) const;
  int pid() const;
  const std::string& socket() const { return socket_; }
  DockerCli cli() const { return DockerCli(socket_); }

 private:
  std::string dir_;
  std::string socket_;
  bool started_ = false;
};

}  // namespace adrg::testing

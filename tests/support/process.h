// Runs real programs from tests: the adrg binary itself, curl, docker. Output goes to a file so
// a failing test can print it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace adrg::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string output;  // stdout and stderr together
};

// Runs a shell command line to completion (bounded by `timeout`, then killed).
CommandResult run_command(const std::string& command_line,
                          std::chrono::seconds timeout = std::chrono::seconds(60));

// A free TCP port on 127.0.0.1 right now (bind to 0, read it back, close).
int free_tcp_port();

class ChildProcess {
 public:
  // argv[0] is the program path; output is appended to log_path.
  ChildProcess(std::vector<std::string> argv, std::string log_path,
               std::vector<std::string> extra_env = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Exit code after the process ended within the deadline (128+N for signal N); nullopt if not.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline = std::chrono::seconds(15));
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> exit_code_;
};

}  // namespace adrg::testing

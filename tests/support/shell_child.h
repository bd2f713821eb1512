// A shell command run as a child process (`sh -c "exec COMMAND"`) with its stdout and stderr
// captured on a pipe: curl, wrk and other real clients driven by the integration tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "core/clock.h"

namespace adrg::testing {

class ShellChild {
 public:
  explicit ShellChild(const std::string& command);
  ~ShellChild();  // kills (SIGKILL) and reaps a child still running
  ShellChild(const ShellChild&) = delete;
  ShellChild& operator=(const ShellChild&) = delete;

  // Reads output until `done(output)` holds, EOF, or the deadline; whether `done` holds.
  bool read_until(const std::function<bool(const std::string&)>& done,
                  Duration deadline = std::chrono::seconds(10));
  // Reads everything until EOF, then reaps: the exit code (128 + signal when killed by one), or
  // -1 when the deadline passed first (the child is then killed at scope end).
  int wait(Duration deadline = std::chrono::seconds(20));
  void interrupt();  // SIGINT, as a user's ^C
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  bool exited_ = false;
  std::string output_;
};

struct ShellResult {
  int code = -1;
  std::string output;
};

// Runs `command` to its end or the deadline.
ShellResult run_shell(const std::string& command, Duration deadline = std::chrono::seconds(20));

}  // namespace adrg::testing

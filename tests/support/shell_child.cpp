#include "tests/support/shell_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace adrg::testing {

ShellChild::ShellChild(const std::string& command) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;
  // Built before fork(): the test process has other threads (a reactor loop, ASan's), and a
  // malloc in the child can wait forever on a lock one of them held at the fork. Seen once in
  // CI: a curl that printed nothing for 20 s because its child never reached exec.
  const std::string script = "exec " + command;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  fd_ = fds[0];
  ::fcntl(fd_, F_SETFL, O_NONBLOCK);
}

ShellChild::~ShellChild() {
  if (pid_ > 0 && !exited_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (fd_ >= 0) ::close(fd_);
}

bool ShellChild::read_until(const std::function<bool(const std::string&)>& done,
                            Duration deadline) {
  const TimePoint end = SteadyClock::now() + deadline;
  while (!done(output_)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - SteadyClock::now());
    if (left.count() <= 0 || eof_ || fd_ < 0) break;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    ssize_t n = ::read(fd_, buffer, sizeof(buffer));
    if (n > 0) {
      output_.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof_ = true;
    }
  }
  return done(output_);
}

int ShellChild::wait(Duration deadline) {
  read_until([](const std::string&) { return false; }, deadline);
  if (!eof_ || pid_ <= 0) return -1;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ShellChild::interrupt() {
  if (pid_ > 0 && !exited_) ::kill(pid_, SIGINT);
}

ShellResult run_shell(const std::string& command, Duration deadline) {
  ShellChild child(command);
  int code = child.wait(deadline);
  return {code, child.output()};
}

}  // namespace adrg::testing

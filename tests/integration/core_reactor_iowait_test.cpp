// The reactor's idle wait must not count as I/O stall. Since Linux 6.1.39 / 6.5 a task sleeping
// in io_uring_enter(GETEVENTS) with requests in flight (adrg's multishot polls always are) is
// accounted as iowait, so an idle io_uring loop shows up as ~100 % "io some" pressure for its
// cgroup and raises the system-wide /proc/pressure/io that adrg's own io_pressure rule and job
// admission read (found in the e2e VM: an idle adrg held io avg10 at ~80 %). The loop therefore
// sleeps in ppoll on the ring fd. This test runs each backend, idle with a watch in flight, alone
// in a fresh cgroup on the real kernel, and reads that cgroup's io.pressure "some" total.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "core/reactor.h"
#include "tests/support/cgroup2.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;

constexpr auto kIdle = milliseconds(1500);

// "some ... total=N" of an io.pressure file, in microseconds; -1 when unreadable.
long long io_some_total_us(const std::string& cgroup) {
  std::ifstream in(cgroup + "/io.pressure");
  std::string line;
  if (!std::getline(in, line)) return -1;
  auto pos = line.find("total=");
  return pos == std::string::npos ? -1 : std::stoll(line.substr(pos + 6));
}

// In a forked child moved into `cgroup`: a reactor of `choice` watching a pipe that never
// becomes readable (a poll request in flight), its loop run for kIdle. Exit 0 when it ran.
[[noreturn]] void idle_loop_in(const std::string& cgroup, ReactorChoice choice) {
  {
    std::ofstream procs(cgroup + "/cgroup.procs");
    procs << ::getpid() << std::flush;
    if (!procs) ::_exit(10);
  }
  auto reactor = Reactor::create(choice);
  if (!reactor) ::_exit(11);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) ::_exit(12);
  if (!(*reactor)->watch_fd(pipe_fds[0], POLLIN, [](std::uint32_t) {})) ::_exit(13);
  const TimePoint end = SteadyClock::now() + kIdle;
  for (TimePoint now = SteadyClock::now(); now < end; now = SteadyClock::now()) {
    (*reactor)->run_once(end - now);
  }
  ::_exit(0);
}

class ReactorIowaitTest : public ::testing::TestWithParam<ReactorChoice> {};

TEST_P(ReactorIowaitTest, IdleLoopIsNotAnIoStall) {
  if (GetParam() == ReactorChoice::kIoUring && !Reactor::create(ReactorChoice::kIoUring)) {
    GTEST_SKIP() << "io_uring is unavailable on this host";
  }
  std::string root = testing::find_freezable_cgroup2();
  if (root.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: no writable cgroup2 mount (needs root)";
  std::string cgroup = root + "/adrg-iowait-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(cgroup.c_str(), 0755), 0) << cgroup << ": " << std::strerror(errno);
  const long long before = io_some_total_us(cgroup);
  if (before < 0) {
    ::rmdir(cgroup.c_str());
    GTEST_SKIP() << "SKIPPED LOUDLY: " << cgroup << "/io.pressure unreadable (PSI off?)";
  }

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) idle_loop_in(cgroup, GetParam());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const long long stalled_us = io_some_total_us(cgroup) - before;
  testing::remove_cgroup_tree(cgroup);

  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  // The loop's only task slept for 1.5 s: an iowait sleep would show ~1,500,000 us here.
  EXPECT_LT(stalled_us, 100'000) << "the idle "
                                 << to_string((GetParam() == ReactorChoice::kIoUring
                                                   ? ReactorBackend::kIoUring
                                                   : ReactorBackend::kEpoll))
                                 << " loop was accounted as " << stalled_us / 1000
                                 << " ms of I/O stall in " << kIdle.count() << " ms";
}

INSTANTIATE_TEST_SUITE_P(Backends, ReactorIowaitTest,
                         ::testing::Values(ReactorChoice::kIoUring, ReactorChoice::kEpoll),
                         [](const ::testing::TestParamInfo<ReactorChoice>& info) {
                           return info.param == ReactorChoice::kIoUring ? "IoUring" : "Epoll";
                         });

}  // namespace
}  // namespace adrg

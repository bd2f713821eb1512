// The sd_notify protocol proven on a real AF_UNIX datagram socket, as systemd reads it.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/reactor.h"
#include "integrations/systemd/systemd_notifier.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~NotifySocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  int fd() const { return fd_; }

  // One datagram, or "" when none arrived within the timeout.
  std::string receive(int timeout_ms = 2000) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return "";
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

class SystemdNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_path_ = dir_.path() + "/notify.sock";
    socket_ = std::make_unique<NotifySocket>(socket_path_);
    ASSERT_TRUE(socket_->bound());
    ::setenv("NOTIFY_SOCKET", socket_path_.c_str(), 1);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }

  testing::TempDir dir_;
  std::string socket_path_;
  std::unique_ptr<NotifySocket> socket_;
};

TEST_F(SystemdNotifierTest, ReadyCarriesStatusOnOneLine) {
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.enabled());
  notifier.ready("governing 3 containers\nsecond line");
  EXPECT_EQ(socket_->receive(), "READY=1\nSTATUS=governing 3 containers second line");
}

TEST_F(SystemdNotifierTest, ReloadCycleAndStopping) {
  SystemdNotifier notifier;
  notifier.reloading();
  std::string reloading = socket_->receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  notifier.ready("reloaded");
  EXPECT_EQ(socket_->receive(), "READY=1\nSTATUS=reloaded");
  notifier.stopping();
  EXPECT_EQ(socket_->receive(), "STOPPING=1");
}

TEST_F(SystemdNotifierTest, SilentWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  notifier.ready("nobody listens");
  EXPECT_EQ(socket_->receive(100), "");
}

TEST_F(SystemdNotifierTest, WatchdogPeriodIsHalfOfWatchdogUsec) {
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.watchdog_period().has_value());
  EXPECT_EQ(*notifier.watchdog_period(), std::chrono::microseconds(200000));
}

TEST_F(SystemdNotifierTest, WatchdogForAnotherPidIsIgnored) {
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  SystemdNotifier notifier;
  EXPECT_FALSE(notifier.watchdog_period().has_value());
}

TEST_F(SystemdNotifierTest, ReactorTimerPingsWatchdogRepeatedly) {
  ::setenv("WATCHDOG_USEC", "100000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  auto reactor = Reactor::create();
  ASSERT_TRUE(reactor.ok()) << reactor.error().describe();
  SystemdNotifier notifier;
  ASSERT_TRUE(notifier.arm_watchdog(**reactor).ok());
  int pings = 0;
  auto watch = (*reactor)->watch_fd(socket_->fd(), POLLIN, [&](std::uint32_t) {
    if (socket_->receive(0) == "WATCHDOG=1") ++pings;
  });
  ASSERT_TRUE(watch.ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pings < 3 && std::chrono::steady_clock::now() < deadline) {
    (*reactor)->run_once(std::chrono::milliseconds(100));
  }
  EXPECT_GE(pings, 3);
}

}  // namespace
}  // namespace adrg

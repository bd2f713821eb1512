// One suite, both backends: every behaviour the daemon relies on is proven on io_uring and on
// epoll. Waits are bounded by deadlines; nothing sleeps and hopes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Runs the loop until `done` holds or the deadline passes; returns `done()`.
bool run_until(Reactor& reactor, const std::function<bool()>& done,
               Duration deadline = seconds(5)) {
  const TimePoint end = SteadyClock::now() + deadline;
  while (!done() && SteadyClock::now() < end) reactor.run_once(milliseconds(20));
  return done();
}

// Runs the loop for `span` of wall time (to prove that something does NOT happen).
void run_for(Reactor& reactor, Duration span) {
  const TimePoint end = SteadyClock::now() + span;
  for (TimePoint now = SteadyClock::now(); now < end; now = SteadyClock::now()) {
    reactor.run_once(end - now);
  }
}

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

class ReactorTest : public ::testing::TestWithParam<ReactorBackend> {
 protected:
  void SetUp() override {
    auto choice =
        GetParam() == ReactorBackend::kIoUring ? ReactorChoice::kIoUring : ReactorChoice::kEpoll;
    auto created = Reactor::create(choice);
    if (!created && GetParam() == ReactorBackend::kIoUring) {
      GTEST_SKIP() << "io_uring is unavailable on this host, so only epoll is tested: "
                   << created.error().describe();
    }
    ASSERT_TRUE(created) << created.error().describe();
    reactor_ = std::move(created.value());
    ASSERT_EQ(reactor_->backend(), GetParam());
  }

  std::unique_ptr<Reactor> reactor_;
};

TEST_P(ReactorTest, RunOnceReturnsFalseWhenNothingHappened) {
  EXPECT_FALSE(reactor_->run_once(milliseconds(10)));
}

TEST_P(ReactorTest, OneShotTimersFireInDeadlineOrder) {
  std::vector<int> fired;
  for (int ms : {50, 10, 40, 20, 30}) {
    ASSERT_TRUE(reactor_->add_timer(milliseconds(ms), {}, [&fired, ms] { fired.push_back(ms); }));
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return fired.size() == 5; }));
  EXPECT_EQ(fired, (std::vector<int>{10, 20, 30, 40, 50}));
}

TEST_P(ReactorTest, TimersThatExpireInOneWakeUpStillRunInDeadlineOrder) {
  std::vector<int> fired;
  for (int ms : {5, 1, 4, 2, 3}) {
    ASSERT_TRUE(reactor_->add_timer(milliseconds(ms), {}, [&fired, ms] { fired.push_back(ms); }));
  }
  // Keep the loop away until every deadline has passed, so all five are due in the same batch.
  const TimePoint all_due = SteadyClock::now() + milliseconds(10);
  while (SteadyClock::now() < all_due) {
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return fired.size() == 5; }));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST_P(ReactorTest, PeriodicTimerRepeatsAndRearmChangesIt) {
  int ticks = 0;
  auto id = reactor_->add_timer(milliseconds(2), milliseconds(2), [&] { ++ticks; });
  ASSERT_TRUE(id);
  ASSERT_TRUE(run_until(*reactor_, [&] { return ticks >= 5; }));

  // Re-armed as a far-away one-shot: no more ticks during a bounded window.
  ASSERT_TRUE(reactor_->rearm_timer(*id, seconds(3600), {}));
  int frozen = ticks;
  run_for(*reactor_, milliseconds(30));
  EXPECT_EQ(ticks, frozen);

  // Re-armed to fire soon: exactly one more tick, then the one-shot is forgotten.
  ASSERT_TRUE(reactor_->rearm_timer(*id, milliseconds(1), {}));
  ASSERT_TRUE(run_until(*reactor_, [&] { return ticks == frozen + 1; }));
  run_for(*reactor_, milliseconds(20));
  EXPECT_EQ(ticks, frozen + 1);
  EXPECT_FALSE(reactor_->rearm_timer(*id, milliseconds(1), {}));
}

TEST_P(ReactorTest, OneShotMayRearmItselfFromItsCallback) {
  int fired = 0;
  Reactor::Id id = 0;
  auto created = reactor_->add_timer(milliseconds(1), {}, [&] {
    if (++fired < 3) {
      ASSERT_TRUE(reactor_->rearm_timer(id, milliseconds(1), {}));
    }
  });
  ASSERT_TRUE(created);
  id = *created;
  ASSERT_TRUE(run_until(*reactor_, [&] { return fired == 3; }));
  run_for(*reactor_, milliseconds(20));
  EXPECT_EQ(fired, 3);
}

TEST_P(ReactorTest, CancelFromInsideItsOwnCallback) {
  int ticks = 0;
  Reactor::Id id = 0;
  std::string captured = "state the callback owns";
  auto created = reactor_->add_timer(milliseconds(1), milliseconds(1), [&, captured] {
    ++ticks;
    reactor_->cancel(id);
    // The callable must still be alive after cancelling itself (ASan checks this).
    EXPECT_EQ(captured, "state the callback owns");
  });
  ASSERT_TRUE(created);
  id = *created;
  bool later = false;
  ASSERT_TRUE(reactor_->add_timer(milliseconds(40), {}, [&] { later = true; }));
  ASSERT_TRUE(run_until(*reactor_, [&] { return later; }));
  EXPECT_EQ(ticks, 1);
}

TEST_P(ReactorTest, CancelledTimerDueInTheSameBatchNeverRuns) {
  bool second_ran = false;
  Reactor::Id second = 0;
  ASSERT_TRUE(reactor_->add_timer(milliseconds(1), {}, [&] { reactor_->cancel(second); }));
  auto created = reactor_->add_timer(milliseconds(2), {}, [&] { second_ran = true; });
  ASSERT_TRUE(created);
  second = *created;
  const TimePoint both_due = SteadyClock::now() + milliseconds(5);
  while (SteadyClock::now() < both_due) {
  }
  run_for(*reactor_, milliseconds(20));
  EXPECT_FALSE(second_ran);
}

TEST_P(ReactorTest, WatchFdPipeIsLevelTriggered) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  Fd reader(p[0]), writer(p[1]);
  std::string got;
  auto id = reactor_->watch_fd(reader.fd, POLLIN, [&](std::uint32_t revents) {
    EXPECT_TRUE(revents & POLLIN);
    char c;
    if (::read(reader.fd, &c, 1) == 1) got.push_back(c);  // one byte per callback on purpose
  });
  ASSERT_TRUE(id);
  EXPECT_FALSE(reactor_->run_once(milliseconds(10)));
  ASSERT_EQ(::write(writer.fd, "abc", 3), 3);
  // A single write, yet three callbacks: readiness is reported while data remains, like poll(2),
  // on io_uring too (whose multishot poll is edge-triggered by itself).
  ASSERT_TRUE(run_until(*reactor_, [&] { return got.size() == 3; }));
  EXPECT_EQ(got, "abc");
  reactor_->cancel(*id);
  ASSERT_EQ(::write(writer.fd, "d", 1), 1);
  run_for(*reactor_, milliseconds(20));
  EXPECT_EQ(got, "abc");
}

TEST_P(ReactorTest, WatchFdPollOutWhenPipeDrains) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  Fd reader(p[0]), writer(p[1]);
  char block[4096] = {};
  while (::write(writer.fd, block, sizeof block) > 0) {
  }
  ASSERT_EQ(errno, EAGAIN);
  int writable = 0;
  Reactor::Id id = 0;
  auto created = reactor_->watch_fd(writer.fd, POLLOUT, [&](std::uint32_t revents) {
    EXPECT_TRUE(revents & POLLOUT);
    ++writable;
    reactor_->cancel(id);
  });
  ASSERT_TRUE(created);
  id = *created;
  run_for(*reactor_, milliseconds(20));
  EXPECT_EQ(writable, 0) << "a full pipe must not report POLLOUT";
  while (::read(reader.fd, block, sizeof block) > 0) {
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return writable == 1; }));
}

TEST_P(ReactorTest, ModifyFdSwitchesTheEventMask) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  std::vector<std::uint32_t> seen;
  Reactor::Id id = 0;
  auto created = reactor_->watch_fd(a.fd, POLLOUT, [&](std::uint32_t revents) {
    seen.push_back(revents);
    ASSERT_TRUE(reactor_->modify_fd(id, POLLIN));  // from inside the callback
  });
  ASSERT_TRUE(created);
  id = *created;
  ASSERT_TRUE(run_until(*reactor_, [&] { return seen.size() == 1; }));
  EXPECT_TRUE(seen[0] & POLLOUT);
  run_for(*reactor_, milliseconds(20));
  ASSERT_EQ(seen.size(), 1u) << "POLLOUT must no longer be reported";
  ASSERT_EQ(::write(b.fd, "x", 1), 1);
  ASSERT_TRUE(run_until(*reactor_, [&] { return seen.size() >= 2; }));
  EXPECT_TRUE(seen[1] & POLLIN);
  reactor_->cancel(id);
}

TEST_P(ReactorTest, CancelFdWatchFromInsideItsCallback) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  Fd reader(p[0]), writer(p[1]);
  int calls = 0;
  Reactor::Id id = 0;
  auto created = reactor_->watch_fd(reader.fd, POLLIN, [&](std::uint32_t) {
    ++calls;
    reactor_->cancel(id);  // without reading: a live level-triggered watch would fire again
  });
  ASSERT_TRUE(created);
  id = *created;
  ASSERT_EQ(::write(writer.fd, "x", 1), 1);
  ASSERT_TRUE(run_until(*reactor_, [&] { return calls == 1; }));
  run_for(*reactor_, milliseconds(30));
  EXPECT_EQ(calls, 1);
}

TEST_P(ReactorTest, PsiTriggerDeliversPollPri) {
  // Documentation/accounting/psi.rst: a trigger is "some|full <stall us> <window us>" written to
  // an O_RDWR /proc/pressure file; the fd then polls POLLPRI. Unprivileged windows must be a
  // multiple of 2 s, so 2 s works with or without CAP_SYS_RESOURCE.
  Fd psi(::open("/proc/pressure/cpu", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (psi.fd < 0) {
    GTEST_SKIP() << "PSI unavailable (open /proc/pressure/cpu: " << std::strerror(errno)
                 << "); boot with psi=1 to run this test";
  }
  const char trigger[] = "some 1 2000000";
  if (::write(psi.fd, trigger, sizeof trigger) < 0) {
    GTEST_SKIP() << "the kernel refused the PSI trigger '" << trigger
                 << "': " << std::strerror(errno);
  }
  std::atomic<int> pri{0};
  auto id = reactor_->watch_fd(psi.fd, POLLPRI, [&](std::uint32_t revents) {
    if (revents & POLLPRI) ++pri;
  });
  ASSERT_TRUE(id) << id.error().describe();

  // CPU contention: more runnable threads than CPUs makes tasks wait, which is "some" CPU stall.
  std::atomic<bool> stop{false};
  std::vector<std::thread> burners;
  unsigned n = std::max(2u, std::thread::hardware_concurrency()) * 2;
  for (unsigned i = 0; i < n; ++i) {
    burners.emplace_back([&stop] {
      volatile std::uint64_t x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  }
  bool fired = run_until(
      *reactor_, [&] { return pri > 0; }, seconds(8));
  stop = true;
  for (auto& t : burners) t.join();
  reactor_->cancel(*id);
  EXPECT_TRUE(fired) << "no POLLPRI from the PSI trigger within 8 s of CPU contention";
}

TEST_P(ReactorTest, SignalsArriveThroughSignalfd) {
  std::vector<int> got;
  auto id = reactor_->add_signals({SIGUSR1, SIGUSR2}, [&](const signalfd_siginfo& info) {
    got.push_back(static_cast<int>(info.ssi_signo));
  });
  ASSERT_TRUE(id) << id.error().describe();
  ASSERT_EQ(::raise(SIGUSR1), 0);  // thread-directed
  ASSERT_TRUE(run_until(*reactor_, [&] { return got.size() == 1; }));
  ASSERT_EQ(::kill(::getpid(), SIGUSR2), 0);  // process-directed
  ASSERT_TRUE(run_until(*reactor_, [&] { return got.size() == 2; }));
  EXPECT_EQ(got, (std::vector<int>{SIGUSR1, SIGUSR2}));
  reactor_->cancel(*id);
}

TEST_P(ReactorTest, InotifyReportsModifyAndRenameOver) {
  testing::TempDir dir;
  const std::string file = dir.write("config.yaml", "a: 1\n");
  std::vector<std::uint32_t> file_events;
  std::vector<std::pair<std::uint32_t, std::string>> dir_events;
  auto file_watch =
      reactor_->watch_path(file, IN_MODIFY, [&](std::uint32_t mask, std::string_view name) {
        EXPECT_TRUE(name.empty());
        file_events.push_back(mask);
      });
  ASSERT_TRUE(file_watch) << file_watch.error().describe();
  auto dir_watch = reactor_->watch_path(dir.path(), IN_MOVED_TO | IN_CLOSE_WRITE,
                                        [&](std::uint32_t mask, std::string_view name) {
                                          dir_events.emplace_back(mask, std::string(name));
                                        });
  ASSERT_TRUE(dir_watch) << dir_watch.error().describe();

  // In-place rewrite: open(O_TRUNC) + write raises IN_MODIFY on the file itself.
  {
    Fd out(::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    ASSERT_GE(out.fd, 0);
    ASSERT_EQ(::write(out.fd, "a: 2\n", 5), 5);
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return !file_events.empty() && !dir_events.empty(); }));
  EXPECT_TRUE(file_events[0] & IN_MODIFY);
  EXPECT_TRUE(dir_events[0].first & IN_CLOSE_WRITE);
  EXPECT_EQ(dir_events[0].second, "config.yaml");

  // Editors and atomic writers rename a temp file over the target: only the directory watch
  // sees that, as IN_MOVED_TO with the target's name.
  dir.write("config.yaml.tmp", "a: 3\n");
  ASSERT_EQ(::rename((dir.path() + "/config.yaml.tmp").c_str(), file.c_str()), 0);
  auto moved_to = [&] {
    for (auto& [mask, name] : dir_events) {
      if ((mask & IN_MOVED_TO) && name == "config.yaml") return true;
    }
    return false;
  };
  ASSERT_TRUE(run_until(*reactor_, moved_to));
  reactor_->cancel(*file_watch);
  reactor_->cancel(*dir_watch);
}

TEST_P(ReactorTest, PostFromAnotherThreadRunsOnTheLoopThread) {
  constexpr int kPosts = 200;
  int ran = 0;  // only touched on the loop thread
  std::atomic<int> off_thread{0};
  std::thread poster([&] {
    for (int i = 0; i < kPosts; ++i) {
      reactor_->post([&] {
        if (!reactor_->in_loop_thread()) ++off_thread;
        ++ran;
      });
    }
  });
  bool done = run_until(*reactor_, [&] { return ran == kPosts; });
  poster.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(off_thread, 0);
}

// A slow turn delays every edge behind it; the log must say so, and must stay quiet otherwise.
TEST_P(ReactorTest, ATurnThatKeepsTheLoopBusyIsLogged) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(50);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("reactor", sink));
  auto logged = [&] {
    std::string log;
    for (const auto& line : sink->last_formatted()) log += line;
    return log;
  };
  bool quick = false;
  reactor_->post([&] { quick = true; });
  EXPECT_TRUE(run_until(*reactor_, [&] { return quick; }));
  const std::string after_quick = logged();
  bool slow = false;
  reactor_->post([&] {
    // The work itself: a callback that computes (or blocks) this long.
    std::this_thread::sleep_for(milliseconds(60));
    slow = true;
  });
  EXPECT_TRUE(run_until(*reactor_, [&] { return slow; }));
  const std::string after_slow = logged();
  spdlog::set_default_logger(previous);
  EXPECT_EQ(after_quick.find("the event loop was busy"), std::string::npos) << after_quick;
  EXPECT_NE(after_slow.find("the event loop was busy"), std::string::npos) << after_slow;
  EXPECT_NE(after_slow.find("in one turn of 1 callback(s)"), std::string::npos) << after_slow;
}

TEST_P(ReactorTest, StopFromAnotherThreadEndsRun) {
  std::atomic<bool> ticked{false};
  ASSERT_TRUE(reactor_->add_timer(milliseconds(1), milliseconds(1), [&] { ticked = true; }));
  std::thread stopper([&] {
    while (!ticked) std::this_thread::yield();
    reactor_->stop();
  });
  reactor_->run();  // returns only because of stop()
  stopper.join();
  EXPECT_TRUE(ticked);
}

TEST_P(ReactorTest, TcpEchoWithAcceptReadAndWrite) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listener.fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);

  // Server side: every accepted connection echoes one message back.
  struct Conn {
    int fd;
    char buffer[64];
  };
  std::vector<std::unique_ptr<Conn>> conns;
  int accepted = 0;
  auto accept_id = reactor_->accept(listener.fd, [&](int fd) {
    ASSERT_GE(fd, 0) << std::strerror(-fd);
    ++accepted;
    conns.push_back(std::make_unique<Conn>(Conn{fd, {}}));
    Conn* conn = conns.back().get();
    ASSERT_TRUE(reactor_->read(conn->fd, conn->buffer, [this, conn](int n) {
      ASSERT_GT(n, 0);
      ASSERT_TRUE(reactor_->write(conn->fd, std::span<const char>(conn->buffer, n),
                                  [](int w) { EXPECT_GT(w, 0); }));
    }));
  });
  ASSERT_TRUE(accept_id) << accept_id.error().describe();

  // Three clients prove the accept stays armed (multishot, or re-submitted).
  constexpr int kClients = 3;
  std::vector<std::unique_ptr<Fd>> clients;
  std::vector<std::string> messages, echoes(kClients);
  std::vector<std::array<char, 64>> buffers(kClients);
  int echoed = 0;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Fd>(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)));
    ASSERT_EQ(::connect(clients[i]->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    messages.push_back("hello " + std::to_string(i));
  }
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(reactor_->write(clients[i]->fd, messages[i], [&, i](int n) {
      EXPECT_EQ(n, static_cast<int>(messages[i].size()));
    }));
    ASSERT_TRUE(reactor_->read(clients[i]->fd, buffers[i], [&, i](int n) {
      ASSERT_GT(n, 0);
      echoes[i].assign(buffers[i].data(), n);
      ++echoed;
    }));
  }
  ASSERT_TRUE(run_until(*reactor_, [&] { return echoed == kClients; }));
  EXPECT_EQ(accepted, kClients);
  EXPECT_EQ(echoes, messages);

  // read() reports EOF as 0 once the peer closes.
  int eof = -1;
  char byte;
  ASSERT_TRUE(reactor_->read(clients[0]->fd, std::span<char>(&byte, 1), [&](int n) { eof = n; }));
  ::shutdown(conns[0]->fd, SHUT_WR);
  ASSERT_TRUE(run_until(*reactor_, [&] { return eof != -1; }));
  EXPECT_EQ(eof, 0);

  reactor_->cancel(*accept_id);
  for (auto& conn : conns) ::close(conn->fd);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReactorTest,
                         ::testing::Values(ReactorBackend::kIoUring, ReactorBackend::kEpoll),
                         [](const ::testing::TestParamInfo<ReactorBackend>& info) {
                           return info.param == ReactorBackend::kIoUring ? "IoUring" : "Epoll";
                         });

TEST(ReactorCreate, EnvironmentOverridesAuto) {
  ::setenv("ADRG_REACTOR", "epoll", 1);
  auto forced = Reactor::create(ReactorChoice::kAuto);
  ::unsetenv("ADRG_REACTOR");
  ASSERT_TRUE(forced) << forced.error().describe();
  EXPECT_EQ((*forced)->backend(), ReactorBackend::kEpoll);

  // An explicit choice is not overridden by the environment.
  ::setenv("ADRG_REACTOR", "epoll", 1);
  auto uring = Reactor::create(ReactorChoice::kIoUring);
  ::unsetenv("ADRG_REACTOR");
  if (uring) {
    EXPECT_EQ((*uring)->backend(), ReactorBackend::kIoUring);
  }
}

TEST(ReactorCreate, AutoPicksIoUringWhenItWorks) {
  // Independent of an ADRG_REACTOR the test runner may have inherited.
  const char* inherited = std::getenv("ADRG_REACTOR");
  std::string saved = inherited ? inherited : "";
  ::unsetenv("ADRG_REACTOR");
  auto probe = Reactor::create(ReactorChoice::kIoUring);
  auto chosen = Reactor::create(ReactorChoice::kAuto);
  if (inherited) ::setenv("ADRG_REACTOR", saved.c_str(), 1);
  ASSERT_TRUE(chosen) << chosen.error().describe();
  EXPECT_EQ((*chosen)->backend(), probe ? ReactorBackend::kIoUring : ReactorBackend::kEpoll);
  EXPECT_EQ(to_string(ReactorBackend::kIoUring), "io_uring");
  EXPECT_EQ(to_string(ReactorBackend::kEpoll), "epoll");
}

}  // namespace
}  // namespace adrg

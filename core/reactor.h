// The one event loop of the daemon. Every kernel edge (PSI POLLPRI, inotify, timerfd, signalfd),
// every socket and every curl transfer is multiplexed here on one thread. Two backends share
// this interface: io_uring (liburing, multishot poll) and epoll, picked automatically when
// io_uring_setup fails (ENOSYS, EPERM under Docker's seccomp, io_uring_disabled) or forced.
#pragma once

#include <poll.h>
#include <sys/signalfd.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace adrg {

enum class ReactorBackend { kIoUring, kEpoll };
enum class ReactorChoice { kAuto, kIoUring, kEpoll };

std::string_view to_string(ReactorBackend backend);

class Reactor {
 public:
  using Id = std::uint64_t;  // 0 is never a valid id
  // revents: POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP as delivered by the kernel.
  using FdCallback = std::function<void(std::uint32_t revents)>;
  using TimerCallback = std::function<void()>;
  using SignalCallback = std::function<void(const signalfd_siginfo& info)>;
  // name is the file name inside a watched directory, empty for a watched file.
  using InotifyCallback = std::function<void(std::uint32_t mask, std::string_view name)>;
  // result: bytes transferred, or -errno (as io_uring reports it).
  using IoCallback = std::function<void(int result)>;
  // result: the accepted fd (caller owns it), or -errno.
  using AcceptCallback = std::function<void(int result)>;

  // kAuto probes io_uring and falls back to epoll; the environment variable ADRG_REACTOR=epoll
  // (or io_uring) overrides kAuto, so a deployment can force a backend without a rebuild.
  static Result<std::unique_ptr<Reactor>> create(ReactorChoice choice = ReactorChoice::kAuto);

  virtual ~Reactor() = default;
  virtual ReactorBackend backend() const = 0;

  // Readiness on an fd the caller keeps owning, until cancel(). events: POLLIN|POLLPRI|POLLOUT.
  virtual Result<Id> watch_fd(int fd, std::uint32_t events, FdCallback callback) = 0;
  virtual Status modify_fd(Id id, std::uint32_t events) = 0;

  // timerfd timers (CLOCK_MONOTONIC). period == 0 means one-shot; a one-shot is forgotten after
  // it fired. rearm_timer changes an existing timer in place.
  virtual Result<Id> add_timer(Duration first, Duration period, TimerCallback callback) = 0;
  virtual Status rearm_timer(Id id, Duration first, Duration period) = 0;

  // signalfd: the signals are blocked for the process and delivered here instead.
  virtual Result<Id> add_signals(std::initializer_list<int> signals, SignalCallback callback) = 0;

  // inotify watch on a file or directory (one shared inotify fd per reactor).
  virtual Result<Id> watch_path(const std::string& path, std::uint32_t mask,
                                InotifyCallback callback) = 0;

  // Completion-style socket I/O: real io_uring ops on that backend (multishot accept), readiness
  // plus a non-blocking syscall on epoll. Buffers must stay alive until the callback runs.
  virtual Result<Id> accept(int listen_fd, AcceptCallback callback) = 0;
  virtual Status read(int fd, std::span<char> buffer, IoCallback callback) = 0;
  virtual Status write(int fd, std::span<const char> buffer, IoCallback callback) = 0;

  // Safe from inside any callback, including the callback of the id being cancelled.
  virtual void cancel(Id id) = 0;

  // Thread-safe: run fn on the loop thread soon (eventfd wake-up).
  virtual void post(std::function<void()> fn) = 0;

  // Runs until stop(). stop() is thread-safe.
  virtual void run() = 0;
  virtual void stop() = 0;
  // Waits at most `timeout` for events and dispatches one batch; false when nothing happened.
  virtual bool run_once(Duration timeout) = 0;
  virtual bool in_loop_thread() const = 0;
};

}  // namespace adrg

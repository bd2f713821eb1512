// Internal to core/: what both reactor backends share. Timers, signals, inotify and post() are
// built ONCE here on top of the backend's watch_fd(), so the io_uring and epoll backends only
// differ in how they wait for readiness and completions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/reactor.h"

namespace adrg {

class ReactorBase : public Reactor {
 public:
  ~ReactorBase() override;

  Result<Id> add_timer(Duration first, Duration period, TimerCallback callback) override;
  Status rearm_timer(Id id, Duration first, Duration period) override;
  Result<Id> add_signals(std::initializer_list<int> signals, SignalCallback callback) override;
  Result<Id> watch_path(const std::string& path, std::uint32_t mask,
                        InotifyCallback callback) override;
  void cancel(Id id) final;
  void post(std::function<void()> fn) override;
  void run() override;
  void stop() override;
  bool run_once(Duration timeout) override;
  bool in_loop_thread() const override;

 protected:
  ReactorBase();

  // Second construction phase, called by the factory once the backend itself is constructed:
  // the eventfd behind post()/stop() and the timerfd are registered through the (virtual)
  // watch_fd, which cannot be called from a base constructor.
  Status init_shared();

  // One id space for everything a caller may cancel (backend watches and shared registrations).
  Id allocate_id() { return next_id_++; }

  // Called by a backend the moment its wait returns: what follows until wait_and_dispatch
  // returns is the turn's own work, timed by run() and run_once().
  void woke() { woke_at_ = std::chrono::steady_clock::now(); }

  // Cancels an id the backend handed out (watch_fd, accept). Unknown ids are ignored.
  virtual void cancel_backend(Id id) = 0;
  // Waits at most `timeout` (negative: no limit) and dispatches one batch; returns how many
  // callbacks ran.
  virtual int wait_and_dispatch(Duration timeout) = 0;

 private:
  struct Timer {
    std::shared_ptr<TimerCallback> callback;
    TimePoint deadline;
    Duration period{};
    bool queued = false;
  };
  struct SignalWatch {
    int fd = -1;
    Id watch = 0;
    std::shared_ptr<SignalCallback> callback;
  };
  struct PathWatch {
    int wd = -1;  // -1 once the kernel dropped the watch (IN_IGNORED)
    std::uint32_t mask = 0;
    std::shared_ptr<InotifyCallback> callback;
  };

  void queue_timer(Id id, Timer& timer, TimePoint deadline);
  void unqueue_timer(Id id, Timer& timer);
  void arm_timer_fd();
  void on_timer_fd();
  void on_signal_fd(Id id);
  void on_inotify_fd();
  void on_event_fd();
  Status ensure_inotify();
  void wake();
  // Logs a turn whose callbacks kept the loop thread busy long enough to delay an edge.
  void note_turn(int dispatched);

  std::atomic<Id> next_id_{1};
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::thread::id> loop_thread_;

  std::chrono::steady_clock::time_point woke_at_{};

  int event_fd_ = -1;
  std::mutex post_mutex_;
  std::vector<std::function<void()>> posted_;

  int timer_fd_ = -1;
  TimePoint timer_fd_armed_for_ = TimePoint::max();
  std::unordered_map<Id, Timer> timers_;
  std::set<std::pair<TimePoint, Id>> timer_queue_;  // ties fire in creation order

  std::unordered_map<Id, SignalWatch> signals_;

  int inotify_fd_ = -1;
  std::unordered_map<Id, PathWatch> path_watches_;
  std::unordered_map<int, std::vector<Id>> path_watches_by_wd_;
};

// Backend factories (reactor_uring.cpp, reactor_epoll.cpp). The io_uring one fails with the
// reason when io_uring cannot be used here; Reactor::create decides whether to fall back.
Result<std::unique_ptr<Reactor>> make_uring_reactor();
Result<std::unique_ptr<Reactor>> make_epoll_reactor();

// Split a timeout for the kernel: negative means wait without limit.
inline bool is_infinite(Duration timeout) { return timeout < Duration::zero(); }
// The timeout for ppoll / epoll_pwait2 (nanoseconds): `storage` filled and returned, or nullptr
// (wait forever) for an infinite timeout.
inline timespec* to_timespec(Duration timeout, timespec& storage) {
  if (is_infinite(timeout)) return nullptr;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  storage =
      timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  return &storage;
}

}  // namespace adrg

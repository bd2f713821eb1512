#include "core/reactor_base.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/result.h"

namespace adrg {
namespace {

// Far enough to mean "never" without overflowing steady_clock arithmetic.
constexpr Duration kMaxDelay = std::chrono::hours(24 * 365 * 10);

Duration clamp_delay(Duration d) { return std::clamp(d, Duration::zero(), kMaxDelay); }

timespec to_timespec(TimePoint tp) {
  // libstdc++'s steady_clock is CLOCK_MONOTONIC, the clock our timerfd runs on, so its epoch
  // is the one TFD_TIMER_ABSTIME expects.
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
  if (ns <= 0) ns = 1;  // an all-zero it_value would disarm the timerfd instead of firing it
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

ReactorBase::ReactorBase() : loop_thread_(std::this_thread::get_id()) {}

ReactorBase::~ReactorBase() {
  // The backend is already gone (derived destructor ran first), so only the fds are released;
  // nothing here may call back into a virtual.
  for (auto& [id, watch] : signals_) ::close(watch.fd);
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (timer_fd_ >= 0) ::close(timer_fd_);
  if (event_fd_ >= 0) ::close(event_fd_);
}

Status ReactorBase::init_shared() {
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return Error::from_errno("eventfd for the reactor wake-up");
  auto wake_watch = watch_fd(event_fd_, POLLIN, [this](std::uint32_t) { on_event_fd(); });
  if (!wake_watch) return wake_watch.error();

  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return Error::from_errno("timerfd_create(CLOCK_MONOTONIC)");
  auto timer_watch = watch_fd(timer_fd_, POLLIN, [this](std::uint32_t) { on_timer_fd(); });
  if (!timer_watch) return timer_watch.error();
  return {};
}

// ---- timers: one timerfd armed for the earliest deadline of an ordered queue, so timers that
// expire in the same wake-up still run in deadline order.

void ReactorBase::queue_timer(Id id, Timer& timer, TimePoint deadline) {
  unqueue_timer(id, timer);
  timer.deadline = deadline;
  timer.queued = true;
  timer_queue_.emplace(deadline, id);
}

void ReactorBase::unqueue_timer(Id id, Timer& timer) {
  if (timer.queued) timer_queue_.erase({timer.deadline, id});
  timer.queued = false;
}

void ReactorBase::arm_timer_fd() {
  TimePoint want = timer_queue_.empty() ? TimePoint::max() : timer_queue_.begin()->first;
  if (want == timer_fd_armed_for_) return;
  itimerspec spec{};
  if (want != TimePoint::max()) spec.it_value = to_timespec(want);
  if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    spdlog::error("reactor: timerfd_settime: {}", errno_text(errno));
    return;
  }
  timer_fd_armed_for_ = want;
}

Result<Reactor::Id> ReactorBase::add_timer(Duration first, Duration period,
                                           TimerCallback callback) {
  if (!callback) return Error{std::make_error_code(std::errc::invalid_argument), "add_timer"};
  Id id = allocate_id();
  Timer& timer = timers_[id];
  timer.callback = std::make_shared<TimerCallback>(std::move(callback));
  timer.period = period > Duration::zero() ? std::min(period, kMaxDelay) : Duration::zero();
  queue_timer(id, timer, SteadyClock::now() + clamp_delay(first));
  arm_timer_fd();
  return id;
}

Status ReactorBase::rearm_timer(Id id, Duration first, Duration period) {
  auto it = timers_.find(id);
  if (it == timers_.end()) {
    return Error{std::make_error_code(std::errc::no_such_file_or_directory),
                 "rearm_timer: unknown or already fired timer " + std::to_string(id)};
  }
  it->second.period = period > Duration::zero() ? std::min(period, kMaxDelay) : Duration::zero();
  queue_timer(id, it->second, SteadyClock::now() + clamp_delay(first));
  arm_timer_fd();
  return {};
}

void ReactorBase::on_timer_fd() {
  std::uint64_t expirations = 0;
  while (::read(timer_fd_, &expirations, sizeof expirations) > 0) {
  }
  timer_fd_armed_for_ = TimePoint::max();  // it fired, so it is no longer armed
  // Only timers due at this instant run now: a zero-delay timer added by a callback waits for
  // the next loop iteration instead of starving the rest of the loop.
  const TimePoint now = SteadyClock::now();
  while (!timer_queue_.empty() && timer_queue_.begin()->first <= now) {
    auto [deadline, id] = *timer_queue_.begin();
    timer_queue_.erase(timer_queue_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    Timer& timer = it->second;
    timer.queued = false;
    if (timer.period > Duration::zero()) {
      // Skip missed ticks rather than firing a burst after a long stall.
      TimePoint next = deadline + timer.period;
      if (next <= now) next = now + timer.period;
      queue_timer(id, timer, next);
    }
    // The local copy keeps the callable alive if it cancels its own timer.
    std::shared_ptr<TimerCallback> callback = timer.callback;
    (*callback)();
    // A one-shot is forgotten after it fired, unless its callback re-armed it.
    auto after = timers_.find(id);
    if (after != timers_.end() && !after->second.queued) timers_.erase(after);
  }
  arm_timer_fd();
}

// ---- signals: signalfd(2) only sees signals that are blocked, so they are blocked first. The
// mask is per thread: call add_signals before starting other threads so they inherit it.

Result<Reactor::Id> ReactorBase::add_signals(std::initializer_list<int> signals,
                                             SignalCallback callback) {
  if (!callback || signals.size() == 0) {
    return Error{std::make_error_code(std::errc::invalid_argument), "add_signals"};
  }
  sigset_t set;
  sigemptyset(&set);
  for (int signo : signals) {
    if (sigaddset(&set, signo) != 0) return Error::from_errno("sigaddset " + std::to_string(signo));
  }
  if (int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0) {
    return Error::from_errno("pthread_sigmask(SIG_BLOCK)", err);
  }
  int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Error::from_errno("signalfd");
  Id id = allocate_id();
  auto watch = watch_fd(fd, POLLIN, [this, id](std::uint32_t) { on_signal_fd(id); });
  if (!watch) {
    ::close(fd);
    return watch.error();
  }
  signals_[id] = SignalWatch{fd, *watch, std::make_shared<SignalCallback>(std::move(callback))};
  return id;
}

void ReactorBase::on_signal_fd(Id id) {
  for (;;) {
    auto it = signals_.find(id);
    if (it == signals_.end()) return;  // cancelled by an earlier callback of this batch
    signalfd_siginfo info{};
    ssize_t n = ::read(it->second.fd, &info, sizeof info);
    if (n != static_cast<ssize_t>(sizeof info)) return;  // EAGAIN: drained
    std::shared_ptr<SignalCallback> callback = it->second.callback;
    (*callback)(info);
  }
}

// ---- inotify: one inotify fd per reactor, events dispatched by watch descriptor.

Status ReactorBase::ensure_inotify() {
  if (inotify_fd_ >= 0) return {};
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return Error::from_errno("inotify_init1");
  auto watch = watch_fd(fd, POLLIN, [this](std::uint32_t) { on_inotify_fd(); });
  if (!watch) {
    ::close(fd);
    return watch.error();
  }
  inotify_fd_ = fd;
  return {};
}

Result<Reactor::Id> ReactorBase::watch_path(const std::string& path, std::uint32_t mask,
                                            InotifyCallback callback) {
  if (!callback) return Error{std::make_error_code(std::errc::invalid_argument), "watch_path"};
  if (auto status = ensure_inotify(); !status) return status.error();
  // The kernel keeps one watch per inode and inotify_add_watch replaces its mask; IN_MASK_ADD
  // ORs instead, so two callers watching the same file do not clobber each other (inotify(7)).
  int wd = ::inotify_add_watch(inotify_fd_, path.c_str(), mask | IN_MASK_ADD);
  if (wd < 0) return Error::from_errno("inotify_add_watch " + path);
  Id id = allocate_id();
  path_watches_[id] = PathWatch{wd, mask, std::make_shared<InotifyCallback>(std::move(callback))};
  path_watches_by_wd_[wd].push_back(id);
  return id;
}

void ReactorBase::on_inotify_fd() {
  // inotify(7): a buffer of sizeof(inotify_event) + NAME_MAX + 1 holds at least one event.
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) return;
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      std::string_view name = event->len ? std::string_view(event->name) : std::string_view();
      std::vector<Id> targets;
      if (event->wd < 0) {  // IN_Q_OVERFLOW: every watcher must rescan
        for (auto& [id, watch] : path_watches_) targets.push_back(id);
        std::sort(targets.begin(), targets.end());
      } else if (auto it = path_watches_by_wd_.find(event->wd); it != path_watches_by_wd_.end()) {
        targets = it->second;
      }
      constexpr std::uint32_t kAlways = IN_IGNORED | IN_Q_OVERFLOW | IN_UNMOUNT;
      for (Id id : targets) {
        auto it = path_watches_.find(id);
        if (it == path_watches_.end() || !(event->mask & (it->second.mask | kAlways))) continue;
        std::shared_ptr<InotifyCallback> callback = it->second.callback;
        (*callback)(event->mask, name);
      }
      if (event->mask & IN_IGNORED) {
        // The kernel dropped the watch (file deleted, fs unmounted); its wd may be reused, so
        // forget it rather than inotify_rm_watch a stranger later.
        auto it = path_watches_by_wd_.find(event->wd);
        if (it != path_watches_by_wd_.end()) {
          for (Id id : it->second) {
            if (auto w = path_watches_.find(id); w != path_watches_.end()) w->second.wd = -1;
          }
          path_watches_by_wd_.erase(it);
        }
      }
    }
  }
}

// ---- post(): a mutex-protected queue plus an eventfd to wake the wait.

void ReactorBase::post(std::function<void()> fn) {
  if (!fn) return;
  {
    std::lock_guard lock(post_mutex_);
    posted_.push_back(std::move(fn));
  }
  wake();
}

void ReactorBase::wake() {
  std::uint64_t one = 1;
  // EAGAIN means the counter is saturated, which still wakes the loop.
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void ReactorBase::on_event_fd() {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(event_fd_, &count, sizeof count);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(post_mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

// ---- cancel and the loop.

void ReactorBase::cancel(Id id) {
  if (id == 0) return;
  if (auto it = timers_.find(id); it != timers_.end()) {
    unqueue_timer(id, it->second);
    timers_.erase(it);  // a running callback is kept alive by its caller's shared_ptr copy
    arm_timer_fd();
    return;
  }
  if (auto it = signals_.find(id); it != signals_.end()) {
    // The signals stay blocked: unblocking one that is pending would run its default action
    // (usually terminate) at once.
    cancel_backend(it->second.watch);
    ::close(it->second.fd);
    signals_.erase(it);
    return;
  }
  if (auto it = path_watches_.find(id); it != path_watches_.end()) {
    int wd = it->second.wd;
    path_watches_.erase(it);
    if (wd < 0) return;
    auto& ids = path_watches_by_wd_[wd];
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
    if (ids.empty()) {
      path_watches_by_wd_.erase(wd);
      ::inotify_rm_watch(inotify_fd_, wd);
    }
    return;
  }
  cancel_backend(id);
}

void ReactorBase::run() {
  loop_thread_ = std::this_thread::get_id();
  while (!stop_requested_.exchange(false)) note_turn(wait_and_dispatch(Duration(-1)));
}

void ReactorBase::stop() {
  stop_requested_ = true;
  wake();
}

bool ReactorBase::run_once(Duration timeout) {
  loop_thread_ = std::this_thread::get_id();
  int dispatched = wait_and_dispatch(timeout);
  note_turn(dispatched);
  return dispatched > 0;
}

// Every edge waits while the loop thread runs the callbacks of one turn: a PSI trigger or an
// HTTP /trigger that arrives then is handled only after them. Naming such a turn is how a slow
// reaction is traced to what the loop was doing instead.
void ReactorBase::note_turn(int dispatched) {
  constexpr auto kSlowTurn = std::chrono::milliseconds(50);
  auto busy = std::chrono::steady_clock::now() - woke_at_;
  if (dispatched == 0 || busy < kSlowTurn) return;
  spdlog::info("the event loop was busy {:.1f} ms in one turn of {} callback(s)",
               std::chrono::duration<double, std::milli>(busy).count(), dispatched);
}

bool ReactorBase::in_loop_thread() const { return loop_thread_ == std::this_thread::get_id(); }

}  // namespace adrg

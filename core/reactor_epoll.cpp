// epoll backend (the fallback when io_uring is unavailable, e.g. under Docker's default seccomp
// profile). epoll allows one registration per fd, so every watch, accept and queued read/write
// on an fd is folded into one level-triggered entry whose mask is the union of what they need.
// The entry's epoll data is (generation << 32 | fd): an event already fetched for an fd that was
// removed and re-added (same number, new file) is recognised as stale.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>

#include "core/reactor_base.h"
#include "core/result.h"

namespace adrg {
namespace {

constexpr int kMaxEvents = 64;

class EpollReactor final : public ReactorBase {
 public:
  static Result<std::unique_ptr<Reactor>> create();
  ~EpollReactor() override {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
  }

  ReactorBackend backend() const override { return ReactorBackend::kEpoll; }
  Result<Id> watch_fd(int fd, std::uint32_t events, FdCallback callback) override;
  Status modify_fd(Id id, std::uint32_t events) override;
  Result<Id> accept(int listen_fd, AcceptCallback callback) override;
  Status read(int fd, std::span<char> buffer, IoCallback callback) override;
  Status write(int fd, std::span<const char> buffer, IoCallback callback) override;

 protected:
  void cancel_backend(Id id) override;
  int wait_and_dispatch(Duration timeout) override;

 private:
  struct Watch {
    int fd = -1;
    bool is_accept = false;
    std::uint32_t events = 0;
    std::shared_ptr<FdCallback> fd_callback;  // watch_fd
    std::shared_ptr<IoCallback> io_callback;  // accept
  };
  struct Op {
    char* data;
    std::size_t size;
    std::shared_ptr<IoCallback> callback;
  };
  struct FdEntry {
    std::uint32_t generation = 0;
    std::uint32_t registered = 0;  // mask currently in the kernel
    bool in_kernel = false;
    std::vector<Id> watches;  // watch_fd and accept ids, in registration order
    std::deque<Op> reads;
    std::deque<Op> writes;
  };

  EpollReactor() = default;
  FdEntry& entry_for(int fd);
  FdEntry* find_entry(int fd, std::uint32_t generation);
  Status update_interest(int fd);
  int dispatch(int fd, std::uint32_t generation, std::uint32_t revents);
  int do_io(int fd, Op& op, bool is_write);

  int epoll_fd_ = -1;
  std::uint32_t next_generation_ = 1;
  std::unordered_map<int, FdEntry> fds_;
  std::unordered_map<Id, Watch> watches_;
};

Result<std::unique_ptr<Reactor>> EpollReactor::create() {
  std::unique_ptr<EpollReactor> reactor(new EpollReactor());
  reactor->epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (reactor->epoll_fd_ < 0) return Error::from_errno("epoll_create1");
  if (auto status = reactor->init_shared(); !status) return status.error();
  return std::unique_ptr<Reactor>(std::move(reactor));
}

EpollReactor::FdEntry& EpollReactor::entry_for(int fd) {
  auto [it, inserted] = fds_.try_emplace(fd);
  if (inserted) {
    it->second.generation = next_generation_++;
    if (next_generation_ == 0) next_generation_ = 1;
  }
  return it->second;
}

EpollReactor::FdEntry* EpollReactor::find_entry(int fd, std::uint32_t generation) {
  auto it = fds_.find(fd);
  if (it == fds_.end() || it->second.generation != generation) return nullptr;
  return &it->second;
}

Status EpollReactor::update_interest(int fd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return {};
  FdEntry& entry = it->second;
  std::uint32_t mask = 0;
  for (Id id : entry.watches) {
    const Watch& watch = watches_.at(id);
    mask |= watch.is_accept ? POLLIN : watch.events;
  }
  if (!entry.reads.empty()) mask |= POLLIN;
  if (!entry.writes.empty()) mask |= POLLOUT;

  if (entry.watches.empty() && entry.reads.empty() && entry.writes.empty()) {
    // EBADF/ENOENT here mean the caller closed the fd first; the kernel already dropped it.
    if (entry.in_kernel) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(it);
    return {};
  }
  if (entry.in_kernel && mask == entry.registered) return {};
  epoll_event ev{};
  ev.events = mask;  // EPOLLIN == POLLIN, EPOLLPRI == POLLPRI, EPOLLOUT == POLLOUT on Linux
  ev.data.u64 = (static_cast<std::uint64_t>(entry.generation) << 32) | static_cast<unsigned>(fd);
  int op = entry.in_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int ret = ::epoll_ctl(epoll_fd_, op, fd, &ev);
  if (ret != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) {
    // The fd was closed and its number reused without a cancel: register the new file.
    ret = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  if (ret != 0) return Error::from_errno("epoll_ctl fd " + std::to_string(fd));
  entry.in_kernel = true;
  entry.registered = mask;
  return {};
}

Result<Reactor::Id> EpollReactor::watch_fd(int fd, std::uint32_t events, FdCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("watch_fd", fd < 0 ? EBADF : EINVAL);
  Id id = allocate_id();
  watches_[id] = Watch{fd, false, events, std::make_shared<FdCallback>(std::move(callback)), {}};
  entry_for(fd).watches.push_back(id);
  if (auto status = update_interest(fd); !status) {
    cancel_backend(id);
    return status.error();
  }
  return id;
}

Status EpollReactor::modify_fd(Id id, std::uint32_t events) {
  auto it = watches_.find(id);
  if (it == watches_.end() || it->second.is_accept) {
    return Error::from_errno("modify_fd: unknown id " + std::to_string(id), ENOENT);
  }
  it->second.events = events;
  return update_interest(it->second.fd);
}

Result<Reactor::Id> EpollReactor::accept(int listen_fd, AcceptCallback callback) {
  if (listen_fd < 0 || !callback)
    return Error::from_errno("accept", listen_fd < 0 ? EBADF : EINVAL);
  Id id = allocate_id();
  watches_[id] =
      Watch{listen_fd, true, POLLIN, {}, std::make_shared<IoCallback>(std::move(callback))};
  entry_for(listen_fd).watches.push_back(id);
  if (auto status = update_interest(listen_fd); !status) {
    cancel_backend(id);
    return status.error();
  }
  return id;
}

Status EpollReactor::read(int fd, std::span<char> buffer, IoCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("read", fd < 0 ? EBADF : EINVAL);
  entry_for(fd).reads.push_back(
      Op{buffer.data(), buffer.size(), std::make_shared<IoCallback>(std::move(callback))});
  if (auto status = update_interest(fd); !status) {
    fds_[fd].reads.pop_back();
    (void)update_interest(fd);
    return status;
  }
  return {};
}

Status EpollReactor::write(int fd, std::span<const char> buffer, IoCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("write", fd < 0 ? EBADF : EINVAL);
  // The buffer is only ever read from; Op keeps one pointer type for both directions.
  entry_for(fd).writes.push_back(Op{const_cast<char*>(buffer.data()), buffer.size(),
                                    std::make_shared<IoCallback>(std::move(callback))});
  if (auto status = update_interest(fd); !status) {
    fds_[fd].writes.pop_back();
    (void)update_interest(fd);
    return status;
  }
  return {};
}

void EpollReactor::cancel_backend(Id id) {
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  int fd = it->second.fd;
  watches_.erase(it);  // a running callback is kept alive by its caller's shared_ptr copy
  if (auto entry = fds_.find(fd); entry != fds_.end()) {
    auto& ids = entry->second.watches;
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  }
  if (auto status = update_interest(fd); !status) spdlog::debug("{}", status.error().describe());
}

int EpollReactor::do_io(int fd, Op& op, bool is_write) {
  // Sockets get MSG_DONTWAIT (never block, whatever the fd's flags) and MSG_NOSIGNAL (EPIPE
  // instead of SIGPIPE); other fds (pipes) fall back to read/write after readiness.
  ssize_t n = is_write ? ::send(fd, op.data, op.size, MSG_DONTWAIT | MSG_NOSIGNAL)
                       : ::recv(fd, op.data, op.size, MSG_DONTWAIT);
  if (n < 0 && errno == ENOTSOCK) {
    std::size_t size = op.size;
    // After POLLOUT a blocking pipe has room for at least PIPE_BUF bytes (pipe(7)); more could
    // block the loop.
    if (is_write && !(::fcntl(fd, F_GETFL) & O_NONBLOCK))
      size = std::min<std::size_t>(size, PIPE_BUF);
    n = is_write ? ::write(fd, op.data, size) : ::read(fd, op.data, size);
  }
  return n < 0 ? -errno : static_cast<int>(n);
}

int EpollReactor::dispatch(int fd, std::uint32_t generation, std::uint32_t revents) {
  FdEntry* entry = find_entry(fd, generation);
  if (entry == nullptr) return 0;
  int dispatched = 0;
  // Callbacks may add or cancel anything (and rehash fds_), so ids are copied and every step
  // re-looks-up its entry.
  std::vector<Id> ids = entry->watches;
  for (Id id : ids) {
    auto it = watches_.find(id);
    if (it == watches_.end() || it->second.fd != fd || !find_entry(fd, generation)) continue;
    if (it->second.is_accept) {
      if (!(revents & (POLLIN | POLLERR | POLLHUP))) continue;
      // One accept per readiness; level triggering brings us back while the backlog is not
      // empty, and a blocking listen fd is never accepted on when nothing is pending.
      int res = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (res < 0) {
        res = -errno;
        if (res == -EAGAIN || res == -EWOULDBLOCK || res == -EINTR || res == -ECONNABORTED)
          continue;
      }
      std::shared_ptr<IoCallback> callback = it->second.io_callback;
      (*callback)(res);
      ++dispatched;
    } else {
      std::uint32_t mask = revents & (it->second.events | POLLERR | POLLHUP);
      if (mask == 0) continue;
      std::shared_ptr<FdCallback> callback = it->second.fd_callback;
      (*callback)(mask);
      ++dispatched;
    }
  }
  // Queued reads and writes: one syscall each per readiness, in submission order.
  for (bool is_write : {false, true}) {
    std::uint32_t wanted = (is_write ? POLLOUT : POLLIN) | POLLERR | POLLHUP;
    if (!(revents & wanted)) continue;
    entry = find_entry(fd, generation);
    if (entry == nullptr) break;
    auto& queue = is_write ? entry->writes : entry->reads;
    if (queue.empty()) continue;
    int res = do_io(fd, queue.front(), is_write);
    if (res == -EAGAIN || res == -EWOULDBLOCK || res == -EINTR) continue;
    std::shared_ptr<IoCallback> callback = queue.front().callback;
    queue.pop_front();
    if (auto status = update_interest(fd); !status) spdlog::debug("{}", status.error().describe());
    (*callback)(res);
    ++dispatched;
  }
  return dispatched;
}

int EpollReactor::wait_and_dispatch(Duration timeout) {
  epoll_event events[kMaxEvents];
  timespec ts{};
  timespec* tsp = to_timespec(timeout, ts);
  // epoll_pwait2 (5.11) takes a nanosecond timeout; epoll_wait's milliseconds would round a
  // 0.3 ms timer wait down to a busy spin.
  int n = ::epoll_pwait2(epoll_fd_, events, kMaxEvents, tsp, nullptr);
  if (n < 0 && errno == ENOSYS) {
    int ms = -1;
    if (tsp != nullptr) {
      auto total = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
      ms = static_cast<int>(std::min<long long>(total, INT_MAX));
    }
    n = ::epoll_wait(epoll_fd_, events, kMaxEvents, ms);
  }
  woke();
  if (n < 0) {
    if (errno != EINTR) spdlog::error("reactor(epoll): epoll_wait: {}", errno_text(errno));
    return 0;
  }
  int dispatched = 0;
  for (int i = 0; i < n; ++i) {
    int fd = static_cast<int>(events[i].data.u64 & 0xffffffffu);
    auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
    dispatched += dispatch(fd, generation, events[i].events);
  }
  return dispatched;
}

}  // namespace

Result<std::unique_ptr<Reactor>> make_epoll_reactor() { return EpollReactor::create(); }

}  // namespace adrg

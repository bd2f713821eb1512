// io_uring backend. Every in-flight request is a slot in a table; its user_data is
// (generation << 32 | slot index), never a pointer, so a completion that arrives after a cancel
// or a modify (the slot's generation moved on) is recognised as stale and dropped.
#include <liburing.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "core/reactor_base.h"
#include "core/result.h"

namespace adrg {
namespace {

constexpr unsigned kRingEntries = 256;
constexpr unsigned kCqeBatch = 64;
constexpr int kMaxDrainRounds = 4;  // bounded so one busy fd cannot starve the timer wait

struct Completion {
  std::uint64_t user_data;
  int res;
  std::uint32_t flags;
};

class UringReactor final : public ReactorBase {
 public:
  static Result<std::unique_ptr<Reactor>> create();
  ~UringReactor() override { io_uring_queue_exit(&ring_); }

  ReactorBackend backend() const override { return ReactorBackend::kIoUring; }
  Result<Id> watch_fd(int fd, std::uint32_t events, FdCallback callback) override;
  Status modify_fd(Id id, std::uint32_t events) override;
  Result<Id> accept(int listen_fd, AcceptCallback callback) override;
  Status read(int fd, std::span<char> buffer, IoCallback callback) override;
  Status write(int fd, std::span<const char> buffer, IoCallback callback) override;

 protected:
  void cancel_backend(Id id) override;
  int wait_and_dispatch(Duration timeout) override;

 private:
  enum class Kind : std::uint8_t { kFree, kPoll, kAccept, kRead, kWrite };
  struct Slot {
    std::uint32_t generation = 1;
    Kind kind = Kind::kFree;
    int fd = -1;
    std::uint32_t events = 0;
    Id id = 0;
    bool multishot = false;
    std::shared_ptr<FdCallback> fd_callback;  // kPoll
    std::shared_ptr<IoCallback> io_callback;  // kAccept, kRead, kWrite
  };
  // A readiness that was still present after the callback ran (see dispatch_poll).
  struct Pending {
    std::uint32_t index;
    std::uint32_t generation;
    std::uint32_t revents;
  };

  UringReactor() = default;
  Status init();

  static std::uint64_t user_data(std::uint32_t index, std::uint32_t generation) {
    return (static_cast<std::uint64_t>(generation) << 32) | index;
  }
  std::uint64_t user_data(std::uint32_t index) const {
    return user_data(index, slots_[index].generation);
  }
  std::uint32_t allocate_slot(Kind kind, int fd);
  void free_slot(std::uint32_t index);
  io_uring_sqe* get_sqe();
  Status arm_poll(std::uint32_t index);
  Status arm_accept(std::uint32_t index);
  void cancel_request(std::uint64_t data, Kind kind);
  bool is_live(std::uint32_t index, std::uint32_t generation) const {
    return index < slots_.size() && slots_[index].generation == generation &&
           slots_[index].kind != Kind::kFree;
  }
  int dispatch(const Completion& completion);
  int dispatch_poll(std::uint32_t index, const Completion& completion);
  int dispatch_accept(std::uint32_t index, const Completion& completion);
  void run_poll_callback(std::uint32_t index, std::uint32_t revents);

  io_uring ring_{};
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<Id, std::uint32_t> slot_of_id_;
  std::vector<Pending> pending_;
  bool multishot_accept_ = true;
};

Result<std::unique_ptr<Reactor>> UringReactor::create() {
  std::unique_ptr<UringReactor> reactor(new UringReactor());
  if (auto status = reactor->init(); !status) return status.error();
  if (auto status = reactor->init_shared(); !status) return status.error();
  return std::unique_ptr<Reactor>(std::move(reactor));
}

Status UringReactor::init() {
  io_uring_params params{};
  if (int err = io_uring_queue_init_params(kRingEntries, &ring_, &params); err < 0) {
    return Error::from_errno("io_uring_queue_init", -err);
  }
  auto fail = [this](std::string what) -> Status {
    io_uring_queue_exit(&ring_);
    return Error{std::make_error_code(std::errc::function_not_supported), std::move(what)};
  };
  // RSRC_TAGS arrived in the same release as multishot poll (5.13), so it stands in for
  // "IORING_POLL_ADD_MULTI works", which has no feature bit of its own.
  if (!(params.features & IORING_FEAT_RSRC_TAGS)) {
    return fail("io_uring too old for multishot poll (needs 5.13)");
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (probe == nullptr) return fail("io_uring probe failed");
  bool ops_ok = true;
  for (int op : {IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE, IORING_OP_ACCEPT, IORING_OP_READ,
                 IORING_OP_WRITE, IORING_OP_ASYNC_CANCEL}) {
    ops_ok = ops_ok && io_uring_opcode_supported(probe, op);
  }
  io_uring_free_probe(probe);
  if (!ops_ok) return fail("io_uring lacks a required opcode");
  return {};
}

std::uint32_t UringReactor::allocate_slot(Kind kind, int fd) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.kind = kind;
  slot.fd = fd;
  return index;
}

void UringReactor::free_slot(std::uint32_t index) {
  Slot& slot = slots_[index];
  if (slot.id != 0) slot_of_id_.erase(slot.id);
  // Resetting the callbacks here is safe: a running callback is held by a local shared_ptr.
  std::uint32_t next_generation = slot.generation + 1;
  if (next_generation == 0) next_generation = 1;  // user_data 0 stays reserved for "ignore"
  slot = Slot{};
  slot.generation = next_generation;
  free_slots_.push_back(index);
}

io_uring_sqe* UringReactor::get_sqe() {
  // A full SQ means: submit what is queued, then retry (the kernel consumes SQEs on submit).
  for (int attempt = 0; attempt < 8; ++attempt) {
    if (io_uring_sqe* sqe = io_uring_get_sqe(&ring_)) return sqe;
    int ret = io_uring_submit(&ring_);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
      spdlog::error("reactor(io_uring): submit: {}", errno_text(-ret));
      return nullptr;
    }
  }
  return nullptr;
}

Status UringReactor::arm_poll(std::uint32_t index) {
  io_uring_sqe* sqe = get_sqe();
  if (sqe == nullptr) return Error::from_errno("io_uring: no SQE for poll", EBUSY);
  io_uring_prep_poll_multishot(sqe, slots_[index].fd, slots_[index].events);
  io_uring_sqe_set_data64(sqe, user_data(index));
  return {};
}

Status UringReactor::arm_accept(std::uint32_t index) {
  io_uring_sqe* sqe = get_sqe();
  if (sqe == nullptr) return Error::from_errno("io_uring: no SQE for accept", EBUSY);
  Slot& slot = slots_[index];
  slot.multishot = multishot_accept_;
  constexpr int kFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;  // same fds as the epoll backend hands out
  if (slot.multishot) {
    io_uring_prep_multishot_accept(sqe, slot.fd, nullptr, nullptr, kFlags);
  } else {
    io_uring_prep_accept(sqe, slot.fd, nullptr, nullptr, kFlags);
  }
  io_uring_sqe_set_data64(sqe, user_data(index));
  return {};
}

void UringReactor::cancel_request(std::uint64_t data, Kind kind) {
  io_uring_sqe* sqe = get_sqe();
  if (sqe == nullptr) return;  // the generation check still keeps its completions away
  if (kind == Kind::kPoll) {
    io_uring_prep_poll_remove(sqe, data);
  } else {
    io_uring_prep_cancel64(sqe, data, 0);
  }
  io_uring_sqe_set_data64(sqe, 0);  // its own completion carries no callback
}

Result<Reactor::Id> UringReactor::watch_fd(int fd, std::uint32_t events, FdCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("watch_fd", fd < 0 ? EBADF : EINVAL);
  std::uint32_t index = allocate_slot(Kind::kPoll, fd);
  Slot& slot = slots_[index];
  slot.events = events;
  slot.fd_callback = std::make_shared<FdCallback>(std::move(callback));
  if (auto status = arm_poll(index); !status) {
    free_slot(index);
    return status.error();
  }
  Id id = allocate_id();
  slots_[index].id = id;
  slot_of_id_[id] = index;
  return id;
}

Status UringReactor::modify_fd(Id id, std::uint32_t events) {
  auto it = slot_of_id_.find(id);
  if (it == slot_of_id_.end() || slots_[it->second].kind != Kind::kPoll) {
    return Error::from_errno("modify_fd: unknown id " + std::to_string(id), ENOENT);
  }
  std::uint32_t index = it->second;
  Slot& slot = slots_[index];
  if (slot.events == events) return {};
  // Remove the old multishot poll and add a new one under a new generation: completions still
  // queued for the old mask are then stale and dropped.
  cancel_request(user_data(index), Kind::kPoll);
  if (++slot.generation == 0) slot.generation = 1;
  slot.events = events;
  return arm_poll(index);
}

Result<Reactor::Id> UringReactor::accept(int listen_fd, AcceptCallback callback) {
  if (listen_fd < 0 || !callback)
    return Error::from_errno("accept", listen_fd < 0 ? EBADF : EINVAL);
  std::uint32_t index = allocate_slot(Kind::kAccept, listen_fd);
  slots_[index].io_callback = std::make_shared<IoCallback>(std::move(callback));
  if (auto status = arm_accept(index); !status) {
    free_slot(index);
    return status.error();
  }
  Id id = allocate_id();
  slots_[index].id = id;
  slot_of_id_[id] = index;
  return id;
}

Status UringReactor::read(int fd, std::span<char> buffer, IoCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("read", fd < 0 ? EBADF : EINVAL);
  io_uring_sqe* sqe = get_sqe();
  if (sqe == nullptr) return Error::from_errno("io_uring: no SQE for read", EBUSY);
  std::uint32_t index = allocate_slot(Kind::kRead, fd);
  slots_[index].io_callback = std::make_shared<IoCallback>(std::move(callback));
  // Offset -1: the current file position (ignored for sockets and pipes).
  io_uring_prep_read(sqe, fd, buffer.data(), static_cast<unsigned>(buffer.size()),
                     std::numeric_limits<std::uint64_t>::max());
  io_uring_sqe_set_data64(sqe, user_data(index));
  return {};
}

Status UringReactor::write(int fd, std::span<const char> buffer, IoCallback callback) {
  if (fd < 0 || !callback) return Error::from_errno("write", fd < 0 ? EBADF : EINVAL);
  io_uring_sqe* sqe = get_sqe();
  if (sqe == nullptr) return Error::from_errno("io_uring: no SQE for write", EBUSY);
  std::uint32_t index = allocate_slot(Kind::kWrite, fd);
  slots_[index].io_callback = std::make_shared<IoCallback>(std::move(callback));
  io_uring_prep_write(sqe, fd, buffer.data(), static_cast<unsigned>(buffer.size()),
                      std::numeric_limits<std::uint64_t>::max());
  io_uring_sqe_set_data64(sqe, user_data(index));
  return {};
}

void UringReactor::cancel_backend(Id id) {
  auto it = slot_of_id_.find(id);
  if (it == slot_of_id_.end()) return;
  std::uint32_t index = it->second;
  cancel_request(user_data(index), slots_[index].kind);
  free_slot(index);
}

int UringReactor::wait_and_dispatch(Duration timeout) {
  std::vector<Pending> pending;
  pending.swap(pending_);
  if (!pending.empty()) timeout = Duration::zero();

  if (int ret = io_uring_submit(&ring_); ret < 0 && ret != -EINTR && ret != -EBUSY) {
    spdlog::error("reactor(io_uring): submit: {}", errno_text(-ret));
  }
  // Sleep in ppoll on the ring fd, never in io_uring_enter(GETEVENTS): since Linux 6.1.39/6.5 a
  // task waiting there with requests in flight (our multishot polls always are) is accounted as
  // iowait, so an idle loop would show as a constant I/O stall in /proc/pressure/io, the very
  // signal the io_pressure rule and job admission act on (measured: ~100 % "some" for the
  // loop's cgroup, tests/integration/core_reactor_iowait_test.cpp). A completion posted by task
  // work interrupts the ppoll, the work runs on the way out, and the restarted ppoll sees POLLIN.
  if (io_uring_cq_ready(&ring_) == 0 && timeout != Duration::zero()) {
    pollfd ring_fd{ring_.ring_fd, POLLIN, 0};
    timespec ts{};
    timespec* tsp = to_timespec(timeout, ts);
    if (::ppoll(&ring_fd, 1, tsp, nullptr) < 0 && errno != EINTR) {
      spdlog::error("reactor(io_uring): ppoll on the ring: {}", errno_text(errno));
    }
  }
  woke();

  int dispatched = 0;
  // Completions are copied out and the CQ advanced before any callback runs: callbacks submit
  // new work, and the ring must not hold entries we are still reading.
  Completion batch[kCqeBatch];
  for (int round = 0; round < kMaxDrainRounds; ++round) {
    io_uring_cqe* cqes[kCqeBatch];
    unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, kCqeBatch);
    for (unsigned i = 0; i < n; ++i) {
      batch[i] = Completion{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    }
    io_uring_cq_advance(&ring_, n);
    for (unsigned i = 0; i < n; ++i) dispatched += dispatch(batch[i]);
    if (n < kCqeBatch) break;
  }
  for (const Pending& p : pending) {
    if (is_live(p.index, p.generation) && slots_[p.index].kind == Kind::kPoll) {
      run_poll_callback(p.index, p.revents);
      ++dispatched;
    }
  }
  return dispatched;
}

int UringReactor::dispatch(const Completion& completion) {
  if (completion.user_data == 0) return 0;
  auto index = static_cast<std::uint32_t>(completion.user_data & 0xffffffffu);
  auto generation = static_cast<std::uint32_t>(completion.user_data >> 32);
  if (!is_live(index, generation)) return 0;  // cancelled or modified since: stale
  switch (slots_[index].kind) {
    case Kind::kPoll:
      return dispatch_poll(index, completion);
    case Kind::kAccept:
      return dispatch_accept(index, completion);
    case Kind::kRead:
    case Kind::kWrite: {
      std::shared_ptr<IoCallback> callback = slots_[index].io_callback;
      free_slot(index);
      (*callback)(completion.res);
      return 1;
    }
    case Kind::kFree:
      break;
  }
  return 0;
}

int UringReactor::dispatch_poll(std::uint32_t index, const Completion& completion) {
  const bool more = completion.flags & IORING_CQE_F_MORE;
  if (completion.res < 0) {
    // The kernel ended the multishot poll on its own (-ECANCELED on CQ overflow, -ENOMEM...):
    // re-arm. A bad fd cannot be re-armed; report it like poll(2) does.
    if (completion.res == -EBADF || completion.res == -EINVAL) {
      run_poll_callback(index, POLLNVAL);
      return 1;
    }
    if (!more) {
      if (auto status = arm_poll(index); !status) spdlog::error("{}", status.error().describe());
    }
    return 0;
  }
  // No IORING_CQE_F_MORE: this was the poll's last completion; re-arm before the callback so a
  // cancel() from inside it removes the new request.
  if (!more) {
    if (auto status = arm_poll(index); !status) spdlog::error("{}", status.error().describe());
  }
  run_poll_callback(index, static_cast<std::uint32_t>(completion.res));
  return 1;
}

void UringReactor::run_poll_callback(std::uint32_t index, std::uint32_t revents) {
  const std::uint32_t generation = slots_[index].generation;
  const int fd = slots_[index].fd;
  std::shared_ptr<FdCallback> callback = slots_[index].fd_callback;
  (*callback)(revents);
  // Multishot poll is edge-triggered: the kernel forces EPOLLET on it and rejects
  // IORING_POLL_ADD_LEVEL together with IORING_POLL_ADD_MULTI (EINVAL, io_uring/poll.c). The
  // interface promises poll(2) semantics (curl does not always drain its sockets, curl issue
  // #1545), so when the watch survived its callback a zero-timeout poll(2) tells whether the fd
  // is still ready, and if so the callback runs again on the next loop iteration.
  if (!is_live(index, generation) || revents & POLLNVAL) return;
  pollfd pfd{fd, static_cast<short>(slots_[index].events), 0};
  if (::poll(&pfd, 1, 0) == 1 && pfd.revents != 0) {
    pending_.push_back(Pending{index, generation, static_cast<std::uint32_t>(pfd.revents)});
  }
}

int UringReactor::dispatch_accept(std::uint32_t index, const Completion& completion) {
  const bool more = completion.flags & IORING_CQE_F_MORE;
  Slot& slot = slots_[index];
  if (completion.res == -EINVAL && slot.multishot && !more) {
    // Multishot accept needs 5.19; older kernels reject the flag: re-submit single-shot.
    spdlog::info("reactor(io_uring): multishot accept unsupported, re-submitting single-shot");
    multishot_accept_ = false;
    if (auto status = arm_accept(index); !status) spdlog::error("{}", status.error().describe());
    return 0;
  }
  if (!more) {
    if (auto status = arm_accept(index); !status) spdlog::error("{}", status.error().describe());
  }
  if (completion.res == -ECANCELED) return 0;  // the kernel ended it; re-armed above
  std::shared_ptr<IoCallback> callback = slot.io_callback;
  (*callback)(completion.res);
  return 1;
}

}  // namespace

Result<std::unique_ptr<Reactor>> make_uring_reactor() { return UringReactor::create(); }

}  // namespace adrg

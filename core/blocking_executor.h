// Work that may block (memory.high writes reclaim synchronously; journal saves) runs on
// one worker thread; its completion is posted back to the reactor thread, so the loop itself
// never blocks on the kernel.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/reactor.h"

namespace adrg {

class BlockingExecutor {
 public:
  // kUrgent work runs before any queued kNormal work (in submission order among itself): what
  // stops a storm (the relief's cpu.max, a freeze) must not wait behind restores, journal
  // bookkeeping or a job's spawn queued by the previous trigger.
  enum class Lane { kNormal, kUrgent };

  explicit BlockingExecutor(Reactor& reactor);
  ~BlockingExecutor();  // finishes queued work, then joins
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // work runs on the worker thread in submission order within its lane; done (optional) runs
  // on the loop thread.
  void submit(std::function<void()> work, std::function<void()> done = {},
              Lane lane = Lane::kNormal);
  // Blocks the caller until everything submitted so far has run (tests and shutdown only).
  void drain();

 private:
  struct Job {
    std::function<void()> work;
    std::function<void()> done;
    std::chrono::steady_clock::time_point queued;
    bool urgent = false;
  };

  void worker_main();
  std::size_t queued() const { return urgent_.size() + normal_.size(); }

  Reactor& reactor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> urgent_;
  std::deque<Job> normal_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace adrg

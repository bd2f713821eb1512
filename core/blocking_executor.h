// Work that may block (memory.high writes reclaim synchronously; journal saves) runs on
// one worker thread; its completion is posted back to the reactor thread, so the loop itself
// never blocks on the kernel.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/reactor.h"

namespace adrg {

class BlockingExecutor {
 public:
  explicit BlockingExecutor(Reactor& reactor);
  ~BlockingExecutor();  // finishes queued work, then joins
  BlockingExecutor(const BlockingExecutor&) = delete;
  BlockingExecutor& operator=(const BlockingExecutor&) = delete;

  // work runs on the worker thread in submission order; done (optional) runs on the loop thread.
  void submit(std::function<void()> work, std::function<void()> done = {});
  // Blocks the caller until everything submitted so far has run (tests and shutdown only).
  void drain();

 private:
  void worker_main();

  Reactor& reactor_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace adrg

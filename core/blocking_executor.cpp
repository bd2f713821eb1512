#include "core/blocking_executor.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace adrg {

BlockingExecutor::BlockingExecutor(Reactor& reactor)
    : reactor_(reactor), worker_([this] { worker_main(); }) {}

BlockingExecutor::~BlockingExecutor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

void BlockingExecutor::submit(std::function<void()> work, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(work), std::move(done));
  }
  wake_.notify_one();
}

void BlockingExecutor::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void BlockingExecutor::worker_main() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued has run
    auto [work, done] = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    try {
      if (work) work();
    } catch (const std::exception& e) {
      // A throwing job must not take the worker (and with it every later job) down.
      spdlog::error("blocking executor: job threw: {}", e.what());
    } catch (...) {
      spdlog::error("blocking executor: job threw a non-std exception");
    }
    // Posted before busy_ is cleared, so once drain() returns every completion is queued on
    // the reactor.
    if (done) reactor_.post(std::move(done));
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

}  // namespace adrg

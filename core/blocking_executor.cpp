#include "core/blocking_executor.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace adrg {

namespace {
// A job that waited longer than this for the worker is named in the log: the worker is one
// thread, so a wait delays whatever the job does (a relief's cpu.max, a restore).
constexpr auto kLongWait = std::chrono::milliseconds(50);
}  // namespace

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

void BlockingExecutor::submit(std::function<void()> work, std::function<void()> done, Lane lane) {
  {
    std::lock_guard lock(mutex_);
    const bool urgent = lane == Lane::kUrgent;
    (urgent ? urgent_ : normal_)
        .push_back(Job{std::move(work), std::move(done), std::chrono::steady_clock::now(), urgent});
  }
  wake_.notify_one();
}

void BlockingExecutor::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queued() == 0 && !busy_; });
}

void BlockingExecutor::worker_main() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || queued() != 0; });
    if (queued() == 0) return;  // stopping, and everything queued has run
    auto& lane = urgent_.empty() ? normal_ : urgent_;
    Job job = std::move(lane.front());
    lane.pop_front();
    const std::size_t behind = queued();
    busy_ = true;
    lock.unlock();
    const auto waited = std::chrono::steady_clock::now() - job.queued;
    if (waited >= kLongWait) {
      // An urgent job (a throttle, a freeze) that waited delayed what the user feels; normal
      // jobs queue by design (30 pause records after a media_start), so theirs is debug.
      spdlog::log(job.urgent ? spdlog::level::info : spdlog::level::debug,
                  "blocking executor: {} job waited {} ms for the worker ({} more queued)",
                  job.urgent ? "an urgent" : "a",
                  std::chrono::duration_cast<std::chrono::milliseconds>(waited).count(), behind);
    }
    try {
      if (job.work) job.work();
    } catch (const std::exception& e) {
      // A throwing job must not take the worker (and with it every later job) down.
      spdlog::error("blocking executor: job threw: {}", e.what());
    } catch (...) {
      spdlog::error("blocking executor: job threw a non-std exception");
    }
    // Posted before busy_ is cleared, so once drain() returns every completion is queued on
    // the reactor.
    if (job.done) reactor_.post(std::move(job.done));
    lock.lock();
    busy_ = false;
    if (queued() == 0) idle_.notify_all();
  }
}

}  // namespace adrg
